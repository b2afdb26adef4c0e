"""Small helpers shared by stages."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from ..paths import repo_path


@functools.lru_cache(maxsize=32)
def _load_yaml_cached(path: str, mtime: float) -> Any:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_yaml(path: str | Path) -> Any:
    """Load a YAML file (repo-relative paths allowed). Cached by path and mtime."""
    p = repo_path(path)
    if not p.exists():
        raise FileNotFoundError(f"config file not found: {p}")
    return _load_yaml_cached(str(p), p.stat().st_mtime)
