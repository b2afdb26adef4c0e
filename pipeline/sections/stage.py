"""Sections stage: split the cleaned text into canonical sections.

Headings come from ``configs/sections.yaml``. Three shapes are recognised:
a heading alone on its line ("Bakgrund", "Syfte:"), a heading with its text
on the same line ("Syfte: Att skapa ..."), and, in PDF transcripts, a heading
run into the first sentence of a paragraph ("Bakgrund Projektet ...").
A section runs from its heading to the next heading (or the end of text).
"""

from __future__ import annotations

import functools
from typing import Any

from ..config import SectionConfig
from ..record import Record
from ..stages import register
from .split import SectionSplitter


class SectionsConfig(SectionConfig):
    headings: str = "configs/sections.yaml"  # canonical sections and their headings
    labels: str = "configs/labels.yaml"  # metadata label lines (never headings)


@register("sections")
class SectionStage:
    """Split the cleaned text into canonical sections (``configs/sections.yaml``)."""

    reads = ("text", "title")
    writes = ("sections",)
    config_model = SectionsConfig

    def __init__(self, config: dict[str, Any]):
        cfg = SectionsConfig.model_validate(config or {})
        self.splitter = SectionSplitter.from_file(cfg.headings, cfg.labels)

    def __call__(self, record: Record) -> Record:
        return record.model_copy(update={"sections": self.splitter.split(record.text, title=record.title)})


def split_sections(text: str, title: str | None = None) -> list:
    """Sections of a text with the default heading config (for stages and
    scripts that get text without a record, e.g. training data)."""
    return _default_splitter().split(text, title=title)


@functools.lru_cache(maxsize=1)
def _default_splitter() -> SectionSplitter:
    return SectionSplitter.from_file("configs/sections.yaml", "configs/labels.yaml")
