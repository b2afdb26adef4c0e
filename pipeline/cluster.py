"""Run a batch on a Dask cluster (``dask.distributed``): ``process --scheduler
tcp://HOST:8786`` or ``process --cluster local:N``.

The runner (:func:`pipeline.runner.run`) stays the same: it hands this
executor the documents to do and consumes ``(status, payload)`` results, writing
the journal, ``records.jsonl``, ``errors.jsonl``, the store and the index on the
client exactly as for the local process pool. Here:

* **One Pipeline per worker.** A worker plugin (:class:`PipelinePlugin`, keyed by
  the configuration) builds the Pipeline, models included, when it is registered
  and on every worker that joins later (a worker restarted after a crash too);
  each task only looks it up.
* **Paths or bytes.** Documents go to the workers as paths when the input is on
  a file system the workers see at the same place (a local cluster, a shared
  mount), else as bytes read by the client; the ingest size limit
  (``ingest.max_bytes``) is checked on the client before a file is read or sent,
  with the same error as a local run.
* **Streaming, in order, bounded.** Tasks are submitted through a bounded window
  and collected with ``as_completed``; the runner gets the results in the order
  of the documents (a document finished early waits, in memory, for the ones
  before it), so ids and error lines are those of a local run. A document is
  submitted once and its result is handed over once: nothing is duplicated.
* **Chunks.** A task carries a few documents (up to 8), so the scheduler's own
  cost per task (a few milliseconds on a busy machine) is shared by them.
* **Lost workers.** When a worker dies, the scheduler hands its in-flight
  tasks to another worker; a task that raises is retried (``retries``). When the
  scheduler gives up on a task (its workers died ``distributed.scheduler.allowed-failures``
  times), its documents are tried again one per task, and a document that still
  kills its workers gets a ``worker_lost`` error line; the batch goes on.

``dask``/``distributed`` are an optional extra (``pip install 'esf-pipeline[cluster]'``);
this module imports them lazily and :func:`require_dask` says what to install.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from . import __version__
from .errors import ClusterUnavailable
from .ingest import DEFAULT_MAX_BYTES, IngestError, read_document
from .runner import _error, process_one

INSTALL_HINT = "pip install 'esf-pipeline[cluster]'  (Dask distributed)"
SEND_MODES = ("auto", "path", "bytes")


def require_dask() -> None:
    """Raise :class:`ClusterUnavailable` with what to install when ``distributed`` is missing."""
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise ClusterUnavailable(
            f"--scheduler and --cluster need Dask distributed, which is not installed: {INSTALL_HINT}"
        ) from exc


_LOCAL_SPEC = re.compile(r"^local(?::(\d+))?$")


def parse_local_spec(spec: str) -> int:
    """``local:N`` -> N (``local`` alone: the number of CPU cores). ValueError otherwise."""
    m = _LOCAL_SPEC.match(spec.strip())
    if not m:
        raise ValueError(f"--cluster takes local:N (N worker processes on this machine), not {spec!r}")
    n = int(m.group(1)) if m.group(1) else (os.cpu_count() or 1)
    if n < 1:
        raise ValueError("--cluster local:N needs N >= 1")
    return n


def config_key(config: dict[str, Any]) -> str:
    """A short, stable key of a configuration (plus the package version): the
    name of the worker plugin that holds the Pipeline built from it."""
    blob = json.dumps(config, sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(f"{__version__}\n{blob}".encode()).hexdigest()[:16]


# -- worker side ---------------------------------------------------------------------
try:  # the base class only; nothing else of Dask is imported before it is needed
    from distributed import WorkerPlugin as _PluginBase
except ImportError:  # pragma: no cover - the extra is not installed
    _PluginBase = object  # type: ignore[assignment,misc]


class PipelinePlugin(_PluginBase):  # type: ignore[misc,valid-type]
    """Builds the Pipeline once on each worker (and on every worker that joins).
    Idempotent: a later run with the same configuration and version on a long-running
    cluster finds it registered and the models already loaded."""

    idempotent = True

    def __init__(self, config: dict[str, Any], version: str = __version__):
        self.config = config
        self.version = version
        self.name = f"esf-pipeline-{config_key(config)}"
        self.nlp = None
        self._lock: Optional[threading.Lock] = None

    def __getstate__(self) -> dict[str, Any]:  # sent to the workers without the built pipeline
        return {"config": self.config, "version": self.version, "name": self.name}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.nlp = None
        self._lock = None

    def setup(self, worker=None) -> None:
        from . import __version__ as here
        from .pipeline import Pipeline

        if here != self.version:
            raise RuntimeError(
                f"this worker has esf-pipeline {here}, the client {self.version}: install the same version on every worker"
            )
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        self._lock = threading.Lock()  # a worker with several threads runs one document at a time
        self.nlp = Pipeline(self.config)

    def process(self, path: str, source: str, data: Optional[bytes]) -> tuple[str, dict[str, Any]]:
        if self.nlp is None:
            self.setup()
        assert self._lock is not None
        with self._lock:
            return _process(self.nlp, path, source, data)


_process = process_one  # the per-document call (a module attribute, so a test can slow it down on the workers)


def _task(plugin_name: str, batch: list[tuple[str, str, Optional[bytes]]]) -> list[tuple[str, dict[str, Any]]]:
    """A few documents ``(path, source, bytes or None)`` on a worker: ``("ok", record)`` or
    ``("error", line)`` for each; never raises for a bad document."""
    from distributed import get_worker

    plugin = get_worker().plugins.get(plugin_name)
    if plugin is None:
        raise RuntimeError(f"worker plugin {plugin_name} is not registered on this worker")
    return [plugin.process(path, source, data) for path, source, data in batch]


def _noop(i: int) -> int:
    """A trivial task: measures the scheduler's own cost per task."""
    return i


