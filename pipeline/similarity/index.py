"""Similar-project index: hybrid (dense + lexical) vectors saved with a run's output.

Layout of ``index_dir``::

    meta.json    format version, encoder signature, config snapshot, one entry per document
                 (id, sha256, title, region, themes, period years) in row order
    dense.npy    float32 (n, dim), L2-normalised document vectors (absent for lexical-only)
    counts.npz   scipy CSR (n, 2**20) hashed stem counts (see lexical.py)
    hnsw.bin     hnswlib graph over dense.npy, only when n > index.exact_max
    hub.npz      per-document hubness (mean score to its k nearest neighbours), cached per build

Updates are incremental: a record whose (id, sha256) is already stored is not
re-embedded (its metadata is refreshed); new or changed records are embedded
and appended or replaced in place. The stored vectors are the cache. If the
encoder's signature changes, every document is re-embedded (texts are not
stored, so pass all records once after changing the encoder).

Scoring: ``score = w * cos(dense) + (1 - w) * cos(tfidf) - b * hub(d)`` with
``w = hybrid.dense_weight`` and ``b = hybrid.hubness``; dense vectors are
centred on the corpus mean first (``hybrid.center``); ``hub(d)`` is the
document's mean score to its ``hubness_k`` nearest neighbours minus the
corpus average (CSLS-style hubness correction). Exact search (matrix products) up to
``index.exact_max`` documents; above that hnswlib proposes
``index.candidates`` neighbours by the dense vector and the hybrid score
re-ranks them.
"""
from __future__ import annotations

import copy
import json
import os
import re
import uuid
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Optional

import numpy as np
import scipy.sparse as sp

from ..paths import repo_path
from ..record import Record
from . import lexical
from .encoders import Encoder, build_encoder
from .text import truncate_words

FORMAT_VERSION = 1

DEFAULT_CONFIG: dict[str, Any] = {
    "encoder": {"type": "static", "path": "models/embeddings/sv-e5-static", "max_words": 120},
    "hybrid": {"dense_weight": 0.5, "center": True, "hubness": 0.5, "hubness_k": 10},
    "text": {
        "fields": ["summary", "purpose", "goals", "background"],
        "dense_max_words": 400,
        "lexical_max_words": 1500,
        "lexical_fields": ["summary", "purpose", "goals", "background", "participants", "implementation",
                           "organisation", "expected_effects", "other"],
    },
    "index": {"exact_max": 20000, "candidates": 300, "hnsw": {"M": 32, "ef_construction": 200, "ef": 400}},
}


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in (over or {}).items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def load_config(path: str | Path | None = "configs/similarity.yaml", overrides: dict | None = None) -> dict[str, Any]:
    """configs/similarity.yaml merged over the defaults (a missing file gives the defaults)."""
    cfg: dict[str, Any] = {}
    if path is not None:
        p = repo_path(path)
        if p.exists():
            import yaml

            cfg = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    return _merge(_merge(DEFAULT_CONFIG, cfg), overrides or {})


# --------------------------------------------------------------------------- texts
def record_title(record: Record) -> str:
    if record.title:
        return record.title.strip()
    for line in record.text.splitlines():
        if line.strip():
            return line.strip()[:120]
    return record.id


def focus_text(record: Record, fields: Iterable[str]) -> str:
    """Title plus the sections that say what the project is about; whole text if none."""
    parts = [record_title(record)]
    if record.sections:
        for key in fields:
            t = record.section_text(key)
            if t:
                parts.append(t)
    if len(parts) == 1:
        parts.append(record.text)
    return "\n".join(parts)


def dense_text(record: Record, config: dict) -> str:
    t = config["text"]
    return truncate_words(focus_text(record, t["fields"]), int(t["dense_max_words"]))


def lexical_text(record: Record, config: dict) -> str:
    t = config["text"]
    fields = t.get("lexical_fields")
    body = focus_text(record, fields) if fields else record_title(record) + "\n" + record.text
    return truncate_words(body, int(t["lexical_max_words"]))


def _doc_meta(record: Record) -> dict[str, Any]:
    md = record.metadata
    themes = sorted({x for th in record.themes for x in (th.id, th.label) if x})
    return {
        "id": record.id,
        "sha256": record.sha256,
        "title": record_title(record),
        "region": md.region,
        "themes": themes,
        "period": [
            md.period_start.year if isinstance(md.period_start, date) else None,
            md.period_end.year if isinstance(md.period_end, date) else None,
        ],
    }


