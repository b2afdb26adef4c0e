"""Stage registry: each stage is a small class, registered by name.

A stage is built once per worker from its config section (models loaded in
``__init__``) and then called as a pure function of a record::

    @register("clean")
    class Cleaner:
        def __init__(self, config: dict): ...
        def __call__(self, record: Record) -> Record: ...

The pipeline (``pipeline.pipeline.Pipeline``) runs the stages named in
``configs/pipeline.yaml`` in order. No stage keeps state between records.
"""
from __future__ import annotations

from typing import Any, Callable, Protocol

from .record import Record


class Stage(Protocol):
    name: str

    def __call__(self, record: Record) -> Record: ...


_REGISTRY: dict[str, Callable[[dict[str, Any]], Stage]] = {}


def register(name: str):
    """Class decorator: make a stage available under ``name``."""

    def deco(cls):
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return deco


def create(name: str, config: dict[str, Any] | None = None) -> Stage:
    _import_builtin_stages()
    try:
        factory = _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise KeyError(f"unknown stage {name!r}; registered stages: {known}") from None
    return factory(config or {})


def registered() -> list[str]:
    _import_builtin_stages()
    return sorted(_REGISTRY)


def _import_builtin_stages() -> None:
    # Importing the stage packages runs their @register decorators.
    import importlib

    for mod in ("clean", "text.segment", "metadata", "sections", "ner", "themes", "summary"):
        importlib.import_module(f"pipeline.{mod}")
