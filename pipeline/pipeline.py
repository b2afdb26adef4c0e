"""The per-document pipeline: ingest a file, then run the configured stages.

    >>> from pipeline import Pipeline
    >>> nlp = Pipeline.from_config()
    >>> record = nlp.process_file("corpus/old_projektbank_1.txt")

``process_file`` is a pure function of the file and the configuration, so a
batch can be mapped over any executor (process pool, Dask, Ray).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from . import __version__
from .config import load_config
from .ingest import IngestError, RawDocument, read_document
from .record import Record
from .stages import create


class StageError(Exception):
    def __init__(self, stage: str, exc: BaseException):
        super().__init__(f"stage {stage!r} failed: {type(exc).__name__}: {exc}")
        self.kind = f"stage_failed:{stage}"
        self.message = str(self)


class Pipeline:
    def __init__(self, config: dict[str, Any]):
        self.config = config
        self.stage_names: list[str] = list(config["pipeline"]["stages"])
        self.stages = [(name, create(name, config.get(name) or {})) for name in self.stage_names]

    @classmethod
    def from_config(cls, path: Optional[str | Path] = None, exclude: tuple[str, ...] = ()) -> "Pipeline":
        return cls(load_config(path, exclude))

    def process_file(self, path: str | Path) -> Record:
        """Read, clean and analyse one document. Raises IngestError/StageError."""
        return self.process_raw(read_document(path, self.config.get("ingest")))

    def process_raw(self, raw: RawDocument) -> Record:
        record = Record(
            id=f"sha256-{raw.sha256[:12]}",
            source=raw.source,
            sha256=raw.sha256,
            format=raw.format,
            title=raw.title_hint,
            text=raw.text,
            pipeline_version=__version__,
        )
        return self(record)

    def __call__(self, record: Record) -> Record:
        max_chars = int((self.config.get("ingest") or {}).get("max_chars", 2_000_000))
        for name, stage in self.stages:
            try:
                record = stage(record)
            except Exception as exc:  # one bad document must not stop a batch
                raise StageError(name, exc) from exc
            if name == "clean":
                if not record.text.strip():
                    raise IngestError("empty", "no text left after removing page furniture")
                if len(record.text) > max_chars:
                    raise IngestError(
                        "too_large", f"cleaned text has {len(record.text):,} characters, over ingest.max_chars={max_chars:,}"
                    )
        return record
