"""NER stage: organisations, people and places (see :mod:`pipeline.ner.stage`)."""

from .rules import PRIO_GAZ
from .stage import DEFAULT_MODEL, NerConfig, NerStage, load_model, model_pieces, sentence_spans

__all__ = ["NerStage", "NerConfig", "load_model", "model_pieces", "sentence_spans", "DEFAULT_MODEL", "PRIO_GAZ"]