# -- client side ---------------------------------------------------------------------
@dataclass
class ClusterExecutor:
    """Maps documents over a Dask cluster: ``scheduler`` (an address such as
    ``tcp://host:8786``) or ``local_workers`` (start a ``LocalCluster`` of that many
    single-threaded worker processes on this machine). Connects on first use;
    use it as a context manager (or call :meth:`close`) to let go of the cluster.

    ``send``: ``"path"`` (the workers read the files: they must see them at the
    same path), ``"bytes"`` (the client reads and sends them) or ``"auto"`` (paths
    for a local cluster, bytes for a scheduler). ``chunk``: documents per task
    (default: up to 8, fewer for small batches, so every worker gets work; the
    scheduler's cost per task is shared by them). ``window``: documents in flight
    at most (default: 4 tasks per worker thread, at least 16 documents; looked up
    again every ``resize_every`` seconds, so workers that join a running batch get work).
    ``retries``: retries of a task that raised."""

    scheduler: Optional[str] = None
    local_workers: Optional[int] = None
    send: str = "auto"
    window: Optional[int] = None
    chunk: Optional[int] = None
    retries: int = 2
    resize_every: float = 5.0
    connect_timeout: float = 30.0
    client: Any = None

    def __post_init__(self) -> None:
        if (self.scheduler is None) == (self.local_workers is None) and self.client is None:
            raise ValueError("give either a scheduler address or a number of local workers")
        if self.send not in SEND_MODES:
            raise ValueError(f"send must be one of {', '.join(SEND_MODES)}, not {self.send!r}")
        require_dask()
        self._cluster = None
        self._own_client = self.client is None
        self._registered: set[str] = set()

    # lifecycle
    def __enter__(self) -> ClusterExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def send_bytes(self) -> bool:
        if self.send == "auto":
            return self.scheduler is not None
        return self.send == "bytes"

    def connect(self):
        """The ``distributed.Client`` (started on first use)."""
        if self.client is not None:
            return self.client
        from distributed import Client, LocalCluster

        try:
            if self.local_workers is not None:
                self._cluster = LocalCluster(
                    n_workers=self.local_workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=":0",
                    silence_logs=40,
                )
                self.client = Client(self._cluster, timeout=self.connect_timeout)
            else:
                self.client = Client(self.scheduler, timeout=self.connect_timeout)
        except (OSError, TimeoutError) as exc:
            self.close()
            where = self.scheduler or f"a local cluster of {self.local_workers} workers"
            raise RuntimeError(f"cannot reach the Dask scheduler at {where}: {exc}") from exc
        return self.client

    def close(self) -> None:
        if self.client is not None and self._own_client:
            try:
                self.client.close()
            finally:
                self.client = None
        if self._cluster is not None:
            try:
                self._cluster.close()
            finally:
                self._cluster = None

    def worker_threads(self) -> int:
        info = self.connect().scheduler_info(n_workers=-1) if _takes_n_workers() else self.connect().scheduler_info()
        return sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()) or 1

    def register(self, config: dict[str, Any]) -> str:
        """Register the Pipeline plugin for ``config`` (once per configuration); its name."""
        plugin = PipelinePlugin(config)
        if plugin.name not in self._registered:
            try:
                self.connect().register_plugin(plugin, name=plugin.name)
            except Exception as exc:
                raise RuntimeError(
                    f"the workers could not load the pipeline ({type(exc).__name__}: {exc}); every worker needs "
                    f"esf-pipeline {__version__} installed with its configs and models"
                ) from exc
            self._registered.add(plugin.name)
        return plugin.name

    # the map
    def _payload(self, path: str, source: str, ingest: dict[str, Any]) -> tuple[Optional[bytes], Optional[dict]]:
        """The file's bytes to send, or the error line a local run would write (too
        large, unreadable, …); the size limit is checked before reading."""
        max_bytes = int(ingest.get("max_bytes", DEFAULT_MAX_BYTES))
        try:
            if os.stat(path).st_size <= max_bytes:
                data = Path(path).read_bytes()
                if len(data) <= max_bytes:
                    return data, None
        except OSError:
            pass
        try:  # ingest's own check and words (too_large, unreadable, unsupported_type)
            read_document(path, ingest)
        except IngestError as exc:
            return None, _error(source, exc.kind, exc.message)
        return Path(path).read_bytes(), None  # it changed under us and is fine now

    def map(self, items: list[tuple[str, str]], config: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(status, payload)`` for each ``(path, source)``, in the order of ``items``."""
        if not items:
            return
        from concurrent.futures import CancelledError

        from distributed import KilledWorker, as_completed

        client = self.connect()
        name = self.register(config)
        threads = self.worker_threads()
        chunk = self.chunk or max(1, min(8, len(items) // (4 * threads)))

        def window_size() -> int:  # documents in flight; follows workers that join (or leave)
            return self.window or max(16, 4 * self.worker_threads() * chunk)

        window = self.window or max(16, 4 * threads * chunk)
        sized_at = time.monotonic()
        ahead = max(window, 4096)  # finished results held for the runner, at most
        ingest = config.get("ingest") or {}
        run = uuid.uuid4().hex[:12]
        done: dict[int, tuple[str, dict[str, Any]]] = {}
        tasks: dict[str, tuple[list[int], Any]] = {}  # key -> (document indices, future)
        flying = as_completed()
        order = deque(range(len(items)))
        alone: deque[int] = deque()  # documents of a chunk whose worker died: again, one per task
        in_flight = 0
        n_next = 0  # next index to hand to the runner
        serial = 0

        def submit(indices: list[int]) -> None:
            nonlocal in_flight, serial
            batch, sent = [], []
            for i in indices:
                path, source = items[i]
                data = None
                if self.send_bytes:
                    data, err = self._payload(path, source, ingest)
                    if err is not None:
                        done[i] = ("error", err)
                        continue
                batch.append((path, source, data))
                sent.append(i)
            if not batch:
                return
            serial += 1
            fut = client.submit(_task, name, batch, key=f"esf-docs-{run}-{serial}", pure=False, retries=self.retries)
            tasks[fut.key] = (sent, fut)
            in_flight += len(sent)
            flying.add(fut)

        try:
            while n_next < len(items):
                if time.monotonic() - sized_at > self.resize_every:
                    window, sized_at = window_size(), time.monotonic()
                while alone and in_flight < window:
                    submit([alone.popleft()])
                while order and not alone and in_flight < window and order[0] - n_next < ahead:
                    take = [order.popleft()]
                    while order and len(take) < chunk:
                        take.append(order.popleft())
                    submit(take)
                while n_next in done:
                    yield done.pop(n_next)
                    n_next += 1
                if n_next >= len(items) or not tasks:
                    continue
                fut = next(flying)
                indices, _ = tasks.pop(fut.key)
                in_flight -= len(indices)
                try:
                    # (a finished task whose worker dies before its result is fetched is run
                    # again by the scheduler: result() waits for that, and may end in KilledWorker)
                    results = fut.result()
                except KilledWorker:
                    if len(indices) > 1:  # which of them killed the workers? each alone
                        alone.extend(indices)
                    else:
                        done[indices[0]] = (
                            "error",
                            _error(
                                items[indices[0]][1],
                                "worker_lost",
                                "the workers given this document died while processing it (out of memory or killed)",
                            ),
                        )
                except CancelledError as exc:
                    raise RuntimeError("the Dask scheduler cancelled the batch (connection lost?)") from exc
                except Exception as exc:
                    raise RuntimeError(f"a cluster task failed: {type(exc).__name__}: {exc}") from exc
                else:
                    for i, result in zip(indices, results):
                        done[i] = result
                fut.release()
        finally:  # the runner stopped early (an error, Ctrl-C): take back what is still queued
            if tasks:
                try:
                    client.cancel([f for _, f in tasks.values()])
                except Exception:  # pragma: no cover - the connection is gone already
                    pass
            flying.clear()


def _takes_n_workers() -> bool:
    import inspect

    from distributed import Client

    return "n_workers" in inspect.signature(Client.scheduler_info).parameters
