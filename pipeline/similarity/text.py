"""Text helpers shared by the encoders, the lexical index and the summariser.

Tokenisation is deliberately simple (lower-cased letter runs) so that it is
fast (~1 ms for a 350-word document) and identical at index and query time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..text import STOPWORDS, stem

WORD_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-cased word tokens (letters and inner hyphens)."""
    return WORD_RE.findall(text.lower())


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if len(w) > 1 and w not in STOPWORDS]


def stems(text: str) -> list[str]:
    """Snowball-stemmed content words (the pipeline's one Swedish stemmer, ``pipeline.text``)."""
    return stem(content_words(text))


def stem_words(ws: Iterable[str]) -> list[str]:
    return stem(ws)


def truncate_words(text: str, n: int) -> str:
    if n <= 0:
        return text
    parts = text.split()
    return text if len(parts) <= n else " ".join(parts[:n])
