"""Lexical side of the hybrid: hashed counts of Snowball-stemmed Swedish words.

Raw counts are stored per document (a sparse row in a 2**20-column hashed
space), so documents can be added or replaced one at a time; the TF-IDF
weighting (sublinear tf, smoothed idf, L2 norm, as scikit-learn's
``TfidfVectorizer(sublinear_tf=True)``) is recomputed from the stored counts
whenever the index is loaded, so IDF always reflects the current corpus and
never needs a separate refit.
"""
from __future__ import annotations

import zlib
from collections import Counter

import numpy as np
import scipy.sparse as sp

from .text import stems

N_FEATURES = 1 << 20
_MASK = N_FEATURES - 1


def _feature(stem: str) -> int:
    return zlib.crc32(stem.encode("utf-8")) & _MASK


def count_rows(texts: list[str]) -> sp.csr_matrix:
    """Hashed stem counts, one CSR row per text."""
    indptr = [0]
    indices: list[int] = []
    data: list[int] = []
    for t in texts:
        c = Counter(_feature(s) for s in stems(t))
        keys = sorted(c)
        indices.extend(keys)
        data.extend(c[k] for k in keys)
        indptr.append(len(indices))
    return sp.csr_matrix(
        (np.asarray(data, dtype=np.float32), np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int64)),
        shape=(len(texts), N_FEATURES),
    )


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
