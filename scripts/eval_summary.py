"""Summaries on real pages: ROUGE-1 F against each page's own "Sammanfattning", beside lead-3
and the extractive ceiling, with the definitions of ``../shared/dev/score.py``.

Default data: the development set in the shared data folder (``../shared/dev``). A page whose
``Sammanfattning`` is complete (``summary_section_complete``) is a case: that section is removed
from the input, the pipeline runs on the rest, and its summary is compared with the removed text.
``score.py`` keeps the cases whose remaining prose is long enough (the *official* cases); this
script also reports all complete cases.

    python scripts/eval_summary.py [--dev DIR] [--folds 5] [--fit [--write]] [-v]

Always printed: lead-3, the ceiling, the shipped summariser (whole set) and the out-of-fold figure
of the one setting chosen on these pages (``max_sentences``, picked on k-1 folds).

``--fit`` learns the sentence-scoring weights (the features of ``pipeline.summary.summarizer``)
and ``max_sentences`` by coordinate ascent on mean ROUGE-1, out of fold: k folds by page, the
weights fitted on the other folds, the figure measured on the held-out pages. ``--write`` then
fits on all cases and writes the weights into ``configs/summary.yaml``.
"""
from __future__ import annotations

import argparse
import json
import re
import runpy
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.record import Record  # noqa: E402
from pipeline.summary import Summarizer, load_config  # noqa: E402
from pipeline.summary.summarizer import FEATURE_WEIGHTS  # noqa: E402

STEPS = (-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0)  # added to a weight in one coordinate step


def cases(dev: Path, score) -> tuple[dict, set]:
    """All complete Sammanfattning cases {file: (reference, body, rest)}, and the official ones of score.py."""
    official = score["summary_cases"]()
    out = dict(official)
    for g in score["gold"]():
        if not (g.get("has_summary_section") and g.get("summary_section_complete")) or g["file"] in out:
            continue
        text = (dev / "docs" / g["file"]).read_text(encoding="utf-8")
        m = score["SUM_HEAD"].search(text)
        if not m:
            continue
        rest = text[m.end():].lstrip("\n")
        nxt = re.search(r"\n\s*\n(?=[A-ZÅÄÖ][^\n]{0,60}\n)", rest)
        ref, body = (rest[: nxt.start()], text[: m.start()] + rest[nxt.start():]) if nxt else (rest, text[: m.start()])
        if len(ref.strip()) > 80 and len(body.split()) > 30:
            out[g["file"]] = (ref.strip(), body, rest[nxt.start():] if nxt else "")
    return out, set(official)


