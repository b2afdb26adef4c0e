#!/usr/bin/env python3
"""Metadata accuracy on the real-document development set (the shared data folder's ``dev``).

Runs only the spine stages (clean, metadata, sections) on ``../shared/dev/docs`` and prints, with the
same definitions as the set's own ``score.py`` (its ``same()`` comparison is imported from there):
stated fields exact (overall, by field, by document kind) and false extractions (a scored field
that the gold does not state). Then the project's name: ``metadata.project_name`` against the gold
``title`` (the project's name; ``score.py`` does not score it), by kind, beside the record's
``title`` (a news item's headline, a report's name); equal after case, quotes, dashes and spaces.

    .venv/bin/python scripts/eval_metadata.py                 # whole set, plus halves A and B
    .venv/bin/python scripts/eval_metadata.py --half b        # one half only
    .venv/bin/python scripts/eval_metadata.py --misses        # list every miss and false extraction
    .venv/bin/python scripts/eval_metadata.py --folds 5       # also per fold (k-fold by document)

Halves and folds are deterministic (by a hash of the file name), so rules designed while looking at
half A can be measured on half B.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _scorer(dev: Path):
    spec = importlib.util.spec_from_file_location("dev_score", dev / "score.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def bucket(name: str, k: int) -> int:
    return int(hashlib.sha256(name.encode("utf-8")).hexdigest(), 16) % k


def half_of(name: str) -> str:
    return "ab"[bucket(name, 2)]


def predict(files: list[str], dev: Path) -> tuple[dict[str, dict], dict[str, str | None]]:
    """Each file's metadata (as in records.jsonl) and its record title."""
    from pipeline import Pipeline

    nlp = Pipeline.from_config(exclude=("ner", "themes", "summary"))
    out, titles = {}, {}
    for name in files:
        rec = nlp.process_file(dev / "docs" / name)
        out[name] = rec.to_json()["metadata"]
        titles[name] = rec.title
    return out, titles


def _name_key(s: str | None) -> str:
    return re.sub(r"[\s\"”“«»'’]+", " ", (s or "").replace("–", "-")).strip().casefold()


def names(gold: list[dict], pred: dict[str, dict], titles: dict[str, str | None]) -> str:
    """The project's name by kind: ``project_name`` and, beside it, the record title, against the gold title
    (a page whose gold has no name counts as right when nothing is given)."""
    by_kind = defaultdict(lambda: [0, 0, 0])
    for g in gold:
        want = _name_key(g.get("title"))
        got = _name_key((pred.get(g["file"]) or {}).get("project_name"))
        row = by_kind[g["kind"]]
        row[0] += got == want
        row[1] += bool(want) and _name_key(titles.get(g["file"])) == want
        row[2] += 1
    tot = [sum(r[i] for r in by_kind.values()) for i in range(3)]
    kinds = ", ".join(f"{k} {a}/{n} (title {b})" for k, (a, b, n) in sorted(by_kind.items()))
    return f"project name: {tot[0]}/{tot[2]} exact (record title {tot[1]}); {kinds}"


def score(gold: list[dict], pred: dict[str, dict], same, keys) -> dict:
    by_kind, by_field = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    misses, false_x = [], []
    for g in gold:
        gm, pm = g.get("metadata") or {}, pred.get(g["file"]) or {}
        for k, v in gm.items():
            ok = k in pm and same(pm[k], v, k)
            for table, key in ((by_kind, g["kind"]), (by_field, k)):
                table[key][0] += ok
                table[key][1] += 1
            if not ok:
                misses.append((g["file"], k, v, pm.get(k)))
        false_x += [(g["file"], k, pm[k]) for k in keys if k in pm and k not in gm and pm[k] not in (None, [], "")]
    ok, total = sum(v[0] for v in by_kind.values()), sum(v[1] for v in by_kind.values())
    return dict(
        ok=ok,
        total=total,
        by_kind=dict(by_kind),
        by_field=dict(by_field),
        misses=misses,
        false_x=false_x,
        docs=len(gold),
    )


def fmt(label: str, s: dict) -> str:
    acc = s["ok"] / s["total"] if s["total"] else 0.0
    kinds = ", ".join(f"{k} {a}/{b}" for k, (a, b) in sorted(s["by_kind"].items()))
    return (
        f"{label}: {s['docs']} docs, {s['ok']}/{s['total']} = {acc:.3f} exact; {kinds}; "
        f"false extractions {len(s['false_x'])}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--half", choices=["a", "b"], help="only this half of the documents")
    ap.add_argument("--folds", type=int, default=0, help="also print figures per fold (k-fold by document)")
    ap.add_argument("--misses", action="store_true", help="list every miss and false extraction")
    ap.add_argument(
        "--dev",
        default="../shared/dev",
        help="the development set folder (default ../shared/dev, relative to the repo root)",
    )
    a = ap.parse_args()
    dev = Path(a.dev) if Path(a.dev).is_absolute() else ROOT / a.dev
    if not (dev / "gold.jsonl").exists():
        sys.exit(f"no development set at {a.dev}")
    sc = _scorer(dev)
    gold = sc.gold()
    if a.half:
        gold = [g for g in gold if half_of(g["file"]) == a.half]
    pred, titles = predict([g["file"] for g in gold], dev)
    whole = score(gold, pred, sc.same, sc.KEYS)
    print(fmt("half " + a.half.upper() if a.half else "whole set", whole))
    if not a.half:
        for h in "ab":
            print(fmt(f"half {h.upper()}", score([g for g in gold if half_of(g["file"]) == h], pred, sc.same, sc.KEYS)))
    for f in range(a.folds):
        print(
            fmt(
                f"fold {f + 1}/{a.folds}",
                score([g for g in gold if bucket(g["file"], a.folds) == f], pred, sc.same, sc.KEYS),
            )
        )
    print("by field: " + ", ".join(f"{k} {x}/{y}" for k, (x, y) in sorted(whole["by_field"].items())))
    fx = Counter(k for _, k, _ in whole["false_x"])
    print(f"false extractions by field: {dict(fx)}")
    print(names(gold, pred, titles))
    if not a.half:
        for h in "ab":
            print(f"  half {h.upper()}: " + names([g for g in gold if half_of(g["file"]) == h], pred, titles))
    if a.misses:
        for file, k, want, got in whole["misses"]:
            print(
                f"  miss  {file} {k}: gold {json.dumps(want, ensure_ascii=False)} got {json.dumps(got, ensure_ascii=False)}"
            )
        for file, k, got in whole["false_x"]:
            print(f"  false {file} {k}: {json.dumps(got, ensure_ascii=False)}")
        for g in gold:
            got = (pred.get(g["file"]) or {}).get("project_name")
            if _name_key(got) != _name_key(g.get("title")):
                print(
                    f"  name  {g['file']} ({g['kind']}): gold {json.dumps(g.get('title'), ensure_ascii=False)} "
                    f"got {json.dumps(got, ensure_ascii=False)}"
                )


if __name__ == "__main__":
    main()
