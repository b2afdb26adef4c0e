"""Query latency of `similar` on a 10,000-document index.

Builds an index of N documents (default 10,000) from the labelled samples and
the seeds, replicated and perturbed (words dropped, sentences shuffled, words
mixed in from another project of the same group; random region and period),
then loads it once and times queries after load: by id (k=5), by text (k=5)
and by id with a region + period filter; with ``hybrid.diffusion`` on, the same queries
without it are timed in alternation, so the smoothing's cost is read under the same load.

    python -m scripts.bench_similar [--n 10000] [--queries 300] [--exact-max 20000] [--keep DIR]

(run from the repository root: it imports the top-level ``training`` package)
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

from pipeline.ner.gazetteers import ESF_REGIONS
from pipeline.record import Metadata, Record
from pipeline.similarity.encoders import build_encoder
from pipeline.similarity.index import SimilarIndex, load_config, update_index
from training.similarity.samples import load_samples, load_seed_texts

REGIONS = ESF_REGIONS


def corpus(n: int, seed: int = 7) -> list[Record]:
    rng = random.Random(seed)
    base = [(s.id, s.group, s.title, s.text) for s in load_samples()]
    base += [(k, k, None, t) for k, t in load_seed_texts().items()]
    by_group: dict[str, list[str]] = {}
    for _, g, _, t in base:
        by_group.setdefault(g, []).append(t)
    out = []
    for i in range(n):
        bid, g, title, text = base[i % len(base)]
        sents = [s for s in text.replace("\n", " ").split(". ") if s]
        rng.shuffle(sents)
        words = " ".join(sents).split()
        words = [w for w in words if rng.random() > 0.2]
        other = rng.choice(by_group[g]).split()
        words += rng.sample(other, min(len(other), 25))
        body = " ".join(words)
        start = rng.randint(2008, 2022)
        out.append(
            Record(
                id=f"{bid}~{i}",
                source="bench",
                sha256=hashlib.sha256(body.encode()).hexdigest(),
                format="txt",
                title=(title or bid) + f" {i}",
                text=body,
                metadata=Metadata(
                    region=rng.choice(REGIONS),
                    period_start=date(start, 1, 1),
                    period_end=date(start + rng.randint(1, 3), 12, 31),
                ),
            )
        )
    return out


def pct(xs: list[float]) -> str:
    a = np.array(xs) * 1000
    return f"p50 {np.percentile(a, 50):6.2f} ms   p95 {np.percentile(a, 95):6.2f} ms   max {a.max():6.2f} ms"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--exact-max", type=int, default=None, help="override index.exact_max (e.g. 5000 to force hnswlib)")
    ap.add_argument("--keep", default=None, help="build the index in this folder and keep it")
    args = ap.parse_args()

    over = {"index": {"exact_max": args.exact_max}} if args.exact_max is not None else {}
    cfg = load_config(overrides=over)
    enc = build_encoder(cfg["encoder"])
    recs = corpus(args.n)
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_similar_"))
    try:
        t0 = time.perf_counter()
        update_index(tmp, recs, cfg, encoder=enc)
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        update_index(tmp, recs[:100], cfg, encoder=enc)  # unchanged: cache hit
        noop = time.perf_counter() - t0
        changed = [
            r.model_copy(update={"text": r.text + " Ny mening om projektet.", "sha256": r.sha256[::-1]})
            for r in recs[:100]
        ]
        t0 = time.perf_counter()
        update_index(tmp, changed, cfg, encoder=enc)  # 100 changed documents re-embedded in place
        upd = time.perf_counter() - t0
        t0 = time.perf_counter()
        idx = SimilarIndex.load(tmp, encoder=enc)
        load = time.perf_counter() - t0
        mode = "hnswlib candidates + hybrid re-rank" if idx._hnsw is not None else "exact"
        print(f"index: {len(idx):,} documents, encoder {cfg['encoder']['type']}, search {mode}")
        print(
            f"build {build:.1f} s ({len(recs) / build:,.0f} docs/s); update with 100 unchanged docs {noop:.2f} s, "
            f"with 100 changed docs {upd:.2f} s; load {load:.2f} s"
        )
        rng = random.Random(1)
        qids = [rng.choice(idx.ids) for _ in range(args.queries)]
        texts = [
            "unga nyanlända kvinnor i glesbygd, praktik i vården",
            "kompetensutveckling för undersköterskor i äldreomsorgen",
            "varsel i fordonsindustrin och omställning",
            "starta eget för arbetslösa",
            "digital kompetens i småföretag",
        ]
        # the same index without neighbourhood smoothing, timed in alternation (same machine load)
        plain = SimilarIndex.load(tmp, config={"hybrid": {"diffusion": 0.0}}, encoder=enc)
        runs = {"shipped": idx, "diffusion 0": plain} if idx.diff > 0 else {"shipped": idx}
        times: dict[str, dict[str, list[float]]] = {name: {"id": [], "text": [], "filt": []} for name in runs}
        for x in runs.values():
            x.query_ids(qids[:3], k=5)
            x.query_text(texts[0], k=5)  # warm-up

        def timed(name: str, what: str, fn) -> None:
            t0 = time.perf_counter()
            fn()
            times[name][what].append(time.perf_counter() - t0)

        for i, q in enumerate(qids):
            for name, x in runs.items():
                timed(name, "id", lambda x=x, q=q: x.query_ids([q], k=5))
                if i < args.queries // 3:
                    timed(name, "text", lambda x=x, i=i: x.query_text(texts[i % len(texts)], k=5))
                    timed(
                        name,
                        "filt",
                        lambda x=x, q=q: x.query_ids(
                            [q], k=5, filters={"region": "Västsverige", "period": "2014-2020"}
                        ),
                    )
        for name, t in times.items():
            label = "" if len(runs) == 1 else f" [{name}]"
            print(f"query by id   (k=5, n={len(t['id'])}):   {pct(t['id'])}{label}")
            print(f"query by text (k=5, n={len(t['text'])}):   {pct(t['text'])}{label}")
            print(f"id + filters  (k=5, n={len(t['filt'])}):   {pct(t['filt'])}{label}")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
