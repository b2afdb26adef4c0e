"""Lexical side of the index: hashed counts of Snowball stems and of character 4-grams.

Raw counts are stored per document (a sparse row in a 2**20-column hashed
space), so documents can be added or replaced one at a time; the TF-IDF
weighting (sublinear tf, smoothed idf, L2 norm, as scikit-learn's
``TfidfVectorizer(sublinear_tf=True)``) is recomputed from the stored counts
whenever the index is loaded, so IDF always reflects the current corpus and
never needs a separate refit.

Memory per document is bounded by design: every text is cut to
``MAX_TEXT_CHARS`` and every token to ``MAX_TOKEN_CHARS`` before it is
tokenised (:func:`cap_text`), so a pasted megabyte of base64 costs no more
than a page of prose.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter

import numpy as np
import scipy.sparse as sp

from .text import stems

N_FEATURES = 1 << 20
_MASK = N_FEATURES - 1
MAX_TOKEN_CHARS = 30
MAX_TEXT_CHARS = 40_000
CHAR_NGRAMS = (4, 4)
_LONG_TOKEN = re.compile(rf"\S{{{MAX_TOKEN_CHARS + 1},}}")


def cap_text(text: str, max_chars: int = MAX_TEXT_CHARS, max_token: int = MAX_TOKEN_CHARS) -> str:
    """The first ``max_chars`` characters, every whitespace-free run cut to ``max_token`` characters.

    The text is cut before the token pass (a bounded amount of work), and once more after it.
    """
    text = text[: max_chars * 2]
    if max_token == MAX_TOKEN_CHARS:
        text = _LONG_TOKEN.sub(lambda m: m.group(0)[:max_token], text)
    else:
        text = re.sub(rf"\S{{{max_token + 1},}}", lambda m: m.group(0)[:max_token], text)
    return text[:max_chars]


def _feature(stem: str) -> int:
    return zlib.crc32(stem.encode("utf-8")) & _MASK


def _csr(counters: list[Counter]) -> sp.csr_matrix:
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for c in counters:
        keys = sorted(c)
        indices.extend(keys)
        data.extend(c[k] for k in keys)
        indptr.append(len(indices))
    return sp.csr_matrix(
        (np.asarray(data, dtype=np.float32), np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int64)),
        shape=(len(counters), N_FEATURES),
    )


def count_rows(texts: list[str]) -> sp.csr_matrix:
    """Hashed stem counts, one CSR row per text (texts capped by :func:`cap_text`)."""
    return _csr([Counter(_feature(s) for s in stems(cap_text(t))) for t in texts])


_TOKEN_RE = re.compile(r"\w+", re.UNICODE)
_NGRAM_CACHE: dict[str, tuple[int, ...]] = {}


def _word_ngrams(w: str) -> tuple[int, ...]:
    """Hashed character n-grams of one word padded with spaces (" word "), as scikit-learn's ``char_wb``."""
    hit = _NGRAM_CACHE.get(w)
    if hit is None:
        p = f" {w} "
        lo, hi = CHAR_NGRAMS
        grams = [p[i : i + n] for n in range(lo, hi + 1) for i in range(len(p) - n + 1)] or [p]
        hit = tuple(zlib.crc32(g.encode("utf-8")) & _MASK for g in grams)
        if len(_NGRAM_CACHE) > 500_000:
            _NGRAM_CACHE.clear()
        _NGRAM_CACHE[w] = hit
    return hit


def char_rows(texts: list[str]) -> sp.csr_matrix:
    """Hashed character 4-gram (within words) counts, one CSR row per text (capped by :func:`cap_text`).

    Char n-grams inside word boundaries: Swedish compounds share their parts
    ("arbetsmarknadsinsats" ~ "arbetsmarknaden"). The n-grams of each distinct word are
    computed once and cached, so a document costs about one dictionary lookup per word.
    """
    rows: list[int] = []
    cols: list[int] = []
    vals: list[int] = []
    for r, t in enumerate(texts):
        for w, k in Counter(_TOKEN_RE.findall(cap_text(t).lower())).items():
            f = _word_ngrams(w)
            cols.extend(f)
            vals.extend([k] * len(f))
            rows.extend([r] * len(f))
    m = sp.csr_matrix(
        (np.asarray(vals, np.float32), (np.asarray(rows, np.int64), np.asarray(cols, np.int64))),
        shape=(len(texts), N_FEATURES),
    )  # duplicates (an n-gram in several words) are summed
    m.sum_duplicates()
    m.sort_indices()
    m.indices = m.indices.astype(np.int32)
    m.indptr = m.indptr.astype(np.int64)
    return m


def idf_from_counts(counts: sp.csr_matrix) -> np.ndarray:
    n = counts.shape[0]
    df = np.bincount(counts.indices, minlength=N_FEATURES).astype(np.float32)
    return (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)


def tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    m = counts.astype(np.float32, copy=True)
    m.data = 1.0 + np.log(m.data)
    m.data *= idf[m.indices]
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.diags(1.0 / norms).dot(m).tocsr()


def prune_row(row: sp.csr_matrix, max_features: int) -> sp.csr_matrix:
    """Keep the ``max_features`` largest weights of a 1-row tf-idf vector, re-normalised to unit length.

    The rarest, most telling features of a document carry most of its cosine to others; a pruned
    query touches fewer postings, which keeps queries by id fast on large indexes.
    """
    if max_features <= 0 or row.nnz <= max_features:
        return row
    keep = np.argpartition(-row.data, max_features - 1)[:max_features]
    keep.sort()
    data = row.data[keep]
    data = data / (np.sqrt((data**2).sum()) or 1.0)
    return sp.csr_matrix((data.astype(np.float32), row.indices[keep], np.array([0, len(keep)])), shape=row.shape)
