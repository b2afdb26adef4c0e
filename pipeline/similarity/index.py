"""Similar-project index: what a project is about, saved with a run's output.

A project is represented by its *content* — the title and the prose lines of the
document (purpose, goals, target group, background, activities) — not by its page
furniture or metadata block (label lines, contact details, short menu lines are
left out, and so are the horizontal-principle sections named in ``text.skip_sections``).
Three signals are computed from that content text:

* ``chars``  TF-IDF over character 4-grams (within words) — Swedish compounds
  share their parts ("arbetsmarknadsinsats" ~ "arbetsmarknaden");
* ``words``  TF-IDF over Snowball-stemmed content words;
* ``themes`` the theme-lexicon profile (``themevec.py``): how much the text speaks of each
  theme of ``configs/themes.yaml`` (target groups, kinds of intervention). A free-text
  query gets the same profile, i.e. it is expanded with the theme lexicon;
* ``dense``  optionally, a dense encoder (``encoder.type``; off by default: on real pages
  it added nothing, see ``scripts/eval_retrieval.py``).

``score = sum_k w_k * cos_k / sum_k w_k`` over the signals with a weight
(``hybrid.weights``; every cosine is between 0 and 1, so the score is too: 1 = the same
content, 0 = nothing in common), minus an optional hubness correction; then neighbourhood
smoothing: ``(score + a * mean(score over N(d))) / (1 + a)`` with ``a = hybrid.diffusion``, so a
document whose nearest neighbours match the query rises with them; then k-reciprocal
re-ranking: ``(1 - r) * score + r * jaccard(N(q), N(d))`` with ``r = hybrid.reciprocal`` and
``N(x)`` a document's ``hybrid.hubness_k`` nearest neighbours plus itself (for a free-text
query: its own k best), so projects that share their neighbourhood with the query rise;
clipped to [0, 1].

Layout of ``index_dir``::

    meta.json    format version, signature, config snapshot, one entry per document
                 (id, sha256, title, region, themes, period years) in row order
    counts.npz   scipy CSR (n, 2**20) hashed stem counts (see lexical.py)
    chars.npz    scipy CSR (n, 2**20) hashed character n-gram counts
    themes.npy   float32 (n, n_themes) theme-lexicon profiles
    dense.npy    float32 (n, dim), L2-normalised dense vectors (only with an encoder)
    hnsw.bin     hnswlib graph over dense.npy, only with an encoder and n > index.exact_max
    hub.npz      per-document nearest neighbours and hubness, cached per document (id, sha256)
                 (only when hybrid.hubness, hybrid.diffusion or hybrid.reciprocal > 0)

Updates are incremental: a record whose (id, sha256) is already stored is not
re-embedded (its metadata is refreshed); new or changed records are embedded
and appended or replaced in place. The stored counts are the cache; IDF is recomputed
from them at load. If the signature (encoder, theme lexicon, text settings) changes,
every document is re-embedded (texts are not stored, so pass all records once).

Memory per document is bounded: the content text is cut to ``text.max_words`` words and
``lexical.MAX_TEXT_CHARS`` characters and every token to ``lexical.MAX_TOKEN_CHARS``
characters before any tokeniser or encoder sees it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..config import deep_merge
from ..paths import repo_path
from ..record import Record
from . import lexical
from .encoders import Encoder, build_encoder
from .text import truncate_words
from .themevec import ThemeProfiler

FORMAT_VERSION = 3  # 3: the content text starts with the project's name, not a news headline
SIGNALS = ("chars", "words", "themes", "dense")

DEFAULT_CONFIG: dict[str, Any] = {
    "encoder": {"type": "none", "path": "models/embeddings/sv-e5-static", "max_words": 120},
    "hybrid": {
        "weights": {"chars": 1.0, "words": 0.0, "themes": 0.25, "dense": 0.0},
        "center": True,
        "hubness": 0.0,
        "hubness_k": 10,
        "diffusion": 0.0,
        "reciprocal": 0.1,
    },
    "text": {
        "min_line_words": 6,
        "max_words": 1500,
        "dense_max_words": 400,
        "skip_sections": ["accessibility", "gender_equality", "transnational"],
    },
    "themes": {"taxonomy": "configs/themes.yaml"},
    "index": {
        "exact_max": 20000,
        "candidates": 300,
        "query_max_features": 150,
        "hnsw": {"M": 32, "ef_construction": 200, "ef": 400},
    },
}


def load_config(path: str | Path | None = "configs/similarity.yaml", overrides: dict | None = None) -> dict[str, Any]:
    """configs/similarity.yaml merged over the defaults (a missing file gives the defaults)."""
    cfg: dict[str, Any] = {}
    if path is not None:
        p = repo_path(path)
        if p.exists():
            import yaml

            cfg = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    return deep_merge(deep_merge(DEFAULT_CONFIG, cfg), overrides or {})


def signal_weights(config: dict, has_dense: bool) -> dict[str, float]:
    """Positive weights of the signals in use (dense only when the index has dense vectors)."""
    w = {k: float((config["hybrid"].get("weights") or {}).get(k, 0.0) or 0.0) for k in SIGNALS}
    if not has_dense:
        w["dense"] = 0.0
    return {k: v for k, v in w.items() if v > 0}


# --------------------------------------------------------------------------- texts
def record_title(record: Record) -> str:
    if record.title:
        return record.title.strip()[:300]
    for line in record.text[:2000].splitlines():
        if line.strip():
            return line.strip()[:120]
    return record.id


_SENT_END = re.compile(r"[.!?:;]\s*$")


def content_text(record: Record, config: dict) -> str:
    """The project's name (``metadata.project_name``; else the title) plus the prose lines of the
    document: what the project is about. A news item's headline is not used when the text names
    the project: its words ("EU-miljoner till ...") are the news template's, not the project's.

    Lines shorter than ``text.min_line_words`` words (labels, values, menus, headings, contact
    lines) and the sections named in ``text.skip_sections`` are left out. Capped at
    ``text.max_words`` words, ``lexical.MAX_TEXT_CHARS`` characters and tokens of
    ``lexical.MAX_TOKEN_CHARS`` characters, so the work per document is bounded.
    """
    t = config["text"]
    min_words = int(t.get("min_line_words", 6))
    max_words = int(t.get("max_words", 1500))
    skip = set(t.get("skip_sections") or [])
    spans = sorted((s.start, s.end) for s in record.sections if s.key in skip)
    # capped once (long tokens cut; same length, so offsets of the sections still hold before the cut)
    text = lexical.cap_text(record.text, max_chars=lexical.MAX_TEXT_CHARS * 4)
    if len(text) != len(record.text[: lexical.MAX_TEXT_CHARS * 4]):
        spans = []  # tokens were cut: section offsets no longer apply
    parts = [lexical.cap_text(record.metadata.project_name or record_title(record), 300)]
    seen = {parts[0].casefold()}
    n_words = 0
    pos = 0
    for line in text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        if spans and any(a <= start < b for a, b in spans):
            continue
        ws = line.split()
        if len(ws) < min_words:
            continue
        key = " ".join(ws).casefold()
        if key in seen:  # a repeated line (a page header on every page, a body the source repeats) counts once
            continue
        seen.add(key)
        parts.append(" ".join(ws))
        n_words += len(ws)
        if n_words >= max_words:
            break
    if len(parts) == 1:  # no prose line at all: the whole (capped) text
        parts.append(lexical.cap_text(text))
    return lexical.cap_text(truncate_words("\n".join(parts), max_words))


def _doc_meta(record: Record) -> dict[str, Any]:
    md = record.metadata
    themes = sorted({x for th in record.themes for x in (th.id, th.label) if x})
    return {
        "id": record.id,
        "sha256": record.sha256,
        "title": record_title(record),
        "project_name": md.project_name,  # shown beside a headline title; absent in indexes built before it
        "region": md.region,
        "themes": themes,
        "period": [
            md.period_start.year if isinstance(md.period_start, date) else None,
            md.period_end.year if isinstance(md.period_end, date) else None,
        ],
    }


def _with_words(cfg: dict) -> bool:
    """Stem counts are computed only when the words signal has a weight (they cost ~1.5 ms per document)."""
    return float((cfg["hybrid"].get("weights") or {}).get("words", 0) or 0) > 0


def _signature(encoder: Encoder | None, profiler: ThemeProfiler, cfg: dict) -> str:
    text = json.dumps(cfg["text"], sort_keys=True)
    return "|".join(
        [
            encoder.signature if encoder is not None else "none",
            profiler.signature,
            f"chars{lexical.CHAR_NGRAMS}",
            "words" if _with_words(cfg) else "nowords",
            hashlib.sha256(text.encode()).hexdigest()[:8],
        ]
    )


# --------------------------------------------------------------------------- update
def _read_meta(index_dir: Path) -> dict | None:
    p = index_dir / "meta.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else None


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def _save_npy(path: Path, m: np.ndarray) -> None:
    with open(path, "wb") as f:  # a file object: np.save would append ".npy" to the temporary name
        np.save(f, m)


def _save_npz(path: Path, m: sp.csr_matrix) -> None:
    with open(path, "wb") as f:
        sp.save_npz(f, m)


def _empty_counts() -> sp.csr_matrix:
    return sp.csr_matrix((0, lexical.N_FEATURES), dtype=np.float32)


def _replace_rows(m: sp.csr_matrix, rows: np.ndarray, new: sp.csr_matrix) -> sp.csr_matrix:
    n = m.shape[0]
    keep = np.ones(n, dtype=np.float32)
    keep[rows] = 0.0
    place = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, np.arange(len(rows)))), shape=(n, len(rows)))
    out = (sp.diags(keep) @ m + place @ new).tocsr()
    out.eliminate_zeros()
    out.sort_indices()
    return out


def update_index(
    index_dir: Path,
    records: list[Record],
    config: dict | None = None,
    encoder: Encoder | None = None,
    prune: bool = False,
) -> None:
    """Add or replace these records in the index at ``index_dir`` (created if missing).

    Unchanged records (same id and sha256) are not re-embedded. ``config`` is
    merged over configs/similarity.yaml (which is merged over the defaults),
    so ``{}`` means "the shipped configuration". An already built ``encoder``
    may be passed to avoid loading it again. ``prune=True`` also removes
    documents whose id is not among ``records`` (when ``records`` is the whole
    current corpus).
    """
    cfg = load_config("configs/similarity.yaml", config or {})
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    if encoder is None:
        encoder = build_encoder(cfg["encoder"])
    profiler = ThemeProfiler(cfg["themes"]["taxonomy"])
    signature = _signature(encoder, profiler, cfg)

    meta = _read_meta(index_dir)
    if meta is not None and (meta.get("format") != FORMAT_VERSION or meta.get("signature") != signature):
        meta = None  # encoder, lexicon or text settings changed: rebuild from the records given
    docs: list[dict] = meta["docs"] if meta else []
    dim = encoder.dim if encoder is not None else 0
    empty = (np.zeros((0, dim), np.float32), _empty_counts(), _empty_counts(), np.zeros((0, profiler.dim), np.float32))
    if meta:
        try:
            dense = np.load(index_dir / "dense.npy") if dim else empty[0]
            counts = sp.load_npz(index_dir / "counts.npz").tocsr()
            chars = sp.load_npz(index_dir / "chars.npz").tocsr()
            themes = np.load(index_dir / "themes.npy")
        except (OSError, ValueError):
            meta = None
    if (
        not meta
        or (dim and dense.shape[0] != len(docs))
        or counts.shape[0] != len(docs)
        or chars.shape[0] != len(docs)
        or themes.shape != (len(docs), profiler.dim)
    ):
        dense, counts, chars, themes = empty  # missing or inconsistent files: rebuild
        docs, meta = [], None

    if prune and docs:
        wanted = {r.id for r in records}
        keep_rows = np.array([i for i, d in enumerate(docs) if d["id"] in wanted], dtype=np.int64)
        if len(keep_rows) < len(docs):
            docs = [docs[i] for i in keep_rows]
            dense = dense[keep_rows] if dim else dense
            counts, chars, themes = counts[keep_rows], chars[keep_rows], themes[keep_rows]
            meta = None  # row numbers changed: rebuild the hnsw graph
    row_of = {d["id"]: i for i, d in enumerate(docs)}
    todo: dict[str, Record] = {}
    for r in records:
        i = row_of.get(r.id)
        if i is not None and docs[i]["sha256"] == r.sha256:
            docs[i] = _doc_meta(r)  # metadata/themes may have changed
        else:
            todo[r.id] = r  # last version wins when an id repeats
    changed_rows: list[int] = []
    if todo:
        recs = list(todo.values())
        texts = [content_text(r, cfg) for r in recs]
        new_dense = (
            encoder.encode([truncate_words(t, int(cfg["text"].get("dense_max_words", 400))) for t in texts])
            if encoder is not None
            else np.zeros((len(recs), 0), np.float32)
        )
        new_counts = (
            lexical.count_rows(texts)
            if _with_words(cfg)
            else sp.csr_matrix((len(texts), lexical.N_FEATURES), dtype=np.float32)
        )
        new_chars = lexical.char_rows(texts)
        new_themes = profiler.profile(texts)
        replace = [(row_of[r.id], j) for j, r in enumerate(recs) if r.id in row_of]
        append = [j for j, r in enumerate(recs) if r.id not in row_of]
        if replace:
            rows = np.array([i for i, _ in replace])
            js = np.array([j for _, j in replace])
            if dim:
                dense[rows] = new_dense[js]
            counts = _replace_rows(counts, rows, new_counts[js])
            chars = _replace_rows(chars, rows, new_chars[js])
            themes[rows] = new_themes[js]
            for i, j in replace:
                docs[i] = _doc_meta(recs[j])
            changed_rows.extend(rows.tolist())
        if append:
            start = len(docs)
            js = np.array(append)
            if dim:
                dense = np.vstack([dense, new_dense[js]]) if len(dense) else new_dense[js]
            counts = sp.vstack([counts, new_counts[js]]).tocsr()
            chars = sp.vstack([chars, new_chars[js]]).tocsr()
            themes = np.vstack([themes, new_themes[js]]) if len(themes) else new_themes[js]
            docs.extend(_doc_meta(recs[j]) for j in append)
            changed_rows.extend(range(start, start + len(append)))

    out_meta = {
        "format": FORMAT_VERSION,
        # a new build id (so the cached hub scores are recomputed) only when vectors changed
        "build_id": meta["build_id"] if meta and not changed_rows and meta.get("build_id") else uuid.uuid4().hex,
        "signature": signature,
        "encoder": encoder.signature if encoder is not None else "none",
        "dim": dim,
        "themes": profiler.ids,
        "config": cfg,
        "docs": docs,
    }
    if dim:
        _atomic_write(index_dir / "dense.npy", lambda p: _save_npy(p, dense.astype(np.float32)))
    elif (index_dir / "dense.npy").exists():
        (index_dir / "dense.npy").unlink()
    _atomic_write(index_dir / "counts.npz", lambda p: _save_npz(p, counts.astype(np.float32)))
    _atomic_write(index_dir / "chars.npz", lambda p: _save_npz(p, chars.astype(np.float32)))
    _atomic_write(index_dir / "themes.npy", lambda p: _save_npy(p, np.asarray(themes, np.float32)))
    _update_hnsw(index_dir, dense, changed_rows, cfg, rebuild=meta is None)
    _atomic_write(
        index_dir / "meta.json", lambda p: p.write_text(json.dumps(out_meta, ensure_ascii=False), encoding="utf-8")
    )
    if _uses_neighbours(cfg) and docs:
        SimilarIndex.load(index_dir, encoder=encoder)  # computes and saves hub.npz for this build


def _uses_neighbours(cfg: dict) -> bool:
    h = cfg["hybrid"]
    return any(float(h.get(k, 0) or 0) > 0 for k in ("hubness", "diffusion", "reciprocal"))


def _update_hnsw(index_dir: Path, dense: np.ndarray, changed: list[int], cfg: dict, rebuild: bool) -> None:
    path = index_dir / "hnsw.bin"
    n = dense.shape[0]
    if not dense.shape[1:] or not dense.shape[1] or n <= int(cfg["index"]["exact_max"]):
        if path.exists():
            path.unlink()
        return
    import hnswlib

    h = cfg["index"]["hnsw"]
    idx = hnswlib.Index(space="ip", dim=int(dense.shape[1]))
    if path.exists() and not rebuild:
        idx.load_index(str(path), max_elements=max(n, 1))
        if idx.get_current_count() + len(changed) > idx.get_max_elements() or n > idx.get_max_elements():
            idx.resize_index(int(n * 1.25) + 16)
        if changed:
            rows = np.array(sorted(set(changed)))
            idx.add_items(dense[rows], rows, replace_deleted=False)
    else:
        idx.init_index(max_elements=int(n * 1.25) + 16, ef_construction=int(h["ef_construction"]), M=int(h["M"]))
        idx.add_items(dense, np.arange(n))
    tmp = path.with_name("hnsw.bin.tmp")
    idx.save_index(str(tmp))
    os.replace(tmp, path)


# --------------------------------------------------------------------------- query
_PERIOD_RE = re.compile(r"^\s*(\d{4})\s*(?:[-–/]\s*(\d{4}))?\s*$")


def parse_period(value: str) -> tuple[int, int]:
    m = _PERIOD_RE.match(str(value))
    if not m:
        raise ValueError(f"period must look like 2014-2020 or 2015, not {value!r}")
    a = int(m.group(1))
    b = int(m.group(2) or a)
    return (min(a, b), max(a, b))


def _sparse_scores(q: sp.csr_matrix, mat_t: sp.csr_matrix) -> np.ndarray:
    """Dot products of a 1-row query with every document: only the postings of the query's features are read."""
    if not q.nnz:
        return np.zeros(mat_t.shape[1], np.float32)
    return np.asarray(mat_t[q.indices].T @ q.data).ravel()


