"""Metadata stage: typed, normalised fields the document states (never guessed)."""
from __future__ import annotations

from typing import Any

from ..record import Record
from ..stages import register
from .extract import MetadataExtractor


@register("metadata")
class MetadataStage:
    """Fill ``record.metadata``, ``record.title`` and ``record.id``."""

    reads = ("text", "title", "sha256")
    writes = ("metadata", "title", "id")

    def __init__(self, config: dict[str, Any]):
        self.extractor = MetadataExtractor.from_files(
            config.get("labels", "configs/labels.yaml"), config.get("regions", "configs/regions.yaml")
        )

    def __call__(self, record: Record) -> Record:
        meta, title = self.extractor.extract(record.text, title_hint=record.title)
        from .ids import make_id

        return record.model_copy(
            update={"metadata": meta, "title": title, "id": make_id(meta.project_number, title, record.sha256)}
        )


__all__ = ["MetadataStage", "MetadataExtractor"]
