"""The one Swedish Snowball stemmer (PyStemmer), loaded once per process."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache


@lru_cache(maxsize=1)
def stemmer():
    """The process-wide ``Stemmer.Stemmer("swedish")``."""
    import Stemmer  # PyStemmer (Snowball)

    return Stemmer.Stemmer("swedish")


def stem(words: Iterable[str]) -> list[str]:
    """Stems of ``words``, in order: ``["kvinnorna", "utbildningar"]`` -> ``["kvinn", "utbildning"]``."""
    return stemmer().stemWords(list(words))


def stem_word(word: str) -> str:
    return stemmer().stemWord(word)
