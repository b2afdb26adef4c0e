"""Clean stage: remove web/PDF furniture, repair glued labels, normalise text.

Everything here is driven by ``configs/clean.yaml`` (furniture patterns) and
``configs/labels.yaml`` (labels that may be glued to their values).
"""

from __future__ import annotations

from typing import Any

from ..config import SectionConfig
from ..record import Record
from ..stages import register
from .rules import CleanRules, clean_text


class CleanConfig(SectionConfig):
    rules: str = "configs/clean.yaml"  # furniture patterns
    labels: str = "configs/labels.yaml"  # labels that may be glued to their values


@register("clean")
class Cleaner:
    """Turn raw extracted text into the record's canonical ``text``."""

    reads = ("text",)
    writes = ("text",)
    config_model = CleanConfig

    def __init__(self, config: dict[str, Any]):
        cfg = CleanConfig.model_validate(config or {})
        self.rules = CleanRules.from_files(cfg.rules, cfg.labels)

    def __call__(self, record: Record) -> Record:
        return record.model_copy(update={"text": clean_text(record.text, self.rules)})
