"""Summaries on real pages: ROUGE-1 F against each page's own "Sammanfattning", beside lead-3
and the extractive ceiling, with the definitions of ``../shared/dev/score.py``.

Default data: the development set in the shared data folder (``../shared/dev``) and the seed
documents (``../shared/seeds``). A page whose ``Sammanfattning`` is complete is a case: that section
is removed from the input, the pipeline runs on the rest, and its summary is compared with the
removed text. ``score.py`` keeps the cases whose remaining prose is at least twice the reference
(the *official* cases); the other complete cases of the dev set and the seeds' cases are reported
as "all cases" (and are training signal for the word model). Pages whose ``Sammanfattning`` is cut off
are training signal only, never measured.

    python -m scripts.eval_summary [--dev DIR] [--seeds DIR] [--folds 5] [--repeats 5] [--set KEY=VALUE ...] [-v]

``--set`` overrides a setting of ``configs/summary.yaml`` for the whole run (the shipped summariser,
the out-of-fold fits and the hand-weighted row), e.g. ``--set max_sentences=3`` or
``--set metadata_sentence=false`` for the ablations in ``models/summary/README.md``.

Printed: lead-3 and the ceiling (score.py), the shipped summariser (its word model is fitted on all
these cases, so this is a whole-set figure), the word model out of fold (k folds by document,
repeated; fitted on k-1 folds, ``shortlist`` and ``target_words`` picked within
them), and the hand-weighted sentence scorer (no model) for comparison. Fitting: ``python -m training.summary.word_model``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

from pipeline.summary import Summarizer, load_config  # noqa: E402
from training.summary.word_model import (  # noqa: E402
    Data,
    cases,
    evaluate,
    lead_and_ceiling,
    load_score,
    out_of_fold,
    partial_cases,
    process,
)


def parse_overrides(items: list[str]) -> dict:
    """``["max_sentences=3", "metadata_sentence=false"]`` -> ``{"max_sentences": 3, "metadata_sentence": False}``
    (values read as YAML); a key the summary stage does not know is an error."""
    import yaml

    from pipeline.summary import SummaryConfig

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in SummaryConfig.model_fields:
            raise SystemExit(f"--set {item!r}: expected KEY=VALUE with KEY one of {sorted(SummaryConfig.model_fields)}")
        out[key] = yaml.safe_load(value)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--dev", type=Path, default=ROOT.parent / "shared" / "dev", help="labelled set (default: ../shared/dev)"
    )
    ap.add_argument("--seeds", type=Path, default=ROOT.parent / "shared" / "seeds", help="default: ../shared/seeds")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=5, help="shuffles of the folds (the figure is their mean)")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a summary setting for this run (YAML value), e.g. max_sentences=3",
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="print each official case's summary")
    a = ap.parse_args()

    score = load_score(a.dev)
    all_cases, partial = cases(a.dev, a.seeds, score), partial_cases(a.dev, score)
    recs = process({**all_cases, **partial})
    base = {**load_config(), **parse_overrides(a.set)}
    data = Data(all_cases, recs, base, partial=partial)
    names = sorted(data.cases)
    off = [n for n in names if data.cases[n].official]
    lc = {n: lead_and_ceiling(data.cases[n], score) for n in names}
    if a.set:
        print(f"settings overridden: {parse_overrides(a.set)}\n")
    shipped = Summarizer(base)
    ours = {n: score["rouge1"](data.cases[n].reference, shipped.summarise(recs[n]) or "") for n in names}
    hand = evaluate(data, None, names, score)
    oof, models = out_of_fold(data, score, a.folds, a.repeats)

    def row(what: str, v: dict[str, float] | None, idx: int | None = None) -> None:
        get = (lambda n: lc[n][idx]) if v is None else v.get
        o, al = np.mean([get(n) for n in off]), np.mean([get(n) for n in names])
        print(f"| {what} | {o:.3f} | {o / ceil:.2f} | {al:.3f} | {al / ceil_all:.2f} |")

    ceil, ceil_all = np.mean([lc[n][1] for n in off]), np.mean([lc[n][1] for n in names])
    print(
        f"{len(off)} official cases (score.py), {len(names)} complete Sammanfattning cases in all (dev set and seeds); "
        f"{len(data.partial)} pages with a cut-off Sammanfattning are training signal only\n"
    )
    print(
        "| what | ROUGE-1 F, official cases | share of the ceiling | all cases | share of the ceiling |\n|---|---|---|---|---|"
    )
    row("lead-3 (score.py)", None, 0)
    row("extractive ceiling: best 1-3 sentences (score.py)", None, 1)
    row("shipped summariser (word model fitted on all cases: whole set)", ours)
    row(f"word model, out of fold ({a.folds} folds x {a.repeats} shuffles)", oof)
    row("hand-weighted sentence scorer (no model)", hand)
    from collections import Counter

    picked = Counter((m.shortlist, m.target_words) for m in models)
    print(f"\nout of fold, (shortlist, target_words) picked on the training folds: {dict(picked)}")
    if shipped.word_model:
        wm = shipped.word_model
        print(
            f"shipped model: shortlist {wm.shortlist}, target_words {wm.target_words:g}, "
            f"history_weight {wm.history_weight:g}, fill_sentences {wm.fill_sentences}"
        )
    if a.verbose:
        for n in off:
            print(
                f"--- {n}  ours {ours[n]:.3f}  out of fold {oof[n]:.3f}  lead-3 {lc[n][0]:.3f}  ceiling {lc[n][1]:.3f}\n"
                f"  OURS: {shipped.summarise(recs[n])}\n"
            )
    t0 = time.perf_counter()
    for _ in range(20):
        for n in names:
            shipped.summarise(recs[n])
    print(f"\nspeed: {20 * len(names) / (time.perf_counter() - t0):,.0f} docs/s on one core")


if __name__ == "__main__":
    main()
