"""The pipeline's error kinds, under one base class.

Catch :class:`PipelineError` to handle any failure the pipeline reports on purpose;
each error has a stable, machine-readable ``kind`` (what lands in ``errors.jsonl``)
and a ``message`` for people.
"""

from __future__ import annotations


class PipelineError(Exception):
    """Base class of every error the pipeline raises on purpose."""

    kind: str = "error"

    def __init__(self, message: str = "", kind: str | None = None):
        super().__init__(message)
        self.message = message
        if kind is not None:
            self.kind = kind


class ConfigError(PipelineError, ValueError):
    """A configuration that cannot work: unknown key or stage, bad value, wrong stage order."""

    kind = "config"


class StageOrderError(ConfigError):
    """A stage reads a record field that no earlier stage (nor ingest) writes."""

    kind = "stage_order"


class IngestError(PipelineError):
    """A document that cannot be read; ``kind`` is a stable machine-readable code."""

    def __init__(self, kind: str, message: str):
        super().__init__(message, kind)


class StageError(PipelineError):
    """A stage failed on one document (the batch goes on)."""

    def __init__(self, stage: str, exc: BaseException):
        super().__init__(f"stage {stage!r} failed: {type(exc).__name__}: {exc}", f"stage_failed:{stage}")
        self.stage = stage


class OutputLocked(PipelineError, RuntimeError):
    """Another process is writing to the same output folder."""

    kind = "output_locked"


class ClusterUnavailable(PipelineError, RuntimeError):
    """The cluster options were used but Dask distributed is not installed."""

    kind = "cluster_unavailable"
