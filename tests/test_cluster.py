"""Batches on a Dask cluster (issue 17): a real scheduler and worker processes on
127.0.0.1 (``LocalCluster(processes=True)``), records identical to a local run,
paths or bytes, a worker killed mid-batch, usage errors, and the package working
without the ``cluster`` extra."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import pytest
from conftest import CORPUS, ROOT, SEEDS, SPINE
from typer.testing import CliRunner

from pipeline.batch import store_and_index
from pipeline.cli import app
from pipeline.config import load_config
from pipeline.runner import JOURNAL, run
from pipeline.store import open_store

distributed = pytest.importorskip("distributed", reason="the 'cluster' extra (Dask distributed) is not installed")

from pipeline.cluster import ClusterExecutor, config_key, parse_local_spec  # noqa: E402

BATCH_TIMEOUT = 240  # seconds; a batch that takes longer has hung (the machine is small and shared)


def _records(out: Path) -> list[dict]:
    return [json.loads(ln) for ln in (out / "records.jsonl").read_text(encoding="utf-8").splitlines()]


def _errors(out: Path) -> list[dict]:
    return [json.loads(ln) for ln in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]


def _store_rows(url: str) -> dict[str, tuple[str, str]]:
    st = open_store(url)
    try:
        return {rid: (st.get(rid).sha256, st.get(rid).source) for rid in st.ids()}
    finally:
        st.close()


def _bounded(fn, *args, timeout: float = BATCH_TIMEOUT, **kwargs):
    """Run ``fn`` in a thread and fail (instead of hanging CI) if it takes longer than ``timeout``."""
    pool = ThreadPoolExecutor(1)
    fut = pool.submit(fn, *args, **kwargs)
    try:
        return fut.result(timeout=timeout)
    except FutureTimeout:
        pytest.fail(f"the batch did not finish in {timeout} s")
    finally:
        pool.shutdown(wait=False)


def _start_cluster(n: int = 2):
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0", silence_logs=50
    )
    return cluster, Client(cluster, timeout=60)


@pytest.fixture(scope="module")
def client():
    cluster, client = _start_cluster(2)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _slow_workers(client, default: float, slow: dict[str, float] | None = None, poison: str = "") -> None:
    """Make every worker, also one that joins or restarts later, take ``default`` s per document
    (``slow[part]`` s for a path holding ``part``), and die at once on a path holding ``poison``.
    A worker plugin defined here is sent by value, so the workers need not import this module."""
    slow = dict(slow or {})

    class SlowDown(distributed.WorkerPlugin):
        name = "test-slow-down"

        def setup(self, worker=None) -> None:
            import os as _os
            import time as _t

            import pipeline.cluster as pc
            from pipeline.runner import process_one

            def delayed(nlp, path, source=None, data=None):
                if poison and poison in path:
                    _os._exit(1)
                _t.sleep(next((s for part, s in slow.items() if part in path), default))
                return process_one(nlp, path, source, data)

            pc._process = delayed

        def teardown(self, worker=None) -> None:
            import pipeline.cluster as pc
            from pipeline.runner import process_one

            pc._process = process_one

    client.register_plugin(SlowDown(), name=SlowDown.name)


def _unslow_workers(client) -> None:
    client.unregister_worker_plugin("test-slow-down")


DOC = (
    "Projekt {name}\n\nProjektnummer: {number}\n\nProjektägare: {owner}\n\nSyfte\n\n"
    "Projektet ska ge unga vuxna i {place} stöd att hitta arbete eller studier genom praktik och handledning.\n"
)


def _write_docs(folder: Path, n: int, start: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    places = ["Umeå", "Luleå", "Gävle", "Växjö", "Borås", "Karlstad"]
    out = []
    for i in range(start, start + n):
        p = folder / f"doc_{i:03d}.txt"
        p.write_text(
            DOC.format(name=f"Steg {i}", number=f"2019/{i:05d}", owner=f"{places[i % 6]} kommun", place=places[i % 6]),
            encoding="utf-8",
        )
        out.append(p)
    return out


# -- no cluster needed -----------------------------------------------------------------
def test_parse_local_spec():
    assert parse_local_spec("local:3") == 3
    assert parse_local_spec("local") == (os.cpu_count() or 1)
    for bad in ("local:0", "local:x", "tcp://host:8786", "remote:2"):
        with pytest.raises(ValueError):
            parse_local_spec(bad)


def test_config_key_follows_the_configuration():
    a, b = load_config(), load_config()
    assert config_key(a) == config_key(b)
    b["pipeline"]["stages"] = list(SPINE)
    assert config_key(a) != config_key(b)


def test_executor_needs_one_target():
    with pytest.raises(ValueError):
        ClusterExecutor()
    with pytest.raises(ValueError):
        ClusterExecutor(scheduler="tcp://127.0.0.1:8786", local_workers=2)
    with pytest.raises(ValueError):
        ClusterExecutor(local_workers=2, send="carrier-pigeon")


@pytest.mark.parametrize(
    "extra",
    [
        ["--scheduler", "tcp://127.0.0.1:8786", "--cluster", "local:2"],
        ["--cluster", "local:2", "--jobs", "2"],
        ["--cluster", "remote:2"],
        ["--send", "bytes"],
        ["--cluster", "local:2", "--send", "carrier-pigeon"],
    ],
)
def test_cli_cluster_usage_errors(tmp_path, extra):
    doc = _write_docs(tmp_path / "in", 1)[0]
    res = CliRunner().invoke(app, ["process", str(doc), "--out", str(tmp_path / "out"), "-q", *extra])
    assert res.exit_code == 2, res.output
    assert not (tmp_path / "out" / "records.jsonl").exists()


def test_without_dask_the_package_works_and_the_option_says_what_to_install(tmp_path):
    """Dask made unimportable: a plain run works; --cluster exits 2 naming the extra."""
    doc = _write_docs(tmp_path / "in", 1)[0]
    prog = (
        "import sys\n"
        "sys.modules['distributed'] = None; sys.modules['dask'] = None\n"
        "from pipeline.cli import main\n"
        "sys.argv = ['esf-pipeline'] + sys.argv[1:]\n"
        "main()\n"
    )
    base = [
        sys.executable,
        "-c",
        prog,
        "process",
        str(doc),
        "-q",
        "--no-index",
        "--config",
        str(tmp_path / "spine.yaml"),
    ]
    (tmp_path / "spine.yaml").write_text("pipeline:\n  stages: [clean, metadata, sections]\n", encoding="utf-8")
    plain = subprocess.run(base + ["--out", str(tmp_path / "a")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert plain.returncode == 0, plain.stderr
    assert len(_records(tmp_path / "a")) == 1
    clus = subprocess.run(
        base + ["--out", str(tmp_path / "b"), "--cluster", "local:1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert clus.returncode == 2, clus.stderr
    assert "esf-pipeline[cluster]" in clus.stderr and "Traceback" not in clus.stderr


def test_cli_cluster_local_runs_and_reruns(tmp_path):
    """`process --cluster local:1` starts and stops its own cluster: records, an error line and
    exit 3 for a bad document, exit 0 and everything skipped on the next run."""
    _write_docs(tmp_path / "in", 3)
    (tmp_path / "in" / "tom.txt").write_bytes(b"")
    (tmp_path / "spine.yaml").write_text("pipeline:\n  stages: [clean, metadata, sections]\n", encoding="utf-8")
    cmd = [
        sys.executable,
        "-m",
        "pipeline",
        "process",
        str(tmp_path / "in"),
        "--out",
        str(tmp_path / "out"),
        "--config",
        str(tmp_path / "spine.yaml"),
        "--no-index",
        "--cluster",
        "local:1",
    ]
    first = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=BATCH_TIMEOUT)
    assert first.returncode == 3, first.stderr
    assert "3 processed, 0 unchanged (skipped), 1 failed" in first.stderr
    assert [e["error"] for e in _errors(tmp_path / "out")] == ["empty"]
    assert len(_records(tmp_path / "out")) == 3
    again = subprocess.run(cmd + ["--allow-failures"], cwd=ROOT, capture_output=True, text=True, timeout=BATCH_TIMEOUT)
    assert again.returncode == 0, again.stderr
    assert "0 processed, 3 unchanged (skipped), 1 failed" in again.stderr


# -- a real scheduler and two worker processes ---------------------------------------------
@pytest.mark.shared
def test_cluster_records_identical_to_local_run(tmp_path, client):
    """The whole pipeline (models included) on the corpus and the seeds, plus bad documents:
    records, error lines and store rows are those of a local run."""
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "tom.txt").write_bytes(b"")
    (bad / "binar.txt").write_bytes(bytes(range(256)) * 8)
    (bad / "trasig.pdf").write_bytes(b"%PDF-1.4\nthis is not really a pdf\n")
    inputs = [CORPUS, SEEDS, bad]
    cfg = load_config()
    local, remote = tmp_path / "local", tmp_path / "cluster"
    s_local = run(inputs, local, cfg, quiet=True, after_batch=store_and_index(cfg, str(local / "store.sqlite"), True))
    ex = ClusterExecutor(client=client, send="path")
    s_remote = _bounded(
        run,
        inputs,
        remote,
        cfg,
        quiet=True,
        executor=ex,
        after_batch=store_and_index(cfg, str(remote / "store.sqlite"), True),
    )
    assert s_remote.processed == s_local.processed == len(_records(local)) >= 12
    assert s_remote.failed == s_local.failed == 3
    differ = [(a["source"], k) for a, b in zip(_records(local), _records(remote)) for k in a if a[k] != b.get(k)]
    assert not differ, differ[:10]
    assert _records(remote) == _records(local)
    assert _errors(remote) == _errors(local)
    assert {e["error"] for e in _errors(remote)} >= {"empty", "binary", "corrupt_pdf"}
    assert _store_rows(str(remote / "store.sqlite")) == _store_rows(str(local / "store.sqlite"))
    assert sorted(p.name for p in (remote / "index").iterdir()) == sorted(p.name for p in (local / "index").iterdir())
    assert not (remote / JOURNAL).exists()


def test_bytes_mode_order_size_limit_and_reruns(tmp_path, client):
    """Documents sent as bytes give the records and error lines of a local run; a file over
    ingest.max_bytes is never sent (same too_large line); results reach the runner in document
    order even when the first document finishes last (same ids for two documents stating one
    project number); re-runs skip unchanged documents and replace a changed one."""
    cfg = load_config()
    cfg["pipeline"]["stages"] = list(SPINE)
    cfg.setdefault("ingest", {})["max_bytes"] = 4000
    inp = tmp_path / "in"
    _write_docs(inp, 8)
    twin = DOC.format(name="Tvilling", number="2019/00000", owner="Umeå kommun", place="Umeå")
    (inp / "a_first.txt").write_text(twin, encoding="utf-8")  # sorts first, finishes last
    (inp / "z_last.txt").write_text(twin + "Slutrapport.\n", encoding="utf-8")
    (inp / "stor.txt").write_text("Projekt Stor\n\n" + "Många ord om arbete och studier. " * 300, encoding="utf-8")
    (inp / "tom.txt").write_bytes(b"")

    local = tmp_path / "local"
    run([inp], local, cfg, quiet=True)
    sent: list[int] = []
    ex = ClusterExecutor(client=client, send="bytes")
    real_submit = client.submit

    def spy(fn, *args, **kwargs):
        sent.extend(len(data) if data is not None else -1 for _, _, data in args[1])
        return real_submit(fn, *args, **kwargs)

    _slow_workers(client, 0.0, {"a_first": 3.0})
    try:
        ex.client = type("Spy", (), {"__getattr__": lambda self, a: getattr(client, a), "submit": staticmethod(spy)})()
        remote = tmp_path / "cluster"
        s = _bounded(run, [inp], remote, cfg, quiet=True, executor=ex)
    finally:
        _unslow_workers(client)
    assert _records(remote) == _records(local)
    assert _errors(remote) == _errors(local)
    ids = {Path(r["source"]).name: r["id"] for r in _records(remote)}
    assert ids["a_first.txt"] == "2019/00000" and ids["z_last.txt"].startswith("2019/00000~")
    assert {e["error"] for e in _errors(remote)} == {"too_large", "empty"}
    assert s.processed == 10 and s.failed == 2
    assert len(sent) == 11 and all(0 <= n <= 4000 for n in sent)  # every file but the large one, as bytes

    again = _bounded(run, [inp], remote, cfg, quiet=True, executor=ex)
    assert (again.processed, again.skipped) == (0, 10)
    (inp / "doc_003.txt").write_text(
        DOC.format(name="Steg 3 ny", number="2019/00003", owner="Gävle kommun", place="Gävle"), encoding="utf-8"
    )
    changed = _bounded(run, [inp], remote, cfg, quiet=True, executor=ex)
    assert (changed.processed, changed.skipped) == (1, 9)
    recs = _records(remote)
    assert len(recs) == 10 and len({r["source"] for r in recs}) == 10
    assert next(r for r in recs if r["source"].endswith("doc_003.txt"))["title"].endswith("Steg 3 ny")


def test_window_grows_when_workers_join(tmp_path, client):
    """The number of documents in flight follows the cluster's size during a batch (workers
    that join an HPC or Kubernetes cluster after the run started get work)."""
    cfg = load_config()
    cfg["pipeline"]["stages"] = list(SPINE)
    _write_docs(tmp_path / "in", 60)
    ex = ClusterExecutor(client=client, chunk=1, resize_every=0.1)
    sizes = iter([1, 1])
    ex.worker_threads = lambda: next(sizes, 10)  # 1 thread when the run starts, then 10
    state = {"now": 0, "most": 0}
    lock = threading.Lock()
    real_submit = client.submit

    def settled(_fut):
        with lock:
            state["now"] -= 1

    def spy(fn, *args, **kwargs):
        fut = real_submit(fn, *args, **kwargs)
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        fut.add_done_callback(settled)
        return fut

    ex.client = type("Spy", (), {"__getattr__": lambda self, a: getattr(client, a), "submit": staticmethod(spy)})()
    _slow_workers(client, 0.1)
    try:
        s = _bounded(run, [tmp_path / "in"], tmp_path / "out", cfg, quiet=True, executor=ex)
    finally:
        _unslow_workers(client)
    assert s.processed == 60
    assert state["most"] > 16  # the window at the start: max(16, 4 tasks x 1 thread x 1 document)


def test_a_later_run_reuses_the_pipeline_loaded_on_the_workers(tmp_path, client):
    """The worker plugin is registered once per configuration and version: a second run (a new
    executor, as a new `process --scheduler` would make) finds the models loaded."""
    cfg = load_config()
    cfg["pipeline"]["stages"] = list(SPINE)
    cfg["metadata"] = dict(cfg.get("metadata") or {})  # a configuration no other test registers
    cfg.setdefault("ingest", {})["max_chars"] = 1_999_999
    name = f"esf-pipeline-{config_key(cfg)}"
    _write_docs(tmp_path / "in", 3)

    def loaded(dask_worker):
        return id(dask_worker.plugins[name].nlp)

    _bounded(run, [tmp_path / "in"], tmp_path / "a", cfg, quiet=True, executor=ClusterExecutor(client=client))
    first = client.run(loaded)
    s = _bounded(run, [tmp_path / "in"], tmp_path / "b", cfg, quiet=True, executor=ClusterExecutor(client=client))
    assert s.processed == 3
    assert client.run(loaded) == first and len(first) == 2


def test_workers_that_cannot_load_the_pipeline_stop_the_run(tmp_path, client):
    """A configuration the workers cannot build stops the run with a clear error (exit 1 in the
    CLI), before any document is journaled."""
    cfg = load_config()
    cfg["pipeline"]["stages"] = ["clean", "no_such_stage"]
    _write_docs(tmp_path / "in", 2)
    with pytest.raises(RuntimeError, match="could not load the pipeline"):
        _bounded(run, [tmp_path / "in"], tmp_path / "out", cfg, quiet=True, executor=ClusterExecutor(client=client))
    assert not (tmp_path / "out" / "records.jsonl").exists()


@pytest.mark.shared
def test_worker_killed_mid_batch(tmp_path):
    """SIGKILL one of two worker processes while documents are in flight: the batch finishes,
    every document has exactly one record, and the store matches the records. A document that
    kills every worker it is given to gets one worker_lost error line and takes no other
    document of its chunk with it."""
    import dask

    cfg = load_config()
    cfg["pipeline"]["stages"] = list(SPINE)
    extra = _write_docs(tmp_path / "in", 24)
    (tmp_path / "in" / "gift.txt").write_text(
        DOC.format(name="Gift", number="2019/99999", owner="Umeå kommun", place="Umeå"), encoding="utf-8"
    )
    inputs = [CORPUS, SEEDS, tmp_path / "in"]
    total = 12 + len(extra)
    out = tmp_path / "out"
    url = str(out / "store.sqlite")
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        cluster, client = _start_cluster(2)
    try:
        pids = client.run(os.getpid)
        assert len(pids) == 2
        _slow_workers(client, 0.25, poison="gift.txt")
        victim = sorted(pids.values())[0]
        seen_at_kill: list[int] = []

        def killer() -> None:
            deadline = time.monotonic() + BATCH_TIMEOUT
            while time.monotonic() < deadline:
                try:
                    n = len((out / JOURNAL).read_bytes().splitlines())
                except OSError:
                    n = 0
                if n >= 3:
                    seen_at_kill.append(n)
                    try:
                        os.kill(victim, signal.SIGKILL)
                    except ProcessLookupError:  # the poison document got it first
                        pass
                    return
                time.sleep(0.02)

        t = threading.Thread(target=killer, daemon=True)
        t.start()
        ex = ClusterExecutor(client=client, send="path")
        s = _bounded(run, inputs, out, cfg, quiet=True, executor=ex, after_batch=store_and_index(cfg, url, False))
        t.join(5)
        assert seen_at_kill and seen_at_kill[0] < total, "the worker was not killed mid-batch"
    finally:
        client.close()
        cluster.close()
    recs = _records(out)
    sources = [r["source"] for r in recs]
    assert s.processed == total and s.failed == 1
    assert len(recs) == total and len(set(sources)) == total
    assert [(Path(e["source"]).name, e["error"]) for e in _errors(out) if e["error"] != "unsupported_type"] == [
        ("gift.txt", "worker_lost")
    ]
    assert _store_rows(url) == {r["id"]: (r["sha256"], r["source"]) for r in recs}
    assert not (out / JOURNAL).exists()