def _unit_rows(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, np.float32)
    n = np.linalg.norm(m, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return (m / n).astype(np.float32)


class SimilarIndex:
    """A loaded index. ``query_ids`` / ``query_text`` return dicts {"id", "title", "project_name", "score"}, best first.

    ``score`` is between 0 and 1, higher is more similar: the weighted mean of the signals'
    cosines (see the module docstring).
    """

    def __init__(
        self,
        index_dir: Path,
        meta: dict,
        dense: np.ndarray,
        counts: sp.csr_matrix,
        chars: sp.csr_matrix,
        themes: np.ndarray,
        config: dict,
    ):
        self.index_dir = Path(index_dir)
        self.meta = meta
        self.config = config
        self.docs: list[dict] = meta["docs"]
        self.ids = [d["id"] for d in self.docs]
        self.row_of = {d: i for i, d in enumerate(self.ids)}
        has_dense = bool(dense.shape[1:] and dense.shape[1])
        self.weights = signal_weights(config, has_dense)
        total = sum(self.weights.values()) or 1.0
        self.weights = {k: v / total for k, v in self.weights.items()}
        # Centre the dense vectors on the corpus mean (shrunk towards 0 for small corpora): static and
        # e5 vectors share a large common component that makes every document look alike.
        self.mu = np.zeros(dense.shape[1] if has_dense else 0, np.float32)
        if has_dense and dense.shape[0] and config["hybrid"].get("center", True):
            n = dense.shape[0]
            self.mu = (dense.mean(axis=0) * (n / (n + 20.0))).astype(np.float32)
        self.dense = self._centre(dense) if has_dense else dense
        self.w = self.weights.get("dense", 0.0)
        self.idf = lexical.idf_from_counts(counts)
        self.lex = lexical.tfidf(counts, self.idf)
        self.lex_t = self.lex.T.tocsr()
        self.char_idf = lexical.idf_from_counts(chars)
        self.chars = lexical.tfidf(chars, self.char_idf)
        self.chars_t = self.chars.T.tocsr()
        self.themes = _unit_rows(themes)
        self._encoder: Encoder | None = None
        self._profiler: ThemeProfiler | None = None
        self._hnsw = None
        self._regions = np.array([(d.get("region") or "").lower() for d in self.docs], dtype=object)
        self._p0 = np.array(
            [np.nan if (d.get("period") or [None])[0] is None else d["period"][0] for d in self.docs], dtype=float
        )
        self._p1 = np.array(
            [np.nan if (d.get("period") or [None, None])[1] is None else d["period"][1] for d in self.docs], dtype=float
        )
        if (
            has_dense
            and (self.index_dir / "hnsw.bin").exists()
            and self.dense.shape[0] > int(config["index"]["exact_max"])
        ):
            import hnswlib

            self._hnsw = hnswlib.Index(space="ip", dim=int(self.dense.shape[1]))
            self._hnsw.load_index(str(self.index_dir / "hnsw.bin"))
            self._hnsw.set_ef(int(config["index"]["hnsw"]["ef"]))
        self.beta = float(config["hybrid"].get("hubness", 0.0) or 0.0)
        self.lam = float(config["hybrid"].get("reciprocal", 0.0) or 0.0)
        self.diff = float(config["hybrid"].get("diffusion", 0.0) or 0.0)
        self.k_nbr = max(1, int(config["hybrid"].get("hubness_k", 10)))
        self.hub = np.zeros(len(self.docs), np.float32)
        self.nbr: sp.csr_matrix | None = None
        self.nbr_mean: sp.csr_matrix | None = None
        if (self.beta > 0 or self.lam > 0 or self.diff > 0) and len(self.docs) > 1:
            hub, nbrs = self._load_or_compute_hub(self.k_nbr)
            self.hub = (hub - hub.mean()).astype(np.float32) if self.beta > 0 else self.hub  # relative: ranks unchanged
            if self.lam > 0 or self.diff > 0:
                n = len(self.docs)
                rows = np.repeat(np.arange(n), nbrs.shape[1])
                cols = nbrs.ravel()
                ok = cols >= 0
                m = sp.csr_matrix((np.ones(int(ok.sum()), np.float32), (rows[ok], cols[ok])), shape=(n, n))
                self.nbr = (m + sp.identity(n, dtype=np.float32, format="csr")).tocsr()  # a document is in its own set
                self.nbr.data[:] = 1.0
                self.nbr_t = self.nbr.T.tocsr()
                self.nbr_size = np.asarray(self.nbr.sum(axis=1)).ravel()
                # row d: 1/|N(d)| at d's neighbours and d itself, so nbr_mean @ s = mean score over N(d)
                self.nbr_mean = (sp.diags(1.0 / np.maximum(self.nbr_size, 1.0)).astype(np.float32) @ self.nbr).tocsr()

    # -- hubness correction -------------------------------------------------
    def _load_or_compute_hub(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Each document's k nearest neighbours (row numbers, -1 = none) and its mean score to them
        (CSLS-style hubness), cached in hub.npz.

        The cache is keyed by (id, sha256) per document: after an update that changed at most a tenth
        of the documents only the new or changed ones are computed (the others' values move little
        when a few documents join a large index); otherwise all are recomputed.
        """
        path = self.index_dir / "hub.npz"
        build = str(self.meta.get("build_id", ""))
        keys = np.array([f"{d['id']}\x00{d['sha256']}" for d in self.docs])
        n = len(self.docs)
        kk = max(1, min(k, n - 1))
        hub = np.full(n, np.nan, np.float32)
        nbrs = np.full((n, kk), -1, np.int64)
        if path.exists():
            try:
                z = np.load(path)
                if int(z["k"]) == k and "nbr_keys" in z and z["nbr_keys"].shape[1:] == (kk,):
                    if str(z["build_id"]) == build and len(z["hub"]) == n:
                        row = {x: i for i, x in enumerate(keys.tolist())}
                        return z["hub"].astype(np.float32), np.vectorize(lambda x: row.get(x, -1), otypes=[np.int64])(
                            z["nbr_keys"]
                        )
                    row = {x: i for i, x in enumerate(keys.tolist())}
                    old = {
                        x: (h, nk) for x, h, nk in zip(z["keys"].tolist(), z["hub"].tolist(), z["nbr_keys"].tolist())
                    }
                    for i, x in enumerate(keys.tolist()):
                        if x in old:
                            hub[i] = old[x][0]
                            nbrs[i] = [row.get(y, -1) for y in old[x][1]]
            except Exception:  # noqa: BLE001 - a broken cache is recomputed
                hub[:] = np.nan
        todo = np.flatnonzero(np.isnan(hub))
        if len(todo) > 0.1 * n:
            todo = np.arange(n)
        for a in range(0, len(todo), 256):
            rows = todo[a : a + 256]
            sim = self._block(rows).astype(np.float32)
            sim[np.arange(len(rows)), rows] = -np.inf
            top = np.argpartition(-sim, kk - 1, axis=1)[:, :kk]
            hub[rows] = np.take_along_axis(sim, top, axis=1).mean(axis=1)
            nbrs[rows] = top
        nbr_keys = np.where(nbrs >= 0, keys[np.clip(nbrs, 0, None)], "")
        try:

            def write_hub(p: Path) -> None:
                with open(p, "wb") as f:  # a file object: np.savez would append ".npz" to a path
                    np.savez(f, hub=hub, keys=keys, nbr_keys=nbr_keys, build_id=np.array(build), k=np.array(k))

            _atomic_write(path, write_hub)
        except OSError:
            pass  # read-only index folder: keep it in memory
        return hub, nbrs

    def _reciprocal(self, members: np.ndarray, size: int) -> np.ndarray:
        """Jaccard overlap of a query's neighbour set (``members``) with every document's neighbour set."""
        inter = np.asarray(self.nbr_t[members].sum(axis=0)).ravel()
        return inter / np.maximum(size + self.nbr_size - inter, 1.0)

    def _pruned(self, m: sp.csr_matrix, rows: np.ndarray) -> sp.csr_matrix:
        k = int(self.config["index"].get("query_max_features", 0) or 0)
        return sp.vstack([lexical.prune_row(m[int(r)], k) for r in rows]).tocsr() if len(rows) else m[rows]

    def _block(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), n) scores of stored documents (as queries by id, before hubness) to all documents."""
        w = self.weights
        s = np.zeros((len(rows), len(self.docs)), np.float32)
        if "chars" in w:
            s += w["chars"] * (self._pruned(self.chars, rows) @ self.chars_t).toarray()
        if "words" in w:
            s += w["words"] * (self._pruned(self.lex, rows) @ self.lex_t).toarray()
        if "themes" in w:
            s += w["themes"] * (self.themes[rows] @ self.themes.T)
        if "dense" in w:
            s += w["dense"] * (self.dense[rows] @ self.dense.T)
        return s

    @classmethod
    def load(cls, index_dir: str | Path, config: dict | None = None, encoder: Encoder | None = None) -> SimilarIndex:
        index_dir = Path(index_dir)
        if _read_meta(index_dir) is None and _read_meta(index_dir / "index") is not None:
            index_dir = index_dir / "index"  # the run's output folder was given
        meta = _read_meta(index_dir)
        if meta is None:
            raise FileNotFoundError(f"no similarity index in {index_dir} (meta.json missing; run `process` first)")
        if meta.get("format") != FORMAT_VERSION:
            raise FileNotFoundError(
                f"the similarity index in {index_dir} has an older format; run `process` again to rebuild it"
            )
        cfg = deep_merge(deep_merge(DEFAULT_CONFIG, meta.get("config") or {}), config or {})
        dim = int(meta.get("dim") or 0)
        dense = np.load(index_dir / "dense.npy") if dim else np.zeros((len(meta["docs"]), 0), np.float32)
        counts = sp.load_npz(index_dir / "counts.npz").tocsr()
        chars = sp.load_npz(index_dir / "chars.npz").tocsr()
        themes = np.load(index_dir / "themes.npy")
        obj = cls(index_dir, meta, dense.astype(np.float32, copy=False), counts, chars, themes, cfg)
        obj._encoder = encoder
        return obj

    def __len__(self) -> int:
        return len(self.docs)

    def _centre(self, m: np.ndarray) -> np.ndarray:
        c = np.atleast_2d(m) - self.mu
        n = np.linalg.norm(c, axis=1, keepdims=True)
        n[n == 0] = 1.0
        return (c / n).astype(np.float32)

    @property
    def encoder(self) -> Encoder | None:
        if self._encoder is None and self.w > 0:
            self._encoder = build_encoder(self.config["encoder"])
            if self._encoder is not None and self._encoder.signature != self.meta["encoder"]:
                raise RuntimeError(
                    f"index was built with encoder {self.meta['encoder']}, configured encoder is {self._encoder.signature}"
                )
        return self._encoder

    @property
    def profiler(self) -> ThemeProfiler:
        if self._profiler is None:
            self._profiler = ThemeProfiler(self.config["themes"]["taxonomy"])
            if self._profiler.ids != list(self.meta.get("themes") or []):
                raise RuntimeError("the theme taxonomy changed since the index was built; run `process` again")
        return self._profiler

    # -- filters ------------------------------------------------------------
    def _mask(self, filters: dict | None) -> np.ndarray | None:
        if not filters:
            return None
        mask = np.ones(len(self.docs), dtype=bool)
        region = filters.get("region")
        if region:
            r = str(region).lower()
            mask &= np.array([bool(x) and (x == r or r in x) for x in self._regions])
        theme = filters.get("theme")
        if theme:
            wanted = [t.lower() for t in ([theme] if isinstance(theme, str) else theme)]
            mask &= np.array([any(w in t.lower() for t in d.get("themes", []) for w in wanted) for d in self.docs])
        period = filters.get("period")
        if period:
            a, b = parse_period(period) if isinstance(period, str) else (int(period[0]), int(period[1]))
            p0 = np.where(np.isnan(self._p0), self._p1, self._p0)
            p1 = np.where(np.isnan(self._p1), self._p0, self._p1)
            with np.errstate(invalid="ignore"):
                mask &= (p0 <= b) & (p1 >= a)
        return mask

    # -- scoring ------------------------------------------------------------
    def _scores(self, q: dict, rows: np.ndarray | None = None) -> np.ndarray:
        """Scores of a query (its signal vectors in ``q``) against all documents, or against ``rows``."""
        s = self._base_scores(q, rows)
        if self.diff > 0 and self.nbr_mean is not None:
            # neighbourhood smoothing: a document also scores by how well its nearest neighbours match
            if rows is None:
                s = (s + self.diff * (self.nbr_mean @ s)) / (1.0 + self.diff)
            else:  # candidates only (hnsw path): score their neighbours too, then smooth exactly as above
                sub = self.nbr_mean[rows]
                need = np.unique(sub.indices)
                full = np.zeros(len(self.docs), np.float64)
                full[need] = self._base_scores(q, need)
                s = (s + self.diff * (sub @ full)) / (1.0 + self.diff)
        if self.lam > 0 and self.nbr is not None:
            # k-reciprocal re-ranking: documents whose nearest neighbours are the query's count extra
            members = q.get("nbr")
            if members is None:  # a free-text query: its own k best are its neighbour set
                kk = min(self.k_nbr, len(s))
                top = np.argpartition(-s, kk - 1)[:kk]
                top = top[s[top] > 0]  # a query that matches nothing has no neighbours
                members = top if rows is None else rows[top]
            if len(members):
                j = self._reciprocal(np.asarray(members), len(members))
                s = (1.0 - self.lam) * s + self.lam * (j if rows is None else j[rows])
        return s

    def _base_scores(self, q: dict, rows: np.ndarray | None = None) -> np.ndarray:
        """The weighted signals' cosines (minus the hubness correction), before smoothing and re-ranking."""
        w = self.weights
        n = len(self.docs)
        s = np.zeros(n if rows is None else len(rows), np.float64)
        if "chars" in w:
            v = _sparse_scores(q["chars"], self.chars_t)
            s += w["chars"] * (v if rows is None else v[rows])
        if "words" in w:
            v = _sparse_scores(q["words"], self.lex_t)
            s += w["words"] * (v if rows is None else v[rows])
        if "themes" in w and q.get("themes") is not None:
            t = self.themes if rows is None else self.themes[rows]
            s += w["themes"] * np.einsum("ij,j->i", t, q["themes"])
        if "dense" in w and q.get("dense") is not None:
            # einsum: single-threaded mat-vec; BLAS threads only add latency for one query on a busy machine
            d = self.dense if rows is None else self.dense[rows]
            s += w["dense"] * np.einsum("ij,j->i", d, q["dense"])
        if self.beta > 0:
            s -= self.beta * (self.hub if rows is None else self.hub[rows])
        return s

    def _search(self, q: dict, k: int, exclude: int | None, filters: dict | None) -> list[dict]:
        mask = self._mask(filters)
        if exclude is not None:
            mask = np.ones(len(self.docs), bool) if mask is None else mask.copy()
            mask[exclude] = False
        n = len(self.docs)
        if n == 0 or k <= 0:
            return []
        rows = None
        if self._hnsw is not None and q.get("dense") is not None:
            ncand = min(n, max(int(self.config["index"]["candidates"]), 4 * k))
            if mask is not None and mask.sum() < n:
                ncand = min(n, ncand * 4)
            # the graph holds the stored (uncentred) vectors; the centred query still ranks them well
            # enough to propose candidates, which the exact score then re-ranks
            labels, _ = self._hnsw.knn_query(q["dense"].reshape(1, -1), k=ncand)
            cand = labels[0].astype(np.int64)
            # lexical candidates too, so strong character/word matches are never lost
            lex_s = _sparse_scores(q["chars"], self.chars_t)
            top_lex = np.argpartition(-lex_s, min(ncand, n - 1))[:ncand]
            cand = np.unique(np.concatenate([cand, top_lex]))
            if mask is not None:
                cand = cand[mask[cand]]
            if len(cand) >= k:
                rows = cand
                scores = self._scores(q, rows)
        if rows is None:
            scores = self._scores(q)
            if mask is not None:
                scores = np.where(mask, scores, -np.inf)
            rows = np.arange(n)
        kk = min(k, len(rows))
        top = np.argpartition(-scores, kk - 1)[:kk]
        top = top[np.argsort(-scores[top], kind="stable")]
        out = []
        for t in top:
            if not np.isfinite(scores[t]):
                continue
            d = self.docs[int(rows[t])]
            score = round(min(1.0, max(0.0, float(scores[t]))), 4)
            out.append({"id": d["id"], "title": d["title"], "project_name": d.get("project_name"), "score": score})
        return out

    def _row_query(self, r: int) -> dict:
        m = int(self.config["index"].get("query_max_features", 0) or 0)
        return {
            "chars": lexical.prune_row(self.chars[r], m),
            "words": lexical.prune_row(self.lex[r], m),
            "themes": self.themes[r],
            "nbr": self.nbr[r].indices if self.nbr is not None else None,
            "dense": self.dense[r] if self.w > 0 else None,
        }

    def query_ids(self, ids: list[str], k: int = 5, filters: dict | None = None) -> list[list[dict]]:
        """One result list per id (never containing that id). Unknown ids raise KeyError."""
        missing = [i for i in ids if i not in self.row_of]
        if missing:
            raise KeyError(f"not in the index: {', '.join(missing)}")
        return [self._search(self._row_query(self.row_of[i]), k, self.row_of[i], filters) for i in ids]

    def query_id(self, id: str, k: int = 5, filters: dict | None = None) -> list[dict]:
        return self.query_ids([id], k=k, filters=filters)[0]

    def text_query(self, text: str) -> dict:
        """Signal vectors of a free-text query (capped like a document)."""
        text = lexical.cap_text(text)
        q: dict[str, Any] = {
            "chars": lexical.tfidf(lexical.char_rows([text]), self.char_idf),
            "words": lexical.tfidf(lexical.count_rows([text]), self.idf),
            "themes": _unit_rows(self.profiler.profile([text]))[0] if "themes" in self.weights else None,
            "dense": None,
        }
        if self.w > 0 and self.encoder is not None:
            q["dense"] = self._centre(self.encoder.encode([text], kind="query"))[0]
        return q

    def query_text(self, text: str, k: int = 5, filters: dict | None = None) -> list[dict]:
        return self._search(self.text_query(text), k, None, filters)
