"""Compare two records.jsonl files field by field (behaviour freeze check).

    python scripts/compare_records.py before/records.jsonl after/records.jsonl [--ignore source]

Records are matched by ``id``; for each top-level field it prints how many records differ,
with one example. ``source`` is ignored by default (it is the input's absolute path, so
two checkouts give different values). Exit status 0 when no compared field differs.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path


def load(path: Path) -> dict[str, dict]:
    with open(path, encoding="utf-8") as fh:
        return {r["id"]: r for r in map(json.loads, filter(str.strip, fh))}


def compare(a: dict[str, dict], b: dict[str, dict], ignore: set[str]) -> tuple[Counter, dict, list, list]:
    diffs: Counter = Counter()
    example: dict[str, tuple[str, object, object]] = {}
    for rid in sorted(a.keys() & b.keys()):
        ra, rb = a[rid], b[rid]
        for field in sorted((ra.keys() | rb.keys()) - ignore):
            va, vb = ra.get(field), rb.get(field)
            if va != vb:
                diffs[field] += 1
                example.setdefault(field, (rid, va, vb))
    return diffs, example, sorted(a.keys() - b.keys()), sorted(b.keys() - a.keys())


def _short(v: object, n: int = 160) -> str:
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= n else s[:n] + "…"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument(
        "--ignore", action="append", default=None, help="top-level field to leave out (repeatable; default: source)"
    )
    args = ap.parse_args(argv)
    a, b = load(args.before), load(args.after)
    diffs, example, only_a, only_b = compare(a, b, set(args.ignore or ["source"]))
    print(f"{len(a)} records before, {len(b)} after, {len(a.keys() & b.keys())} matched by id")
    if only_a or only_b:
        print(f"only before: {only_a}\nonly after: {only_b}")
    if not diffs:
        print("all compared fields identical")
    for field, n in diffs.most_common():
        rid, va, vb = example[field]
        print(f"{field}: {n} record(s) differ; e.g. {rid}\n  before: {_short(va)}\n  after:  {_short(vb)}")
    return 1 if diffs or only_a or only_b else 0


if __name__ == "__main__":
    raise SystemExit(main())
