"""Tokenising: lower-cased word tokens (letter runs with inner hyphens), fast and identical
at index and query time."""

from __future__ import annotations

import re

from .stopwords import STOPWORDS

WORD_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-cased word tokens: ``"ESF-rådet stödjer 12 unga"`` -> ``["esf-rådet", "stödjer", "unga"]``."""
    return WORD_RE.findall(text.lower())


def content_words(text: str) -> list[str]:
    """Word tokens longer than one letter that are not stop words."""
    return [w for w in words(text) if len(w) > 1 and w not in STOPWORDS]
