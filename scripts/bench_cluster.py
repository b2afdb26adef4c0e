#!/usr/bin/env python
"""Throughput on a Dask cluster against the local process pool, same documents, same run.

Prints documents/second of the whole pipeline (all per-document stages; the
store and the index are left out: they are the same client-side work for every
executor) for
  1. the local process pool (`process --jobs N`), pool start and model loading included;
  2. a local Dask cluster of 1 and of 2 single-threaded worker processes
     (`process --cluster local:1|2`), documents sent as paths, and 2 workers with
     documents sent as bytes (`--send bytes`); the cluster's start (scheduler,
     workers, models loaded once per worker) is timed apart and left out of the rate;
and the scheduler's overhead per document, best of --rounds alternating rounds:
  * a trivial task (returns its argument) through the same windowed submit /
    as_completed loop, 1 worker: milliseconds per task;
  * the spine pipeline (ingest, clean, metadata, sections) on the same documents
    in this process vs on a 1-worker cluster: the difference per document, in
    wall time and in CPU time (worker + client and scheduler - this process);
    the CPU figure is the one other load on the machine does not inflate.

    python -m scripts.bench_cluster                # 400 documents, --jobs 2
    python -m scripts.bench_cluster --docs 1000 --jobs 2 --tasks 5000 --rounds 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from pipeline.cluster import ClusterExecutor, _noop  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.pipeline import Pipeline  # noqa: E402
from pipeline.runner import run  # noqa: E402
from scripts.bench import make_corpus  # noqa: E402


def timed_run(inp: Path, out: Path, cfg: dict, **kw) -> tuple[int, float]:
    if out.exists():
        shutil.rmtree(out)
    t0 = time.perf_counter()
    s = run([inp], out, cfg, quiet=True, **kw)
    dt = time.perf_counter() - t0
    assert s.failed == 0, (out / "errors.jsonl").read_text()[:2000]
    return s.processed, dt


def started(ex: ClusterExecutor, cfg: dict) -> float:
    """Start the cluster and load the pipeline on every worker; seconds taken."""
    t0 = time.perf_counter()
    ex.connect().wait_for_workers(ex.local_workers or 1)
    ex.register(cfg)
    return time.perf_counter() - t0


def trivial_overhead(ex: ClusterExecutor, n: int, window: int = 16) -> float:
    """Seconds per trivial task, submitted through a bounded window as the executor does."""
    from distributed import as_completed

    client = ex.connect()
    client.submit(_noop, -1, pure=False).result()  # warm
    t0 = time.perf_counter()
    flying = as_completed()
    submitted = 0
    inflight = 0
    while submitted < n or inflight:
        while submitted < n and inflight < window:
            flying.add(client.submit(_noop, submitted, pure=False, key=f"noop-{submitted}"))
            submitted += 1
            inflight += 1
        fut = next(flying)
        fut.result()
        fut.release()
        inflight -= 1
    return (time.perf_counter() - t0) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=400, help="number of documents (default 400)")
    ap.add_argument("--jobs", type=int, default=2, help="local pool processes (default 2)")
    ap.add_argument("--tasks", type=int, default=2000, help="trivial tasks for the overhead figure (default 2000)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of the overhead figures, best taken (default 3)")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    cfg = load_config()
    spine_cfg = load_config()
    spine_cfg["pipeline"]["stages"] = ["clean", "metadata", "sections"]
    tmp = Path(tempfile.mkdtemp(prefix="esf-bench-cluster-"))
    try:
        (tmp / "in").mkdir()
        files = make_corpus(tmp / "in", args.docs, pages_only=True)
        try:
            load = os.getloadavg()
            load_s = f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
        except OSError:
            load_s = "load average unknown"
        print(f"documents: {len(files)} project pages; {os.cpu_count()} CPU cores; {load_s} at start")

        n, dt = timed_run(tmp / "in", tmp / "local", cfg, jobs=args.jobs)
        print(
            f"local process pool, --jobs {args.jobs}:           {n / dt:7.1f} docs/s  ({n} docs in {dt:.1f} s, start included)"
        )

        # the client's own share: store (SQLite) and index for these records, as after a batch
        import json

        from pipeline.batch import store_and_index
        from pipeline.record import Record

        recs = [
            Record.from_json(json.loads(line))
            for line in (tmp / "local" / "records.jsonl").read_text(encoding="utf-8").splitlines()
        ]
        t0 = time.perf_counter()
        store_and_index(cfg, str(tmp / "local" / "store.sqlite"), False)(recs, recs, tmp / "local")
        t_store = time.perf_counter() - t0
        t0 = time.perf_counter()
        store_and_index(cfg, None, True)(recs, recs, tmp / "local")
        t_index = time.perf_counter() - t0
        print(
            f"client side, SQLite store upsert:           {len(recs) / t_store:7.1f} docs/s; "
            f"index build: {len(recs) / t_index:7.1f} docs/s"
        )

        rates = {}
        for workers, send in ((1, "path"), (2, "path"), (2, "bytes")):
            with ClusterExecutor(local_workers=workers, send=send) as ex:
                t_start = started(ex, cfg)
                n, dt = timed_run(tmp / "in", tmp / f"c{workers}{send}", cfg, executor=ex)
                rates[(workers, send)] = n / dt
                print(
                    f"dask cluster, {workers} worker{'s' if workers > 1 else ' '} ({send:5s}):      "
                    f"{n / dt:7.1f} docs/s  ({n} docs in {dt:.1f} s; start {t_start:.1f} s apart)"
                )

        # scheduler overhead: trivial tasks, and the spine in-process vs on one worker, in
        # alternating rounds (the best of each: the machine's other load comes and goes), plus the
        # CPU time per document, which other load does not inflate
        import psutil

        def worker_cpu(client) -> float:
            def cpu() -> float:
                import psutil as ps

                t = ps.Process().cpu_times()
                return t.user + t.system

            return sum(client.run(cpu).values())

        spine = Pipeline(spine_cfg)
        me = psutil.Process()
        best = {"local": 1e9, "cluster": 1e9, "task": 1e9, "cpu_local": 1e9, "cpu_client": 1e9, "cpu_worker": 1e9}
        with ClusterExecutor(local_workers=1, send="path") as ex:
            started(ex, spine_cfg)
            for _ in range(args.rounds):
                c0, t0 = time.process_time(), time.perf_counter()
                for f in files:
                    spine.process_file(f)
                best["local"] = min(best["local"], (time.perf_counter() - t0) / len(files))
                best["cpu_local"] = min(best["cpu_local"], (time.process_time() - c0) / len(files))
                best["task"] = min(best["task"], trivial_overhead(ex, args.tasks))
                w0, c0 = worker_cpu(ex.connect()), sum(me.cpu_times()[:2])
                n, dt = timed_run(tmp / "in", tmp / "spine1", spine_cfg, executor=ex)
                best["cluster"] = min(best["cluster"], dt / n)
                best["cpu_client"] = min(best["cpu_client"], (sum(me.cpu_times()[:2]) - c0) / n)
                best["cpu_worker"] = min(best["cpu_worker"], (worker_cpu(ex.connect()) - w0) / n)
        ms = {k: 1000 * v for k, v in best.items()}
        print(
            f"scheduler overhead, trivial task, 1 worker:  {ms['task']:7.2f} ms/task "
            f"(best of {args.rounds} rounds of {args.tasks} tasks)"
        )
        print(
            f"spine per document, best of {args.rounds} rounds: in this process {ms['local']:.2f} ms, on a 1-worker "
            f"cluster {ms['cluster']:.2f} ms (the runner included): overhead {ms['cluster'] - ms['local']:.2f} ms/doc "
            "wall (target < 5)"
        )
        print(
            f"  CPU per document: in this process {ms['cpu_local']:.2f} ms; on the cluster {ms['cpu_worker']:.2f} ms in "
            f"the worker + {ms['cpu_client']:.2f} ms in the client and scheduler: overhead "
            f"{ms['cpu_worker'] + ms['cpu_client'] - ms['cpu_local']:.2f} ms/doc CPU"
        )
        try:
            load = os.getloadavg()
            print(f"load average at end {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
        except OSError:
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
