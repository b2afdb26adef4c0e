"""The per-document pipeline: ingest a file, then run the configured stages.

    >>> from pipeline import Pipeline
    >>> nlp = Pipeline.from_config()
    >>> record = nlp.process_file("corpus/old_projektbank_1.txt")
    >>> record = nlp.process_text("Projektet Nya steg vänder sig till unga i Kalmar …")
    >>> record = nlp.process_bytes(html_bytes, "html", source="https://…")

``process_file`` is a pure function of the file and the configuration, so a
batch can be mapped over any executor (process pool, Dask, Ray). The stage
order is checked when the pipeline is built (:func:`pipeline.stages.check_order`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from . import __version__
from .config import load_config
from .errors import IngestError, StageError
from .ingest import RawDocument, check_size, format_of, parse_bytes, read_document
from .record import Record
from .stages import check_order, create

__all__ = ["Pipeline", "StageError"]


class Pipeline:
    def __init__(self, config: dict[str, Any]):
        self.config = config
        self.stage_names: list[str] = list(config["pipeline"]["stages"])
        check_order(self.stage_names)
        self.stages = [(name, create(name, config.get(name) or {})) for name in self.stage_names]
        self.max_chars = int((config.get("ingest") or {}).get("max_chars", 2_000_000))

    @classmethod
    def from_config(cls, path: Optional[str | Path] = None, exclude: tuple[str, ...] = ()) -> Pipeline:
        return cls(load_config(path, exclude))

    def process_file(self, path: str | Path) -> Record:
        """Read, clean and analyse one document. Raises IngestError/StageError."""
        return self.process_raw(read_document(path, self.config.get("ingest")))

    def process_bytes(self, data: bytes, format: str, source: str = "<bytes>") -> Record:
        """One document's bytes from somewhere other than a file (a download, a database):
        ``format`` is txt, html, pdf, docx, odt or rtf (a suffix such as ``".htm"`` works too);
        ``source`` is the name the record carries. Raises ValueError for an unknown format,
        IngestError/StageError as :meth:`process_file` does."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"process_bytes takes bytes, not {type(data).__name__}; use process_text for a str")
        fmt = format_of(format)
        data = bytes(data)
        check_size(len(data), self.config.get("ingest"))
        return self.process_raw(parse_bytes(data, fmt, source))

    def process_text(self, text: str, source: str = "<text>", format: str = "txt") -> Record:
        """A document already in a string: plain text, or HTML with ``format="html"``."""
        if not isinstance(text, str):
            raise TypeError(f"process_text takes a str, not {type(text).__name__}; use process_bytes for bytes")
        if format_of(format) not in ("txt", "html"):
            raise ValueError(f"process_text reads txt or html, not {format!r}; use process_bytes for binary formats")
        return self.process_bytes(text.encode("utf-8"), format, source)

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
        for name, stage in self.stages:
            try:
                record = stage(record)
            except Exception as exc:  # one bad document must not stop a batch
                raise StageError(name, exc) from exc
            if "text" in stage.writes:
                self.check_text(record)
        return record

    def check_text(self, record: Record) -> None:
        """After a stage that rewrites the text: something must be left, and not too much."""
        if not record.text.strip():
            raise IngestError("empty", "no text left after removing page furniture")
        if len(record.text) > self.max_chars:
            raise IngestError(
                "too_large",
                f"cleaned text has {len(record.text):,} characters, over ingest.max_chars={self.max_chars:,}",
            )
