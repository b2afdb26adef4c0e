"""Clean stage: remove web/PDF furniture, repair glued labels, normalise text (see :mod:`pipeline.clean.stage`)."""

from .rules import CleanRules, clean_text
from .stage import CleanConfig, Cleaner

__all__ = ["Cleaner", "CleanConfig", "CleanRules", "clean_text"]