def process(all_cases: dict) -> dict[str, Record]:
    tmp = Path(tempfile.mkdtemp(prefix="eval-summary-"))
    src = tmp / "docs"
    src.mkdir()
    for name, (_, body, _) in all_cases.items():
        (src / name).write_text(body, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pipeline", "process", str(src), "--out", str(tmp / "out"), "--quiet",
                    "--no-index", "--no-store"], check=True, cwd=ROOT)
    recs = [Record.from_json(json.loads(x)) for x in (tmp / "out" / "records.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    return {Path(r.source).name: r for r in recs}


def scores(cfg: dict, names: list[str], recs: dict, all_cases: dict, rouge1) -> np.ndarray:
    sm = Summarizer(cfg)
    return np.array([rouge1(all_cases[n][0], sm.summarise(recs[n]) or "") for n in names])


FIT_KEYS = ("history", "length", "centrality", "title", "subject")  # few weights: 15 pages cannot carry more


def fit(base: dict, names: list[str], recs: dict, all_cases: dict, rouge1, sweeps: int = 2, keys=FIT_KEYS) -> dict:
    """Coordinate ascent on mean ROUGE-1 over the weights and max_sentences (ties keep the current value)."""
    cfg = {**base, "weights": {**FEATURE_WEIGHTS, **(base.get("weights") or {})}}
    best = scores(cfg, names, recs, all_cases, rouge1).mean()
    for _ in range(sweeps):
        improved = False
        for n_max in (2, 3, 4):
            c = {**cfg, "max_sentences": n_max}
            v = scores(c, names, recs, all_cases, rouge1).mean()
            if v > best + 1e-9:
                best, cfg, improved = v, c, True
        for key in keys:
            cur = cfg["weights"][key]
            for step in STEPS:
                if not step:
                    continue
                c = {**cfg, "weights": {**cfg["weights"], key: round(cur + step, 3)}}
                v = scores(c, names, recs, all_cases, rouge1).mean()
                if v > best + 1e-9:
                    best, cfg, improved = v, c, True
            cur = cfg["weights"][key]
        if not improved:
            break
    return cfg


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dev", type=Path, default=ROOT.parent / "shared" / "dev", help="labelled set (default: ../shared/dev)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--fit", action="store_true", help="learn the sentence weights out of fold")
    ap.add_argument("--write", action="store_true", help="with --fit: fit on all cases and write configs/summary.yaml weights")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()

    score = runpy.run_path(str(a.dev / "score.py"), run_name="score")
    rouge1, sentences = score["rouge1"], score["sentences"]
    all_cases, official = cases(a.dev, score)
    recs = process(all_cases)
    names = sorted(n for n in all_cases if n in recs)
    off = [n for n in names if n in official]
    base = load_config()

    def lead_ceiling(n: str) -> tuple[float, float]:
        import itertools

        ref, _, after = all_cases[n]
        sents = sentences(after) if after else []
        cand = [s for s in sents if len(s.split()) > 3][:40]
        ceil = max((rouge1(ref, " ".join(cand[i] for i in c)) for k in (1, 2, 3)
                    for c in itertools.combinations(range(len(cand)), k)), default=0.0)
        return rouge1(ref, " ".join(sents[:3])), ceil

    lc = {n: lead_ceiling(n) for n in off}
    ours = dict(zip(names, scores(base, names, recs, all_cases, rouge1)))
    lead = np.mean([lc[n][0] for n in off])
    ceil = np.mean([lc[n][1] for n in off])
    print(f"{len(off)} official cases (score.py), {len(names)} complete Sammanfattning cases in all ({a.dev})\n")
    print("| what | ROUGE-1 F, official cases | share of the ceiling | all complete cases |\n|---|---|---|---|")
    print(f"| lead-3 (score.py) | {lead:.3f} | {lead / ceil:.2f} | |")
    print(f"| extractive ceiling: best 1-3 sentences (score.py) | {ceil:.3f} | 1.00 | |")
    o = np.mean([ours[n] for n in off])
    print(f"| shipped summariser (whole set) | {o:.3f} | {o / ceil:.2f} | {np.mean(list(ours.values())):.3f} |")
    # the one setting chosen on these pages (max_sentences), picked on the other folds: out of fold
    rng = np.random.RandomState(0)
    fold = dict(zip(names, rng.permutation(np.arange(len(names)) % a.folds)))
    per_n = {m: dict(zip(names, scores({**base, "max_sentences": m}, names, recs, all_cases, rouge1))) for m in (2, 3, 4)}
    oof_n, picked = {}, []
    for f in range(a.folds):
        train = [n for n in names if fold[n] != f]
        m = max((2, 3, 4), key=lambda m: (np.mean([per_n[m][n] for n in train]), -m))
        picked.append(m)
        oof_n.update({n: per_n[m][n] for n in names if fold[n] == f})
    o2 = np.mean([oof_n[n] for n in off])
    print(f"| max_sentences picked on {a.folds - 1}/{a.folds} folds (picked {picked}), out of fold | {o2:.3f} | "
          f"{o2 / ceil:.2f} | {np.mean(list(oof_n.values())):.3f} |")
    if a.fit:
        oof = {}
        for f in range(a.folds):
            train = [n for n in names if fold[n] != f]
            test = [n for n in names if fold[n] == f]
            cfg = fit({**base, "weights": {}}, train, recs, all_cases, rouge1)
            oof.update(zip(test, scores(cfg, test, recs, all_cases, rouge1)))
        oo = np.mean([oof[n] for n in off])
        print(f"| weights fitted on {a.folds - 1}/{a.folds} folds, out of fold | {oo:.3f} | {oo / ceil:.2f} | "
              f"{np.mean(list(oof.values())):.3f} |")
        if a.write:
            cfg = fit({**base, "weights": {}}, names, recs, all_cases, rouge1)
            changed = {k: v for k, v in cfg["weights"].items() if abs(v - FEATURE_WEIGHTS[k]) > 1e-9}
            print(f"\nfitted on all {len(names)} cases: max_sentences {cfg['max_sentences']}, weights changed {changed}")
            write_config(cfg["max_sentences"], changed)
    if a.verbose:
        sm = Summarizer(base)
        for n in off:
            print(f"--- {n}  ours {ours[n]:.3f}  lead-3 {lc[n][0]:.3f}  ceiling {lc[n][1]:.3f}\n  OURS: {sm.summarise(recs[n])}\n")
    t0 = time.perf_counter()
    sm = Summarizer(base)
    for _ in range(20):
        for n in names:
            sm.summarise(recs[n])
    print(f"\nspeed: {20 * len(names) / (time.perf_counter() - t0):,.0f} docs/s on one core")


def write_config(max_sentences: int, weights: dict) -> None:
    p = ROOT / "configs" / "summary.yaml"
    text = p.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^max_sentences: \d+", f"max_sentences: {max_sentences}", text)
    text = re.sub(r"(?ms)^# sentence-scoring weights.*\Z", "", text).rstrip() + "\n"
    if weights:
        text += ("# sentence-scoring weights learned by scripts/eval_summary.py --fit --write (the rest: FEATURE_WEIGHTS\n"
                 "# in pipeline/summary/summarizer.py)\nweights:\n")
        text += "".join(f"  {k}: {v:g}\n" for k, v in weights.items())
    p.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
