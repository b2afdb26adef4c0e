"""Metadata stage: typed, normalised fields the document states (never guessed)."""

from __future__ import annotations

from typing import Any

from ..config import SectionConfig
from ..record import Record
from ..stages import register
from .extract import MetadataExtractor


class MetadataConfig(SectionConfig):
    labels: str = "configs/labels.yaml"  # label lines and their fields
    regions: str = "configs/regions.yaml"  # region names and municipalities


@register("metadata")
class MetadataStage:
    """Fill ``record.metadata``, ``record.title`` and ``record.id``."""

    reads = ("text", "title", "sha256")
    writes = ("metadata", "title", "id")
    config_model = MetadataConfig

    def __init__(self, config: dict[str, Any]):
        cfg = MetadataConfig.model_validate(config or {})
        self.extractor = MetadataExtractor.from_files(cfg.labels, cfg.regions)

    def __call__(self, record: Record) -> Record:
        meta, title = self.extractor.extract(record.text, title_hint=record.title)
        from .ids import make_id

        return record.model_copy(
            update={"metadata": meta, "title": title, "id": make_id(meta.project_number, title, record.sha256)}
        )
