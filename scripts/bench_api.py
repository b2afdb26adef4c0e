#!/usr/bin/env python
"""Latency of the registry API on a store of N projects (default 10,000).

    python scripts/bench_api.py [--n 10000] [--requests 300] [--store URL ...] [--keep DIR]

1. Processes the seed documents (../shared/seeds) with the pipeline (all configured
   stages; falls back to the spine stages clean/metadata/sections if a model is
   missing) and replicates the records to N projects (new ids, regions, owners,
   budgets, periods and theme subsets per copy).
2. Upserts them into each store (``--store`` may be repeated, e.g. once a SQLite path and
   once ``postgresql://…``: both backends in one run; default a SQLite file in the work
   folder). A store that already holds N projects is reused.
3. Builds the similar-projects index with ``pipeline.similarity.index.update_index``
   (the configured encoder; lexical-only if its model files are missing).
4. For each store, starts ``create_app`` under uvicorn in a separate process on 127.0.0.1
   and sends sequential HTTP requests: a filtered list query (theme + region + budget
   range, rotating values), a ranked full-text query ``q`` (one or two words, rotating)
   and a similar-projects query (random project). Prints p50/p95/p99 in ms per backend
   (target: p95 < 50 ms each) and the machine's load average.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from pipeline.ner.gazetteers import ESF_REGIONS
from pipeline.record import Record
from pipeline.store import open_store

ROOT = Path(__file__).resolve().parent.parent

SEEDS = ROOT.parent / "shared" / "seeds"
REGIONS = ESF_REGIONS


def base_records() -> list[Record]:
    from pipeline.config import load_config
    from pipeline.pipeline import Pipeline

    files = sorted(SEEDS.glob("*.txt"))
    cfg = load_config()
    try:
        pipe = Pipeline(cfg)
        recs = [pipe.process_file(p) for p in files]
        how = "full pipeline: " + " -> ".join(cfg["pipeline"]["stages"])
    except Exception as exc:  # a model not trained/present in this checkout
        cfg["pipeline"]["stages"] = ["clean", "metadata", "sections"]
        pipe = Pipeline(cfg)
        recs = [pipe.process_file(p) for p in files]
        how = f"spine stages only ({type(exc).__name__}: {exc})"
    print(f"base records: {len(recs)} seeds, {how}", file=sys.stderr)
    return recs


def replicate(recs: list[Record], n: int, seed: int = 7) -> list[Record]:
    rnd = random.Random(seed)
    theme_pool = sorted({(t.id, t.label) for r in recs for t in r.themes}) or [
        ("kompetensforsorjning", "Kompetensförsörjning"),
        ("jamstalldhet", "Jämställdhet"),
        ("integration", "Integration"),
        ("unga", "Unga"),
    ]
    from pipeline.record import Theme

    out = []
    for i in range(n):
        b = recs[i % len(recs)]
        md = b.metadata.model_copy(
            update=dict(
                region=rnd.choice(REGIONS),
                owner=f"{b.metadata.owner or 'Organisation'} {i % 300}",
                total_budget_sek=rnd.randrange(200_000, 30_000_000),
                period_start=date(2008 + i % 15, 1 + i % 12, 1),
                period_end=date(2010 + i % 15, 1 + i % 12, 28),
            )
        )
        themes = list(b.themes) or []
        extra = rnd.sample(theme_pool, k=min(len(theme_pool), rnd.randint(1, 3)))
        have = {t.id for t in themes}
        themes += [
            Theme(id=tid, label=lab, score=round(rnd.uniform(0.3, 0.9), 3)) for tid, lab in extra if tid not in have
        ]
        out.append(
            b.model_copy(
                update=dict(
                    id=f"{b.id}-{i:05d}",
                    sha256=hashlib.sha256(f"{b.sha256}{i}".encode()).hexdigest(),
                    title=f"{b.title} #{i}",
                    metadata=md,
                    themes=themes,
                )
            )
        )
    return out


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


SERVER = """
import uvicorn
from pipeline.api import create_app
app = create_app({store!r}, index_dir={index!r})
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", access_log=False)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument(
        "--store",
        action="append",
        help="store URL/path; repeat for several backends (default: a SQLite file in the work folder)",
    )
    ap.add_argument("--keep", type=Path, help="keep store and index in this folder (reused if present)")
    ap.add_argument("--lexical", action="store_true", help="lexical-only similarity index")
    args = ap.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench_api_"))
    work.mkdir(parents=True, exist_ok=True)
    stores = args.store or [str(work / "store.sqlite")]
    index_dir = work / "index"
    reports = []
    recs: list[Record] | None = None
    for store_url in stores:
        report: dict = {"n": args.n, "store": "postgresql" if store_url.startswith("postgres") else "sqlite"}
        st = open_store(store_url)
        if st.count() != args.n:
            if recs is None:
                recs = replicate(base_records(), args.n)
            t = time.perf_counter()
            for r in recs:
                st.upsert(r)
            report["upsert_s"] = round(time.perf_counter() - t, 1)
            report["upsert_per_record_ms"] = round(1000 * report["upsert_s"] / args.n, 2)
            print(f"{report['store']}: upserted {args.n} records in {report['upsert_s']} s", file=sys.stderr)
        ids = st.ids()
        if recs is None and not (index_dir / "meta.json").exists():
            recs = list(st.iter_records())
        st.close()
        index_arg = build_index(index_dir, recs, args.lexical, report)
        report.update(measure(store_url, index_arg, ids, args.requests))
        reports.append(report)
    for report in reports:
        print(json.dumps(report, ensure_ascii=False))


