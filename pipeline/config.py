"""Load the pipeline configuration: configs/pipeline.yaml plus user overrides."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Optional

import yaml

from .paths import repo_path

DEFAULT_CONFIG = "configs/pipeline.yaml"


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_config(path: Optional[str | Path] = None, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The default config, deep-merged with the YAML file at ``path`` if given.

    ``exclude`` drops stages by name (like spaCy's ``exclude``).
    """
    with open(repo_path(DEFAULT_CONFIG), encoding="utf-8") as fh:
        config = yaml.safe_load(fh)
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise FileNotFoundError(f"config file not found: {p}")
        with open(p, encoding="utf-8") as fh:
            user = yaml.safe_load(fh) or {}
        if not isinstance(user, dict):
            raise ValueError(f"config file {p} must contain a YAML mapping")
        config = deep_merge(config, user)
    unknown = set(exclude) - set(config["pipeline"]["stages"])
    if unknown:
        raise ValueError(f"cannot exclude unknown stage(s): {', '.join(sorted(unknown))}")
    config["pipeline"]["stages"] = [s for s in config["pipeline"]["stages"] if s not in exclude]
    return config
