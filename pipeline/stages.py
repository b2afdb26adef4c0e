"""Stage registry: each stage is a small class, registered by name, that declares the
record fields it reads and writes (as Sparv's annotators and spaCy's factories do)::

    @register("sections")
    class SectionStage:
        reads = ("text", "title")
        writes = ("sections",)
        config_model = SectionsConfig       # typed default config (pydantic), optional

        def __init__(self, config: dict): ...
        def __call__(self, record: Record) -> Record: ...

A stage is built once per worker from its config section (models loaded in
``__init__``) and then called as a pure function of a record. The pipeline
(:class:`pipeline.pipeline.Pipeline`) runs the stages named in
``configs/pipeline.yaml`` in order and checks, before any document, that every
field a stage reads is written by ingest or an earlier stage. No stage keeps
state between records.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import ConfigError, StageOrderError
from .record import Record

# Record fields a document has straight from ingest, before any stage.
INGEST_WRITES = ("id", "source", "sha256", "format", "title", "text", "pipeline_version", "schema_version")

# The packages whose import registers the built-in stages.
BUILTIN_STAGE_MODULES = ("clean", "text.segment", "metadata", "sections", "ner", "themes", "summary")


class Stage(Protocol):
    name: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]

    def __call__(self, record: Record) -> Record: ...


_REGISTRY: dict[str, Callable[[dict[str, Any]], Stage]] = {}


def register(name: str):
    """Class decorator: make a stage available under ``name``. The class must declare
    ``reads`` and ``writes``, tuples of :class:`~pipeline.record.Record` field names."""

    def deco(cls):
        fields = set(Record.model_fields)
        for attr in ("reads", "writes"):
            declared = getattr(cls, attr, None)
            if declared is None:
                raise TypeError(f"stage {name!r} ({cls.__qualname__}) must declare {attr} = (record fields, …)")
            unknown = sorted(set(declared) - fields)
            if unknown:
                raise TypeError(f"stage {name!r} declares {attr} {unknown}: not fields of Record")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return deco


def _import_builtin_stages() -> None:
    # Importing the stage packages runs their @register decorators.
    for mod in BUILTIN_STAGE_MODULES:
        importlib.import_module(f"pipeline.{mod}")


def stage_class(name: str):
    """The registered class (factory) of stage ``name``."""
    _import_builtin_stages()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise ConfigError(f"unknown stage {name!r}; registered stages: {known}") from None


def create(name: str, config: dict[str, Any] | None = None) -> Stage:
    return stage_class(name)(config or {})


def registered() -> list[str]:
    _import_builtin_stages()
    return sorted(_REGISTRY)


@dataclass(frozen=True)
class StageInfo:
    name: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    doc: str


def describe(names: list[str]) -> list[StageInfo]:
    """What each of the stages ``names`` reads and writes, in that order."""
    out = []
    for name in names:
        cls = stage_class(name)
        doc = (cls.__doc__ or "").strip().split("\n")[0]
        out.append(StageInfo(name, tuple(cls.reads), tuple(cls.writes), doc))
    return out


def check_order(names: list[str]) -> None:
    """Raise :class:`StageOrderError` when a stage reads a field that neither ingest nor an
    earlier stage writes, naming the field and the stage(s) that write it."""
    available = set(INGEST_WRITES)
    for i, info in enumerate(describe(names)):
        for field in info.reads:
            if field in available:
                continue
            writers = [n for n in registered() if field in stage_class(n).writes]
            later = [n for n in writers if n in names[i + 1 :]]
            if later:
                hint = (
                    f"it is written by stage {later[0]!r}, which comes after it: put {later[0]!r} before {info.name!r}"
                )
            elif writers:
                hint = f"it is written by stage {' or '.join(map(repr, writers))}, which is not in the pipeline: add it before {info.name!r}"
            else:
                hint = "no registered stage writes it"
            raise StageOrderError(
                f"stage {info.name!r} reads record field {field!r}, but no earlier stage writes it; {hint} "
                f"(configured order: {', '.join(names)})"
            )
        available.update(info.writes)
