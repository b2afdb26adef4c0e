#!/usr/bin/env python
"""Evaluate the theme tagger: ``python scripts/eval_themes.py``.

Prints per-theme precision/recall/F1 and micro-F1 over (document, theme)
pairs on the labelled dev set (data/themes/docs_dev.jsonl), on hand-written
held-out whole documents (data/themes/handwritten_docs.yaml) and on the real
seed documents (../shared/seeds) against hand labels in
data/themes/seed_labels.yaml. Also reports throughput (docs/s, one core).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from pipeline.record import Record  # noqa: E402
from pipeline.themes import ThemeTagger  # noqa: E402
from pipeline.sections import split_sections  # noqa: E402


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def evaluate(gold: dict[str, set[str]], pred: dict[str, set[str]], theme_ids: list[str],
             optional: dict[str, set[str]] | None = None, title: str = "", out=print) -> dict:
    optional = optional or {}
    stats = {t: [0, 0, 0] for t in theme_ids}
    for doc, g in gold.items():
        p = pred.get(doc, set())
        opt = optional.get(doc, set())
        for t in theme_ids:
            if t in opt and t not in g:
                continue
            if t in p and t in g:
                stats[t][0] += 1
            elif t in p:
                stats[t][1] += 1
            elif t in g:
                stats[t][2] += 1
    out(f"\n== {title}: {len(gold)} documents")
    out(f"{'theme':22s} {'P':>6s} {'R':>6s} {'F1':>6s} {'support':>8s}")
    TP = FP = FN = 0
    per = {}
    for t in theme_ids:
        tp, fp, fn = stats[t]
        TP, FP, FN = TP + tp, FP + fp, FN + fn
        p, r, f = prf(tp, fp, fn)
        per[t] = {"p": p, "r": r, "f1": f, "support": tp + fn, "tp": tp, "fp": fp, "fn": fn}
        if tp + fp + fn:
            out(f"{t:22s} {p:6.3f} {r:6.3f} {f:6.3f} {tp + fn:8d}")
    P, R, F = prf(TP, FP, FN)
    out(f"{'MICRO':22s} {P:6.3f} {R:6.3f} {F:6.3f} {TP + FN:8d}")
    return {"per_theme": per, "micro": {"p": P, "r": R, "f1": F}}


def load_dev(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def run_seeds(tagger: ThemeTagger, seeds_dir: Path, labels_path: Path, verbose: bool, out=print):
    labels = yaml.safe_load(open(labels_path, encoding="utf-8"))
    gold, opt, pred = {}, {}, {}
    for stem, lab in labels.items():
        f = seeds_dir / f"{stem}.txt"
        if not f.exists():
            out(f"(seed {stem} not found in {seeds_dir})")
            continue
        text = f.read_text(encoding="utf-8")
        rec = Record(id=stem, source=str(f), sha256="0", format="txt", text=text, sections=split_sections(text))
        rec = tagger(rec)
        gold[stem] = set(lab.get("themes") or [])
        opt[stem] = set(lab.get("optional") or [])
        pred[stem] = {t.id for t in rec.themes}
        if verbose:
            out(f"\n-- {stem}: gold={sorted(gold[stem])}")
            for t in rec.themes:
                mark = "OK " if t.id in gold[stem] else ("opt" if t.id in opt[stem] else "FP ")
                out(f"  {mark} {t.id:20s} {t.score:.2f}  e.g. [{t.evidence[0].section}] {t.evidence[0].text[:110]!r}")
            for t in rec.theme_candidates[:6]:
                mark = "FN " if t.id in gold[stem] else "   "
                out(f"  {mark} (cand) {t.id:20s} {t.score:.2f}")
    return gold, pred, opt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default="models/themes/model.joblib")
    ap.add_argument("--taxonomy", default="configs/themes.yaml")
    ap.add_argument("--dev", default="data/themes/docs_dev.jsonl")
    ap.add_argument("--seeds", default=str(ROOT.parent / "shared" / "seeds"))
    ap.add_argument("--seed-labels", default="data/themes/seed_labels.yaml")
    ap.add_argument("--handwritten", default="data/themes/handwritten_docs.yaml")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()

    tagger = ThemeTagger({"taxonomy": a.taxonomy, "model": a.model})
    ids = tagger.taxonomy.ids

    docs = load_dev(ROOT / a.dev)
    gold, pred = {}, {}
    t0 = time.perf_counter()
    words = 0
    for d in docs:
        rec = Record(id=d["id"], source="dev", sha256="0", format="txt", text=d["text"],
                     sections=split_sections(d["text"]))
        rec = tagger(rec)
        words += len(d["text"].split())
        gold[d["id"]] = set(d["labels"])
        pred[d["id"]] = {t.id for t in rec.themes}
    dt = time.perf_counter() - t0
    evaluate(gold, pred, ids, title=f"dev ({a.dev})")
    print(f"\nspeed on dev: {len(docs) / dt:.1f} docs/s (avg {words / len(docs):.0f} words/doc)")
    # ~350-word documents: pairs of dev documents joined
    pairs = [docs[i]["text"] + "\n" + docs[i + 1]["text"] for i in range(0, len(docs) - 1, 2)]
    recs = [Record(id=f"p{i}", source="dev", sha256="0", format="txt", text=t, sections=split_sections(t))
            for i, t in enumerate(pairs)]
    t0 = time.perf_counter()
    for r in recs:
        tagger(r)
    dt = time.perf_counter() - t0
    w = sum(len(t.split()) for t in pairs) / max(1, len(pairs))
    print(f"speed on joined dev pairs: {len(recs) / dt:.1f} docs/s (avg {w:.0f} words/doc)")

    hw_path = ROOT / a.handwritten
    if hw_path.exists():
        hw = yaml.safe_load(hw_path.read_text(encoding="utf-8"))
        g, p = {}, {}
        for d in hw:
            rec = Record(id=d["id"], source="handwritten", sha256="0", format="txt", text=d["text"],
                         sections=split_sections(d["text"]))
            rec = tagger(rec)
            g[d["id"]] = set(d["labels"])
            p[d["id"]] = {t.id for t in rec.themes}
            if a.verbose:
                print(f"  {d['id']}: missed={sorted(g[d['id']] - p[d['id']])} extra={sorted(p[d['id']] - g[d['id']])}")
        evaluate(g, p, ids, title=f"hand-written held-out documents ({a.handwritten})")

    seeds_dir = Path(a.seeds)
    if seeds_dir.is_dir():
        g, p, o = run_seeds(tagger, seeds_dir, ROOT / a.seed_labels, a.verbose)
        if g:
            evaluate(g, p, ids, optional=o, title="seeds (hand labels; optional themes ignored)")
    else:
        print(f"\n(no seeds directory at {seeds_dir})")


if __name__ == "__main__":
    main()
