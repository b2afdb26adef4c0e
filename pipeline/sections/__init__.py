"""Sections stage: the cleaned text split into canonical sections (see :mod:`pipeline.sections.stage`)."""

from .split import SectionSplitter
from .stage import SectionsConfig, SectionStage, split_sections

__all__ = ["SectionStage", "SectionsConfig", "SectionSplitter", "split_sections"]
