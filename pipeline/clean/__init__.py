"""Clean stage: remove web/PDF furniture, repair glued labels, normalise text.

Everything here is driven by ``configs/clean.yaml`` (furniture patterns) and
``configs/labels.yaml`` (labels that may be glued to their values).
"""
from __future__ import annotations

from typing import Any

from ..record import Record
from ..stages import register
from .rules import CleanRules, clean_text


@register("clean")
class Cleaner:
    """Turn raw extracted text into the record's canonical ``text``."""

    reads = ("text",)
    writes = ("text",)

    def __init__(self, config: dict[str, Any]):
        self.rules = CleanRules.from_files(
            config.get("rules", "configs/clean.yaml"), config.get("labels", "configs/labels.yaml")
        )

    def __call__(self, record: Record) -> Record:
        return record.model_copy(update={"text": clean_text(record.text, self.rules)})


__all__ = ["Cleaner", "CleanRules", "clean_text"]