# --------------------------------------------------------------------------- update
def _read_meta(index_dir: Path) -> Optional[dict]:
    p = index_dir / "meta.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else None


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


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
    signature = encoder.signature if encoder is not None else "none"

    meta = _read_meta(index_dir)
    if meta is not None and (meta.get("format") != FORMAT_VERSION or meta.get("encoder") != signature):
        meta = None  # encoder changed: rebuild from the records given
    docs: list[dict] = meta["docs"] if meta else []
    dim = encoder.dim if encoder is not None else 0
    dense = np.load(index_dir / "dense.npy") if meta and dim and (index_dir / "dense.npy").exists() else np.zeros((0, dim), np.float32)
    counts = sp.load_npz(index_dir / "counts.npz").tocsr() if meta else sp.csr_matrix((0, lexical.N_FEATURES), dtype=np.float32)
    if (dim and dense.shape[0] != len(docs)) or counts.shape[0] != len(docs):  # inconsistent files: rebuild
        dense, counts, docs = np.zeros((0, dim), np.float32), sp.csr_matrix((0, lexical.N_FEATURES), dtype=np.float32), []
        meta = None

    if prune and docs:
        wanted = {r.id for r in records}
        keep_rows = np.array([i for i, d in enumerate(docs) if d["id"] in wanted], dtype=np.int64)
        if len(keep_rows) < len(docs):
            docs = [docs[i] for i in keep_rows]
            dense = dense[keep_rows] if dim else dense
            counts = counts[keep_rows]
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
        new_dense = encoder.encode([dense_text(r, cfg) for r in recs]) if encoder is not None else np.zeros((len(recs), 0), np.float32)
        new_counts = lexical.count_rows([lexical_text(r, cfg) for r in recs])
        replace = [(row_of[r.id], j) for j, r in enumerate(recs) if r.id in row_of]
        append = [j for j, r in enumerate(recs) if r.id not in row_of]
        if replace:
            rows = np.array([i for i, _ in replace])
            js = np.array([j for _, j in replace])
            if dim:
                dense[rows] = new_dense[js]
            n = counts.shape[0]
            keep = np.ones(n, dtype=np.float32)
            keep[rows] = 0.0
            place = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, np.arange(len(rows)))), shape=(n, len(rows)))
            counts = (sp.diags(keep) @ counts + place @ new_counts[js]).tocsr()
            counts.eliminate_zeros()
            counts.sort_indices()
            for i, j in replace:
                docs[i] = _doc_meta(recs[j])
            changed_rows.extend(rows.tolist())
        if append:
            start = len(docs)
            js = np.array(append)
            if dim:
                dense = np.vstack([dense, new_dense[js]]) if len(dense) else new_dense[js]
            counts = sp.vstack([counts, new_counts[js]]).tocsr()
            docs.extend(_doc_meta(recs[j]) for j in append)
            changed_rows.extend(range(start, start + len(append)))

    out_meta = {
        "format": FORMAT_VERSION,
        # a new build id (so the cached hub scores are recomputed) only when vectors changed
        "build_id": meta["build_id"] if meta and not changed_rows and meta.get("build_id") else uuid.uuid4().hex,
        "encoder": signature,
        "dim": dim,
        "config": cfg,
        "docs": docs,
    }
    if dim:
        _atomic_write(index_dir / "dense.npy", lambda p: np.save(open(p, "wb"), dense.astype(np.float32)))
    elif (index_dir / "dense.npy").exists():
        (index_dir / "dense.npy").unlink()
    _atomic_write(index_dir / "counts.npz", lambda p: sp.save_npz(open(p, "wb"), counts.astype(np.float32)))
    _update_hnsw(index_dir, dense, changed_rows, cfg, rebuild=meta is None)
    _atomic_write(index_dir / "meta.json", lambda p: p.write_text(json.dumps(out_meta, ensure_ascii=False), encoding="utf-8"))
    if float(cfg["hybrid"].get("hubness", 0)) > 0 and docs:
        SimilarIndex.load(index_dir, encoder=encoder)  # computes and saves hub.npz for this build


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


