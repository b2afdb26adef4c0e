#!/usr/bin/env python
"""Retrain the theme tagger: ``python -m scripts.train_themes``.

1. Sentence and boilerplate models from the hand-written sentence banks in
   data/themes/ (regenerates data/themes/docs_{train,dev}.jsonl, deterministic).
2. Document-level calibration (feature weights, per-theme biases, thresholds)
   fitted on the real labelled pages of the shared dev set (``--dev``, default
   ../shared/dev next to the repository; read at training time, never copied)
   plus the written documents; a 5-fold out-of-fold run is printed first.

Writes models/themes/model.joblib. ``--no-dev`` trains on the written data only.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from training.themes.train import train  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="models/themes/model.joblib")
    ap.add_argument("--taxonomy", default="configs/themes.yaml")
    ap.add_argument(
        "--dev",
        default=str(ROOT.parent / "shared" / "dev"),
        help="real labelled pages (gold.jsonl + docs/) for the calibration (default: %(default)s)",
    )
    ap.add_argument("--no-dev", action="store_true", help="calibrate on written synthetic documents only")
    ap.add_argument("--docs-per-fold", type=int, default=150)
    ap.add_argument("--dev-docs", type=int, default=200, help="written synthetic dev documents")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--l2", type=float, default=200.0, help="L2 penalty of the synthetic-document combiner")
    ap.add_argument(
        "--beta",
        type=float,
        default=None,
        help="thresholds maximise F-beta on the real pages (default: calibrate.DEFAULTS, 0.7, towards "
        "precision; 1.0 = F1, more recall)",
    )
    ap.add_argument("--thr-shrink", type=float, default=None, help="weight of the global threshold in per-theme ones")
    a = ap.parse_args()
    dev = None
    if not a.no_dev:
        dev = Path(a.dev)
        if not (dev / "gold.jsonl").exists():
            ap.error(f"no labelled pages at {dev} (gold.jsonl); pass --dev DIR or --no-dev")
    t0 = time.time()
    cal_params = {k: v for k, v in (("beta", a.beta), ("thr_shrink", a.thr_shrink)) if v is not None}
    train(a.out, a.taxonomy, a.docs_per_fold, a.dev_docs, a.seed, l2=a.l2, dev_dir=dev, cal_params=cal_params or None)
    print(f"done in {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
