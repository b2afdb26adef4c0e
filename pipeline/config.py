"""One configuration loader: configs/pipeline.yaml, user overrides, typed checks.

``configs/pipeline.yaml`` names every section: ``pipeline`` (the stage order),
``ingest``, one section per stage, and ``similarity`` (the index, merged over
``configs/similarity.yaml``). ``--config FILE`` is deep-merged over it
(:func:`deep_merge`, the one merge function). Every section is checked against
its typed model: a stage's ``config_model`` (a pydantic model declared beside the
stage class, holding its defaults) or, for the sections that are not stages,
:data:`SECTION_MODELS`. An unknown section or key is a :class:`ConfigError`
naming it and the keys that are known.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Optional

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import ConfigError
from .paths import repo_path

DEFAULT_CONFIG = "configs/pipeline.yaml"


class SectionConfig(BaseModel):
    """Base of every typed config section: unknown keys are an error."""

    model_config = ConfigDict(extra="forbid")


class PipelineSection(SectionConfig):
    stages: list[str]


class IngestConfig(SectionConfig):
    max_bytes: int = 25 * 1024 * 1024  # larger files are recorded as failed (too_large)
    max_chars: int = 2_000_000  # cleaned text longer than this is recorded as failed


class SimilarityConfig(SectionConfig):
    """Overrides of ``configs/similarity.yaml`` (see that file for every key)."""

    encoder: Optional[dict[str, Any]] = None
    hybrid: Optional[dict[str, Any]] = None
    text: Optional[dict[str, Any]] = None
    themes: Optional[dict[str, Any]] = None
    index: Optional[dict[str, Any]] = None


SECTION_MODELS: dict[str, type[SectionConfig]] = {
    "pipeline": PipelineSection,
    "ingest": IngestConfig,
    "similarity": SimilarityConfig,
}


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` merged into a copy of ``base``: mappings merge key by key, anything else replaces."""
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read_yaml(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must contain a YAML mapping")
    return data


def section_model(name: str) -> type[BaseModel] | None:
    """The typed model of config section ``name`` (None: a stage without one)."""
    if name in SECTION_MODELS:
        return SECTION_MODELS[name]
    from .stages import registered, stage_class

    if name in registered():
        return getattr(stage_class(name), "config_model", None)
    return None


def check_config(config: dict[str, Any], source: str = "the configuration") -> None:
    """Raise :class:`ConfigError` for an unknown section or key, or a value of the wrong type."""
    from .stages import registered

    known = set(SECTION_MODELS) | set(registered())
    for name in config:
        if name not in known:
            raise ConfigError(f"unknown section {name!r} in {source}; known sections: {', '.join(sorted(known))}")
    for name, value in config.items():
        model = section_model(name)
        if value is None or model is None:
            continue
        if not isinstance(value, dict):
            raise ConfigError(f"section {name!r} in {source} must be a mapping, not {type(value).__name__}")
        try:
            model.model_validate(value)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join([name, *map(str, err["loc"])])
            if err["type"] == "extra_forbidden":
                keys = ", ".join(model.model_fields)
                raise ConfigError(f"unknown key {where!r} in {source}; known keys of {name!r}: {keys}") from None
            raise ConfigError(f"{where} in {source}: {err['msg']}") from None


def load_config(path: Optional[str | Path] = None, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The default config, deep-merged with the YAML file at ``path`` if given, checked.

    ``exclude`` drops stages by name (like spaCy's ``exclude``).
    """
    config = _read_yaml(repo_path(DEFAULT_CONFIG))
    source = DEFAULT_CONFIG
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise FileNotFoundError(f"config file not found: {p}")
        config = deep_merge(config, _read_yaml(p))
        source = f"{DEFAULT_CONFIG} + {p}"
    check_config(config, source)
    unknown = set(exclude) - set(config["pipeline"]["stages"])
    if unknown:
        raise ConfigError(f"cannot exclude unknown stage(s): {', '.join(sorted(unknown))}")
    config["pipeline"]["stages"] = [s for s in config["pipeline"]["stages"] if s not in exclude]
    return config


def stage_config(name: str, config: dict[str, Any]) -> BaseModel | None:
    """Section ``name`` of ``config`` as its typed model, defaults filled in."""
    model = section_model(name)
    return None if model is None else model.model_validate(config.get(name) or {})