class SimilarIndex:
    """A loaded index. ``query_ids`` / ``query_text`` return dicts {"id", "title", "score"}, best first."""

    def __init__(self, index_dir: Path, meta: dict, dense: np.ndarray, counts: sp.csr_matrix, config: dict):
        self.index_dir = Path(index_dir)
        self.meta = meta
        self.config = config
        self.docs: list[dict] = meta["docs"]
        self.ids = [d["id"] for d in self.docs]
        self.row_of = {d: i for i, d in enumerate(self.ids)}
        # Centre the dense vectors on the corpus mean (shrunk towards 0 for small corpora): static and
        # e5 vectors share a large common component that makes every document look alike.
        self.mu = np.zeros(dense.shape[1], np.float32)
        if dense.shape[0] and dense.shape[1:] and dense.shape[1] and config["hybrid"].get("center", True):
            n = dense.shape[0]
            self.mu = (dense.mean(axis=0) * (n / (n + 20.0))).astype(np.float32)
        self.raw_dense = dense
        self.dense = self._centre(dense) if dense.shape[1:] and dense.shape[1] else dense
        self.idf = lexical.idf_from_counts(counts)
        self.lex = lexical.tfidf(counts, self.idf)
        self.lex_t = self.lex.T.tocsr()
        self.w = float(config["hybrid"]["dense_weight"]) if dense.shape[1:] and dense.shape[1] else 0.0
        self._encoder: Encoder | None = None
        self._hnsw = None
        self._regions = np.array([(d.get("region") or "").lower() for d in self.docs], dtype=object)
        self._p0 = np.array([np.nan if (d.get("period") or [None])[0] is None else d["period"][0] for d in self.docs], dtype=float)
        self._p1 = np.array(
            [np.nan if (d.get("period") or [None, None])[1] is None else d["period"][1] for d in self.docs], dtype=float
        )
        if (self.index_dir / "hnsw.bin").exists() and self.dense.shape[0] > int(config["index"]["exact_max"]):
            import hnswlib

            self._hnsw = hnswlib.Index(space="ip", dim=int(self.dense.shape[1]))
            self._hnsw.load_index(str(self.index_dir / "hnsw.bin"))
            self._hnsw.set_ef(int(config["index"]["hnsw"]["ef"]))
        self.beta = float(config["hybrid"].get("hubness", 0.0) or 0.0)
        self.hub = np.zeros(len(self.docs), np.float32)
        if self.beta > 0 and len(self.docs) > 1:
            hub = self._load_or_compute_hub(int(config["hybrid"].get("hubness_k", 10)))
            self.hub = (hub - hub.mean()).astype(np.float32)  # relative: ranks unchanged, scores stay cosine-like

    # -- hubness correction -------------------------------------------------
    def _load_or_compute_hub(self, k: int) -> np.ndarray:
        """Each document's mean hybrid similarity to its k nearest neighbours (CSLS-style hubness).

        Long, generic documents are close to everything and would otherwise show up in most result
        lists; subtracting ``hubness * hub[d]`` from their scores fixes that. Cached in hub.npz per build.
        """
        path = self.index_dir / "hub.npz"
        build = str(self.meta.get("build_id", ""))
        if path.exists():
            try:
                z = np.load(path)
                if str(z["build_id"]) == build and len(z["hub"]) == len(self.docs) and int(z["k"]) == k:
                    return z["hub"].astype(np.float32)
            except Exception:  # noqa: BLE001 - a broken cache is recomputed
                pass
        hub = self._compute_hub(k)
        try:
            _atomic_write(path, lambda p: np.savez(open(p, "wb"), hub=hub, build_id=np.array(build), k=np.array(k)))
        except OSError:
            pass  # read-only index folder: keep it in memory
        return hub

    def _compute_hub(self, k: int) -> np.ndarray:
        n = len(self.docs)
        k = max(1, min(k, n - 1))
        hub = np.zeros(n, np.float32)
        has_dense = self.w > 0 and self.dense.shape[1:] and self.dense.shape[1]
        if self._hnsw is None:
            for a in range(0, n, 512):
                b = min(n, a + 512)
                sim = np.asarray((self.lex[a:b] @ self.lex_t).todense(), dtype=np.float32) * (1.0 - self.w)
                if has_dense:
                    sim += self.w * (self.dense[a:b] @ self.dense.T)
                sim[np.arange(b - a), np.arange(a, b)] = -np.inf
                top = np.partition(sim, n - k, axis=1)[:, n - k :]
                hub[a:b] = top.mean(axis=1)
            return hub
        # large index: neighbours proposed by hnswlib, scored exactly
        labels, _ = self._hnsw.knn_query(self.raw_dense, k=min(n, 4 * k + 1))  # re-scored, best k kept
        for a in range(0, n, 2048):
            b = min(n, a + 2048)
            rows = np.repeat(np.arange(a, b), labels.shape[1])
            cols = labels[a:b].ravel().astype(np.int64)
            lex = np.asarray(self.lex[rows].multiply(self.lex[cols]).sum(axis=1)).ravel()
            den = np.einsum("ij,ij->i", self.dense[rows], self.dense[cols])
            sim = (self.w * den + (1.0 - self.w) * lex).reshape(b - a, -1)
            sim[cols.reshape(b - a, -1) == np.arange(a, b)[:, None]] = -np.inf
            sim = np.sort(sim, axis=1)[:, ::-1][:, :k]
            hub[a:b] = np.where(np.isfinite(sim), sim, 0.0).mean(axis=1)
        return hub

    @classmethod
    def load(cls, index_dir: str | Path, config: dict | None = None, encoder: Encoder | None = None) -> "SimilarIndex":
        index_dir = Path(index_dir)
        if _read_meta(index_dir) is None and _read_meta(index_dir / "index") is not None:
            index_dir = index_dir / "index"  # the run's output folder was given
        meta = _read_meta(index_dir)
        if meta is None:
            raise FileNotFoundError(f"no similarity index in {index_dir} (meta.json missing; run `process` first)")
        cfg = _merge(meta.get("config") or DEFAULT_CONFIG, config or {})
        dim = int(meta.get("dim") or 0)
        dense = np.load(index_dir / "dense.npy") if dim else np.zeros((len(meta["docs"]), 0), np.float32)
        counts = sp.load_npz(index_dir / "counts.npz").tocsr()
        obj = cls(index_dir, meta, dense.astype(np.float32, copy=False), counts, cfg)
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

    # -- filters ------------------------------------------------------------
    def _mask(self, filters: Optional[dict]) -> Optional[np.ndarray]:
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
    def _scores_all(self, qd: Optional[np.ndarray], ql: sp.csr_matrix) -> np.ndarray:
        s = np.asarray((ql @ self.lex_t).todense()).ravel() * (1.0 - self.w) if self.w < 1 else np.zeros(len(self.docs))
        if self.w > 0 and qd is not None:
            # einsum: single-threaded mat-vec; BLAS threads only add latency for one query on a busy machine
            s = s + self.w * np.einsum("ij,j->i", self.dense, qd)
        if self.beta > 0:
            s = s - self.beta * self.hub
        return s

    def _scores_rows(self, rows: np.ndarray, qd: Optional[np.ndarray], ql: sp.csr_matrix) -> np.ndarray:
        s = np.asarray((ql @ self.lex_t).todense()).ravel()[rows] * (1.0 - self.w)
        if self.w > 0 and qd is not None:
            s = s + self.w * np.einsum("ij,j->i", self.dense[rows], qd)
        if self.beta > 0:
            s = s - self.beta * self.hub[rows]
        return s

    def _search(self, qd: Optional[np.ndarray], ql: sp.csr_matrix, k: int, exclude: Optional[int], filters: Optional[dict]) -> list[dict]:
        mask = self._mask(filters)
        if exclude is not None:
            mask = np.ones(len(self.docs), bool) if mask is None else mask.copy()
            mask[exclude] = False
        n = len(self.docs)
        if n == 0 or k <= 0:
            return []
        rows = None
        if self._hnsw is not None and qd is not None and self.w > 0:
            ncand = min(n, max(int(self.config["index"]["candidates"]), 4 * k))
            if mask is not None and mask.sum() < n:
                ncand = min(n, ncand * 4)
            # the graph holds the stored (uncentred) vectors; the centred query still ranks them well
            # enough to propose candidates, which the exact hybrid score then re-ranks
            labels, _ = self._hnsw.knn_query(qd.reshape(1, -1), k=ncand)
            cand = labels[0].astype(np.int64)
            # lexical candidates too, so strong word matches are never lost
            lex_s = np.asarray((ql @ self.lex_t).todense()).ravel()
            top_lex = np.argpartition(-lex_s, min(ncand, n - 1))[:ncand]
            cand = np.unique(np.concatenate([cand, top_lex]))
            if mask is not None:
                cand = cand[mask[cand]]
            if len(cand) >= k:
                rows = cand
                scores = self._scores_rows(rows, qd, ql)
        if rows is None:
            scores = self._scores_all(qd, ql)
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
            out.append({"id": d["id"], "title": d["title"], "score": round(float(scores[t]), 4)})
        return out

    def query_ids(self, ids: list[str], k: int = 5, filters: Optional[dict] = None) -> list[list[dict]]:
        """One result list per id (never containing that id). Unknown ids raise KeyError."""
        missing = [i for i in ids if i not in self.row_of]
        if missing:
            raise KeyError(f"not in the index: {', '.join(missing)}")
        out = []
        for i in ids:
            r = self.row_of[i]
            qd = self.dense[r] if self.w > 0 else None
            out.append(self._search(qd, self.lex[r], k, r, filters))
        return out

    def query_id(self, id: str, k: int = 5, filters: Optional[dict] = None) -> list[dict]:
        return self.query_ids([id], k=k, filters=filters)[0]

    def query_text(self, text: str, k: int = 5, filters: Optional[dict] = None) -> list[dict]:
        qd = None
        if self.w > 0 and self.encoder is not None:
            qd = self._centre(self.encoder.encode([text], kind="query"))[0]
        counts = lexical.count_rows([text])
        ql = lexical.tfidf(counts, self.idf)
        return self._search(qd, ql, k, None, filters)
