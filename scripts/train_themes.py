#!/usr/bin/env python
"""Retrain the theme tagger: ``python scripts/train_themes.py``.

Regenerates data/themes/docs_{train,dev}.jsonl from the sentence banks
(deterministic) and writes models/themes/model.joblib.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.themes.train import train  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="models/themes/model.joblib")
    ap.add_argument("--taxonomy", default="configs/themes.yaml")
    ap.add_argument("--docs-per-fold", type=int, default=150)
    ap.add_argument("--dev-docs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--l2", type=float, default=200.0, help="L2 penalty of the document-level combiner")
    a = ap.parse_args()
    t0 = time.time()
    train(a.out, a.taxonomy, a.docs_per_fold, a.dev_docs, a.seed, l2=a.l2)
    print(f"done in {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
