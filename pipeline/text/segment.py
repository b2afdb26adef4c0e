"""The ``segment`` stage: sentence spans computed once and written to ``record.sentences``.

Later stages (NER, themes, summary) read the spans instead of splitting the text again.
"""

from __future__ import annotations

from pipeline.config import SectionConfig
from pipeline.record import Record, Span
from pipeline.stages import register

from .sentences import split_sentences


class SegmentConfig(SectionConfig):
    """The segment stage has no settings (the splitter's rules are in pipeline.text.sentences)."""


@register("segment")
class Segmenter:
    """Split the cleaned text into sentences (:func:`pipeline.text.split_sentences`)."""

    reads = ("text",)
    writes = ("sentences",)
    config_model = SegmentConfig

    def __init__(self, config: dict | None = None):
        self.config = SegmentConfig.model_validate(config or {})

    def __call__(self, record: Record) -> Record:
        spans = [Span(start=s.start, end=s.end) for s in split_sentences(record.text)]
        return record.model_copy(update={"sentences": spans})
