"""Sections stage: split the cleaned text into canonical sections.

Headings come from ``configs/sections.yaml``. Three shapes are recognised:
a heading alone on its line ("Bakgrund", "Syfte:"), a heading with its text
on the same line ("Syfte: Att skapa ..."), and, in PDF transcripts, a heading
run into the first sentence of a paragraph ("Bakgrund Projektet ...").
A section runs from its heading to the next heading (or the end of text).
"""
from __future__ import annotations

from typing import Any

from ..record import Record
from ..stages import register
from .split import SectionSplitter


@register("sections")
class SectionStage:
    def __init__(self, config: dict[str, Any]):
        self.splitter = SectionSplitter.from_file(
            config.get("headings", "configs/sections.yaml"), config.get("labels", "configs/labels.yaml")
        )

    def __call__(self, record: Record) -> Record:
        return record.model_copy(update={"sections": self.splitter.split(record.text, title=record.title)})


__all__ = ["SectionStage", "SectionSplitter"]
