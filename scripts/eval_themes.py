#!/usr/bin/env python
"""Evaluate the theme tagger on real labelled pages: ``python -m scripts.eval_themes``.

Default: the shared dev set (../shared/dev next to the repository; ``--dev DIR``).

* **Out-of-fold** (the honest figure): nested 5-fold cross-validation by document.
  The shipped sentence model has learnt from these pages' sentences, so for each
  fold a sentence model is retrained on the written sentences plus the real
  sentences of the other four folds only, and the calibration (feature weights,
  theme biases, thresholds) is fitted on cross-fitted analyses of those four folds
  (:mod:`training.themes.real`): no page is decided by a model or threshold that saw
  it. 25 sentence models are fitted (a few minutes).
* **Whole set** with the shipped model (its calibration has seen every page:
  optimistic).

For each, per-theme precision/recall/F1 and support. The primary figure is the
shared scorer's definition (``../shared/dev/score.py``, the same as the independent
check): a predicted theme that is only ``themes_borderline`` counts as a false
positive. The lenient figure (borderline predictions neither right nor wrong)
comes second. Then, per theme,
the threshold and the candidates that would have been right (gold themes left
below the threshold, with their scores), and the wrong assignments, so a reader
sees where each threshold sits. The evidence sentences of the rightly assigned themes are checked
against hand labels of the pages' sentences (``data/themes/dev_evidence_labels.json``): how often at
least one, the first, and all of them are sentences a person labelled as evidence for the theme. ``--shuffles N`` repeats the nested run with N random
fold assignments and prints the mean (one assignment's figure moves by a few points). ``--written`` also evaluates the written
synthetic/hand-written documents and the seeds; ``--speed`` measures docs/s.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

import yaml  # noqa: E402

from pipeline.record import Record  # noqa: E402
from pipeline.sections import split_sections  # noqa: E402
from pipeline.themes import ThemeTagger  # noqa: E402
from training.themes.calibrate import DevDoc, evidence_agreement, load_dev, score_decisions  # noqa: E402
from training.themes.real import Trainer, nested_out_of_fold, real_sentence_labels, written_sentences  # noqa: E402


def print_scores(title: str, res: dict, out=print) -> None:
    out(f"\n== {title}")
    out(f"{'theme':22s} {'P':>6s} {'R':>6s} {'F1':>6s} {'support':>8s} {'tp':>4s} {'fp':>4s} {'fn':>4s}")
    for t, v in res["per_theme"].items():
        if v["tp"] + v["fp"] + v["fn"]:
            out(
                f"{t:22s} {v['p']:6.3f} {v['r']:6.3f} {v['f1']:6.3f} {v['support']:8d} {v['tp']:4d} {v['fp']:4d} {v['fn']:4d}"
            )
    m = res["micro"]
    out(
        f"{'MICRO':22s} {m['p']:6.3f} {m['r']:6.3f} {m['f1']:6.3f} {m['tp'] + m['fn']:8d} {m['tp']:4d} {m['fp']:4d} {m['fn']:4d}"
    )


def print_thresholds(title: str, decisions, docs: list[DevDoc], theme_ids: list[str], out=print) -> None:
    """Per theme: threshold(s), right candidates below it, wrong assignments above it."""
    out(f"\n== {title}: where each threshold sits (score = calibrated probability)")
    for t in theme_ids:
        thr, missed, wrong, hits = set(), [], [], []
        for dec, d in zip(decisions, docs):
            r = next(x for x in dec if x["id"] == t)
            thr.add(round(r["threshold"], 3))
            tag = f"{d.file} {r['raw_score']:.2f}"
            if t in d.themes and not r["assigned"]:
                why = "" if r["evidence"] else " (no evidence sentence)"
                missed.append(tag + why)
            elif r["assigned"] and t not in d.themes:
                wrong.append(tag + (" (borderline)" if t in d.borderline else ""))
            elif r["assigned"]:
                hits.append(r["raw_score"])
        if not (missed or wrong or hits):
            continue
        lo = f"{min(hits):.2f}" if hits else "-"
        out(f"{t}: threshold {'/'.join(f'{x:.3f}' for x in sorted(thr))}; {len(hits)} right above it (lowest {lo})")
        if missed:
            out(f"   right but below threshold: {', '.join(missed)}")
        if wrong:
            out(f"   wrong above threshold:     {', '.join(wrong)}")


def evidence_check(title: str, decisions, docs: list[DevDoc], labels: dict, out=print) -> None:
    """Are the evidence sentences of the rightly assigned themes really about the theme? (hand labels)"""
    r = evidence_agreement(decisions, docs, labels)
    if r["themes"]:
        out(
            f"\n== {title}: evidence of the {r['themes']} rightly assigned themes against the hand sentence labels: "
            f"at least one evidence sentence about the theme {r['any']:.3f}, the first one {r['first']:.3f}, "
            f"all {r['sentences']} evidence sentences {r['all']:.3f}"
        )


def run_written(tagger: ThemeTagger, out=print) -> None:
    """The written data and seeds, as before the real-page calibration (regression checks)."""

    def micro(pairs):
        tp = sum(len(p & g) for p, g, _ in pairs)
        fp = sum(len(p - g - o) for p, g, o in pairs)
        fn = sum(len(g - p) for p, g, _ in pairs)
        pr = tp / (tp + fp) if tp + fp else 0.0
        rc = tp / (tp + fn) if tp + fn else 0.0
        return pr, rc, (2 * pr * rc / (pr + rc) if pr + rc else 0.0)

    def tag(text):
        return {
            t.id
            for t in tagger(
                Record(id="x", source="x", sha256="0", format="txt", text=text, sections=split_sections(text))
            ).themes
        }

    syn = [json.loads(line) for line in open(ROOT / "data/themes/docs_dev.jsonl", encoding="utf-8")]
    prf = "micro P {:.3f} R {:.3f} F1 {:.3f}"
    out(
        "\n== written synthetic dev documents (data/themes/docs_dev.jsonl): "
        + prf.format(*micro([(tag(d["text"]), set(d["labels"]), set()) for d in syn]))
    )
    hw = yaml.safe_load((ROOT / "data/themes/handwritten_docs.yaml").read_text(encoding="utf-8"))
    out(
        "== hand-written whole documents (data/themes/handwritten_docs.yaml): "
        + prf.format(*micro([(tag(d["text"]), set(d["labels"]), set()) for d in hw]))
    )
    seeds = ROOT.parent / "shared" / "seeds"
    labels = yaml.safe_load((ROOT / "data/themes/seed_labels.yaml").read_text(encoding="utf-8"))
    pairs = []
    for stem, lab in labels.items():
        f = seeds / f"{stem}.txt"
        if f.exists():
            pairs.append(
                (tag(f.read_text(encoding="utf-8")), set(lab.get("themes") or []), set(lab.get("optional") or []))
            )
    if pairs:
        out("== seeds (hand labels, optional themes ignored): " + prf.format(*micro(pairs)))


def speed(tagger: ThemeTagger, docs: list[DevDoc], out=print, seconds: float = 10.0) -> None:
    """Themes stage alone on the real pages, one process; CPU time as well as wall time (the
    CPU figure is the one-core rate, less disturbed by other load on the machine)."""
    tagger.score(docs[0].text, docs[0].sections, docs[0].programme_area)
    w0, c0, n = time.perf_counter(), time.process_time(), 0
    while time.perf_counter() - w0 < seconds:
        for d in docs:
            tagger.score(d.text, d.sections, d.programme_area)
            n += 1
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    words = sum(len(d.text.split()) for d in docs) / len(docs)
    out(
        f"\nspeed (themes stage, one process): {n / cpu:.1f} docs per CPU-second, {n / wall:.1f} docs/s wall "
        f"(avg {words:.0f} words/doc, {len(docs)} real pages)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="models/themes/model.joblib")
    ap.add_argument("--taxonomy", default="configs/themes.yaml")
    ap.add_argument("--dev", default=str(ROOT.parent / "shared" / "dev"), help="labelled pages (default: %(default)s)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument(
        "--lenient",
        action="store_true",
        help="also print the per-theme tables with borderline predictions ignored (the summary always has both)",
    )
    ap.add_argument(
        "--shuffles",
        type=int,
        default=0,
        help="also run the nested out-of-fold evaluation with N random fold assignments (seeds 1..N) and print "
        "each and the mean: one assignment's figure moves by a few points with which pages share a fold",
    )
    ap.add_argument(
        "--evidence-labels",
        default=str(ROOT / "data/themes/dev_evidence_labels.json"),
        help="hand sentence labels of the dev pages, to check the evidence sentences ('' to skip)",
    )
    ap.add_argument("--written", action="store_true", help="also evaluate the written documents and the seeds")
    ap.add_argument(
        "--speed", action="store_true", help="measure docs/s on the real pages (set OMP_NUM_THREADS=1 for one core)"
    )
    ap.add_argument(
        "--no-oof", action="store_true", help="skip the nested out-of-fold run (whole set, --written, --speed only)"
    )
    a = ap.parse_args()

    tagger = ThemeTagger({"taxonomy": a.taxonomy, "model": a.model})
    ids = tagger.taxonomy.ids
    dev = Path(a.dev)
    if not (dev / "gold.jsonl").exists():
        sys.exit(f"no labelled pages at {dev} (gold.jsonl); pass --dev DIR")
    docs = load_dev(dev)
    analyses = [tagger.analyse(d.text, d.sections, d.programme_area) for d in docs]
    syn = [json.loads(line) for line in open(ROOT / "data/themes/docs_dev.jsonl", encoding="utf-8")]
    params = tagger.cal.get("params") or {}
    wt, wY = written_sentences(ids)
    trainer = Trainer(
        tagger.taxonomy,
        tagger.bmodel,
        wt,
        wY,
        docs,
        [real_sentence_labels(an, d, ids) for an, d in zip(analyses, docs)],
    )
    runs = []
    if not a.no_oof:
        oof, _ = nested_out_of_fold(
            tagger, trainer, syn, params, a.folds, log=lambda m: print(m, file=sys.stderr, flush=True)
        )
        runs.append((f"OUT-OF-FOLD (nested, {a.folds} folds by document)", oof))
    whole = [tagger.decide(an) for an in analyses]
    runs.append(("WHOLE SET, shipped model (optimistic)", whole))

    summary = []
    for title, dec in runs:
        strict = score_decisions(dec, docs, ids, False)
        res = score_decisions(dec, docs, ids, True)
        print_scores(
            f"{title}: {len(docs)} pages, shared scorer's definition (borderline predictions are false positives)",
            strict,
        )
        if a.lenient:
            print_scores(f"{title}: borderline predictions ignored (lenient)", res)
        summary.append((title, strict["micro"], res["micro"], strict["per_theme"]))
    print_thresholds(runs[0][0].split(" (")[0], runs[0][1], docs, ids)
    if a.evidence_labels:
        labels = json.loads(Path(a.evidence_labels).read_text(encoding="utf-8"))["labels"]
        for title, dec in runs:
            evidence_check(title.split(" (")[0], dec, docs, labels)
    print("\n== summary")
    for title, s, m, per in summary:
        weak = [f"{t} {v['f1']:.2f}" for t, v in per.items() if v["support"] >= 5 and v["f1"] < 0.6]
        print(
            f"{title}: shared scorer's definition micro P {s['p']:.3f} R {s['r']:.3f} F1 {s['f1']:.3f}; "
            f"themes (support >= 5) with F1 < 0.6: {', '.join(weak) or 'none'}; lenient (borderline ignored): "
            f"P {m['p']:.3f} R {m['r']:.3f} F1 {m['f1']:.3f}"
        )
    if a.shuffles and not a.no_oof:
        f1s = [summary[0][1]["f1"]]
        print(f"\n== nested out of fold over {a.shuffles + 1} fold assignments (shared scorer's definition)")
        print(f"round robin by file name: P {summary[0][1]['p']:.3f} R {summary[0][1]['r']:.3f} F1 {f1s[0]:.3f}")
        for seed in range(1, a.shuffles + 1):
            dec, _ = nested_out_of_fold(tagger, trainer, syn, params, a.folds, shuffle=seed)
            m = score_decisions(dec, docs, ids, False)["micro"]
            f1s.append(m["f1"])
            print(f"shuffled (seed {seed}): P {m['p']:.3f} R {m['r']:.3f} F1 {m['f1']:.3f}", flush=True)
        print(f"mean micro-F1 {sum(f1s) / len(f1s):.3f} (min {min(f1s):.3f}, max {max(f1s):.3f})")
    if a.written:
        run_written(tagger)
    if a.speed:
        speed(tagger, docs)


if __name__ == "__main__":
    main()
