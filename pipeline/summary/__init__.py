"""Stage ``summary``: fills ``record.summary`` with 2-4 Swedish sentences.

Config: ``configs/summary.yaml`` (merged under the config the pipeline passes).
"""

from __future__ import annotations

from typing import Any, Optional

from ..config import SectionConfig
from ..paths import repo_path
from ..record import Record
from ..stages import register
from .summarizer import DEFAULTS, Summarizer, metadata_sentence

__all__ = ["SummaryStage", "Summarizer", "DEFAULTS", "metadata_sentence", "load_config"]


def load_config(path: str = "configs/summary.yaml") -> dict[str, Any]:
    p = repo_path(path)
    if not p.exists():
        return {}
    import yaml

    return yaml.safe_load(p.read_text(encoding="utf-8")) or {}


class SummaryConfig(SectionConfig):
    """Settings of the ``summary`` stage, merged over configs/summary.yaml; None: the default."""

    min_sentences: Optional[int] = None
    max_sentences: Optional[int] = None
    max_words: Optional[int] = None
    use_existing_summary: Optional[bool] = None
    metadata_sentence: Optional[bool] = None
    name_project: Optional[bool] = None
    section_weights: Optional[dict[str, float]] = None
    skip_sections: Optional[list[str]] = None
    weights: Optional[dict[str, float]] = None
    model: Optional[str] = None
    prefer_sections: Optional[list[str]] = None


@register("summary")
class SummaryStage:
    """An extractive Swedish summary: 2-4 sentences on purpose, target group and goals."""

    reads = ("text", "title", "sections", "metadata")
    writes = ("summary",)
    config_model = SummaryConfig

    def __init__(self, config: dict[str, Any] | None = None):
        cfg = {**load_config(), **(config or {})}
        self.summarizer = Summarizer(cfg)

    def __call__(self, record: Record) -> Record:
        return record.model_copy(update={"summary": self.summarizer.summarise(record)})
