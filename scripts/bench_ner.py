#!/usr/bin/env python
"""Words per second of the NER model and of the NER stage, on one CPU thread.

    python scripts/bench_ner.py [--model models/ner] [--seeds ../shared/seeds] [--repeat 5]

Text: the ESF seed documents (``../shared/seeds``), repeated ``--repeat`` times;
each repetition is a separate record (so nothing is cached between them). Words
are whitespace-separated tokens of the input text. Prints

* ``model``: the bare model, ``nlp.pipe`` over all non-blank lines of the text
  (tokenizer + tok2vec + ner),
* ``stage``: ``NerStage(record)`` end to end (model + rules + gazetteers +
  merging), with the model loaded once beforehand,
* model size on disk.
"""

from __future__ import annotations

import os

os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="models/ner")
    ap.add_argument("--seeds", default="../shared/seeds")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)

    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    except (AttributeError, OSError):
        pass

    from pipeline.ner import NerStage, model_pieces
    from pipeline.paths import repo_path
    from pipeline.record import Record
    from pipeline.text import lines

    texts = [p.read_text(encoding="utf-8") for p in sorted(repo_path(args.seeds).glob("*.txt"))]
    if not texts:
        print(f"no .txt files in {repo_path(args.seeds)}", file=sys.stderr)
        return 1
    texts = texts * args.repeat
    n_words = sum(len(t.split()) for t in texts)

    stage = NerStage({"model": args.model})
    nlp = stage.nlp
    # warm-up
    stage(Record(id="w", source="w", sha256="0", format="txt", text=texts[0]))

    # the bare model on all of the text, line by line (no sentence skipping, no rules)
    chunks = [c for t in texts for _, c in model_pieces(t, [(o, o + len(x)) for o, x in lines(t)], stage.max_chars)]
    t0 = time.perf_counter()
    n_ents = sum(len(d.ents) for d in nlp.pipe(chunks, batch_size=stage.batch_size))
    t_model = time.perf_counter() - t0

    records = [Record(id=str(i), source="bench", sha256="0", format="txt", text=t) for i, t in enumerate(texts)]
    t0 = time.perf_counter()
    n_stage = sum(len(stage(r).entities) for r in records)
    t_stage = time.perf_counter() - t0

    size = sum(f.stat().st_size for f in repo_path(args.model).rglob("*") if f.is_file())
    print(f"text: {len(texts)} documents, {n_words} words (whitespace tokens), 1 thread")
    print(f"model (bare, all text): {n_words / t_model:10.0f} words/s  ({t_model:.2f} s, {n_ents} entities)")
    print(f"stage (NerStage):       {n_words / t_stage:10.0f} words/s  ({t_stage:.2f} s, {n_stage} entities)")
    print(f"model size on disk: {size / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