def build_index(index_dir: Path, recs, lexical: bool, report: dict) -> str | None:
    try:
        from pipeline.similarity.index import load_config as sim_config
        from pipeline.similarity.index import update_index

        if not (index_dir / "meta.json").exists():
            cfg = sim_config()
            if lexical:
                cfg["encoder"] = {"type": "none"}
            t = time.perf_counter()
            try:
                update_index(index_dir, recs, cfg)
            except FileNotFoundError as exc:
                print(f"encoder unavailable ({exc}); lexical-only index", file=sys.stderr)
                cfg["encoder"] = {"type": "none"}
                update_index(index_dir, recs, cfg)
            report["index_build_s"] = round(time.perf_counter() - t, 1)
        report["index"] = json.loads((index_dir / "meta.json").read_text())["encoder"]
        return str(index_dir)
    except ImportError as exc:
        print(f"no pipeline.similarity.index ({exc}): similar-projects query not measured", file=sys.stderr)
        return None


# free-text queries: words of the seed documents, inflected forms, two-word queries
TEXT_QUERIES = [
    "kompetens",
    "nyanlända",
    "nyanländas",
    "samverkan",
    "Västkraft",
    "unga nyanlända",
    "kompetensutveckling",
    "jämställdhet",
    "praktik",
    "arbetsmarknaden",
    "kvinnor utbildning",
    "socialfonden",
]


def measure(store_url: str, index_arg: str | None, ids: list[str], requests: int) -> dict:
    report: dict = {}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = SERVER.format(store=store_url, index=index_arg, port=port)
    proc = subprocess.Popen([sys.executable, "-c", code])
    import httpx

    backend = "postgresql" if store_url.startswith("postgres") else "sqlite"
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 600  # opening an older store migrates it first
        while True:
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise SystemExit("server did not start")
            time.sleep(0.2)
        rnd = random.Random(1)
        with httpx.Client(base_url=base, timeout=30) as c:
            themes = [t["theme_id"] for t in c.get("/themes").json()] or [None]

            def list_query():
                lo = rnd.randrange(0, 20_000_000, 500_000)
                return "/projects", {
                    "theme": rnd.choice(themes),
                    "region": rnd.choice(REGIONS),
                    "min_budget": lo,
                    "max_budget": lo + 10_000_000,
                    "limit": 20,
                }

            def similar_query():
                return f"/projects/{rnd.choice(ids)}/similar", {"k": 10}

            def text_query():
                return "/projects", {"q": rnd.choice(TEXT_QUERIES), "limit": 20}

            queries = [("filtered_list", list_query), ("full_text_q", text_query)]
            if index_arg:
                queries.append(("similar_projects", similar_query))
            report["loadavg_before"] = _loadavg()
            for name, make in queries:
                for _ in range(10):  # warm-up
                    path, params = make()
                    c.get(path, params=params).raise_for_status()
                lat = []
                for _ in range(requests):
                    path, params = make()
                    t = time.perf_counter()
                    r = c.get(path, params=params)
                    lat.append((time.perf_counter() - t) * 1000)
                    r.raise_for_status()
                report[name] = {
                    "p50_ms": round(statistics.median(lat), 1),
                    "p95_ms": round(pct(lat, 95), 1),
                    "p99_ms": round(pct(lat, 99), 1),
                    "requests": len(lat),
                }
                print(
                    f"{backend:10s} {name:18s} p50 {report[name]['p50_ms']:7.1f} ms   p95 {report[name]['p95_ms']:7.1f} ms   "
                    f"p99 {report[name]['p99_ms']:7.1f} ms   ({len(lat)} requests)"
                )
            report["loadavg_after"] = _loadavg()
            print(f"{backend:10s} load average before {report['loadavg_before']}, after {report['loadavg_after']}")
    finally:
        proc.terminate()
        proc.wait(10)
    return report


def _loadavg() -> str | None:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return None


if __name__ == "__main__":
    main()
