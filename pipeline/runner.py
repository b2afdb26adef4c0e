"""Batch runner: many files -> records.jsonl + errors.jsonl (+ store, index).

* Inputs are files or folders (searched recursively; hidden files and folders,
  and the output folder itself, are left out). Every other file that is not a
  supported document gets an ``unsupported_type`` line in ``errors.jsonl``.
* A document is known by its **source**: its absolute, symlink-resolved path,
  so the same folder given by a relative or an absolute path is the same set of
  documents. A file name that is not valid UTF-8 (Latin-1 bytes from old Windows
  archives) is shown with those bytes read as cp1252/Latin-1.
* Unchanged documents (same source and sha256 as a record already in the
  output) are skipped; a changed one replaces its old record, whatever its id.
* Each finished document is appended to a journal in the output folder as soon
  as it is done, so a killed run loses nothing: the next run picks the journal
  up and skips what it holds. Final files are written atomically, and the
  journal is removed only after ``records.jsonl``, ``errors.jsonl`` and the
  ``after_batch`` step (store, index) have all finished: a record still in the
  journal is one the store and index may not have yet, and the next run hands
  it to ``after_batch`` again even though it is unchanged.
* One writer per output folder: a lock (``DIR/.lock``, an OS file lock that dies
  with its process) refuses a second run with a clear message.
* Sources that no longer exist are counted in the summary; ``prune=True``
  removes their records (the store rows and index entries follow).
* ``jobs=N`` runs N worker processes, each building its own Pipeline once; the
  workers die with the parent process even when it is SIGKILLed.
* ``executor=`` maps the documents over something else, e.g. a Dask cluster
  (:class:`pipeline.cluster.ClusterExecutor`): anything with
  ``map(items, config)`` yielding ``(status, payload)`` per item, in the order of
  ``items``. The journal, the records, the errors, the store and the index are
  written here, on the client, exactly as for the local pool.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Optional

from tqdm import tqdm

from . import __version__
from .errors import OutputLocked, StageError
from .ingest import SUFFIXES, IngestError, detect_format, parse_bytes, sha256_of
from .pipeline import Pipeline
from .record import Record

RECORDS = "records.jsonl"
ERRORS = "errors.jsonl"
JOURNAL = ".journal.jsonl"
LOCK = ".lock"
UNSUPPORTED = "unsupported_type"


@dataclass
class RunSummary:
    processed: int = 0
    skipped: int = 0
    failed: int = 0
    unsupported: int = 0  # files that are not supported documents (in folders or named)
    gone: int = 0  # records whose source file no longer exists (kept)
    pruned: int = 0  # records removed because their source is gone (prune=True)
    empty_input: bool = False  # the inputs hold no supported document at all
    seconds: float = 0.0
    out_dir: Optional[Path] = None
    new_records: list[Record] = field(default_factory=list)

    def line(self) -> str:
        rate = self.processed / self.seconds if self.seconds else 0.0
        parts = [f"{self.processed} processed, {self.skipped} unchanged (skipped), {self.failed} failed"]
        if self.unsupported:
            parts.append(f"{self.unsupported} unsupported (skipped)")
        if self.gone:
            parts.append(f"{self.gone} source{'s' if self.gone != 1 else ''} gone (records kept; --prune removes them)")
        if self.pruned:
            parts.append(f"{self.pruned} pruned (source gone)")
        if self.empty_input:
            parts.append("no supported documents in the input")
        return ", ".join(parts) + f" in {self.seconds:.1f} s ({rate:.1f} docs/s) -> {self.out_dir}"


# -- sources -------------------------------------------------------------------------
def display_path(path: str | os.PathLike) -> str:
    """A path as valid Unicode text. Bytes of a file name that are not UTF-8 are
    read as cp1252 (Latin-1 where cp1252 has no character)."""
    s = os.fspath(path)
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        pass
    out = []
    for ch in s:
        o = ord(ch)
        if 0xDC80 <= o <= 0xDCFF:  # a byte os.fsdecode could not decode (surrogateescape)
            b = bytes([o - 0xDC00])
            try:
                out.append(b.decode("cp1252"))
            except UnicodeDecodeError:
                out.append(b.decode("latin-1"))
        elif 0xD800 <= o <= 0xDFFF:
            out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out)


def source_of(path: str | os.PathLike) -> str:
    """The source name of a file: absolute, symlinks resolved, valid Unicode."""
    return display_path(Path(path).resolve())


def canonical_source(source: str) -> str:
    """The source of a record written by an older version (relative paths were
    kept as given; they are read relative to the current folder)."""
    return source if os.path.isabs(source) else source_of(source)


def source_exists(source: str) -> bool:
    if os.path.exists(source):
        return True
    for enc in ("cp1252", "latin-1"):  # a non-UTF-8 file name shown by display_path
        try:
            if os.path.exists(source.encode(enc)):
                return True
        except (UnicodeEncodeError, ValueError):
            continue
    return False


@dataclass
class Discovery:
    files: list[tuple[Path, str]] = field(default_factory=list)  # (path to read, source)
    unsupported: list[tuple[str, bool]] = field(default_factory=list)  # (source, named on the command line)


def _hidden(path: Path, root: Path) -> bool:
    """Hidden files and folders (``.name``) and Office owner files (``~$name.docx``,
    left beside documents that are open in Word)."""
    parts = path.relative_to(root).parts
    return any(part.startswith(".") for part in parts) or parts[-1].startswith("~$")


def discover(inputs: Iterable[str | Path], exclude: Optional[Path] = None) -> Discovery:
    """Expand files and folders into a sorted, de-duplicated list of supported
    files, and the unsupported ones. Missing paths raise FileNotFoundError.

    Inside folders, hidden files and folders (name starting with ``.``), Office
    owner files (``~$…``) and anything under ``exclude`` (the output folder) are
    left out."""
    found = Discovery()
    seen: set[Path] = set()
    taken: dict[str, Path] = {}
    skip = exclude.resolve() if exclude is not None else None

    def add(f: Path, named: bool) -> None:
        key = f.resolve()
        if key in seen:
            return
        seen.add(key)
        src = display_path(key)
        if src in taken and taken[src] != key:  # two byte names that read the same
            src = os.fsencode(key).decode("utf-8", "backslashreplace")
        taken[src] = key
        if f.suffix.lower() in SUFFIXES:
            found.files.append((f, src))
        else:
            found.unsupported.append((src, named))

    for item in inputs:
        p = Path(item)
        if not p.exists():
            raise FileNotFoundError(f"input not found: {display_path(p)}")
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if not f.is_file() or _hidden(f, p):
                    continue
                if skip is not None and (skip == f.resolve() or skip in f.resolve().parents):
                    continue
                add(f, named=False)
        else:
            add(p, named=True)
    return found


def _unsupported_message(source: str) -> str:
    try:
        detect_format(Path(source))
    except IngestError as exc:  # ingest's own words (with what to do for .doc and the like)
        return exc.message
    return f"unsupported file type {Path(source).suffix!r}"


def _error(source: str, kind: str, message: str) -> dict[str, str]:
    return {"source": source, "error": kind, "message": display_path(message)}


# -- worker side -------------------------------------------------------------
_WORKER: Optional[Pipeline] = None


def _die_with_parent(parent_pid: int) -> None:
    """Make this pool worker end when the process that started it ends, even by
    SIGKILL: PR_SET_PDEATHSIG on Linux, and a watch thread everywhere."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        except Exception:  # pragma: no cover - no libc prctl: the thread below still works
            pass
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _init_worker(config: dict[str, Any], parent_pid: Optional[int] = None) -> None:
    global _WORKER
    if parent_pid is not None:
        _die_with_parent(parent_pid)
    _WORKER = Pipeline(config)


def _work(item: tuple[str, str]) -> tuple[str, Record | dict[str, Any]]:
    assert _WORKER is not None, "worker not initialised"
    return process_one(_WORKER, *item)


def process_one(
    nlp: Pipeline, path: str, source: Optional[str] = None, data: Optional[bytes] = None
) -> tuple[str, Record | dict[str, Any]]:
    """("ok", record) or ("error", error_entry) for one file; never raises.
    ``source`` (default: the path as given) is the name the record carries.
    ``data``: the file's bytes, already read (by a client that sends documents to
    workers that cannot see its disk); ``path`` then only names the document and
    gives its format, and the result is the same as reading ``path``."""
    source = display_path(path) if source is None else source
    try:
        if data is None:
            rec = nlp.process_file(path)
        else:
            raw = parse_bytes(data, detect_format(Path(path)), str(Path(path)))
            rec = nlp.process_raw(raw)
        return "ok", rec.model_copy(update={"source": source})
    except (IngestError, StageError) as exc:
        return "error", _error(source, exc.kind, exc.message)
    except MemoryError:
        return "error", _error(source, "too_large", "out of memory while processing the document")
    except Exception as exc:  # last resort: report, never crash the batch
        return "error", _error(source, "internal", f"{type(exc).__name__}: {exc}")


# -- output files --------------------------------------------------------------
def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    with open(path, "rb") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                out.append(json.loads(line))
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue  # a torn last line of a killed run's journal
    return out


def _jsonl_bytes(row: dict[str, Any]) -> bytes:
    """One JSON line as UTF-8; text that UTF-8 cannot hold (lone surrogates) is
    written as JSON escapes, so it round-trips instead of stopping the run."""
    s = json.dumps(row, ensure_ascii=False)
    try:
        return (s + "\n").encode("utf-8")
    except UnicodeEncodeError:
        return (json.dumps(row, ensure_ascii=True) + "\n").encode("ascii")


def write_jsonl_atomic(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        with os.fdopen(fd, "wb") as fh:
            for row in rows:
                fh.write(_jsonl_bytes(row))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _assign_id(rec: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> None:
    """Keep ids unique per document: a second document stating the same project
    number gets the number plus a short content hash."""
    other = by_id.get(rec["id"])
    if other is not None and other["source"] != rec["source"]:
        rec["id"] = f"{rec['id']}~{rec['sha256'][:8]}"


# -- one writer per output folder ------------------------------------------------
@contextmanager
def output_lock(out_dir: str | Path) -> Iterator[None]:
    """Hold the output folder's lock: an OS lock on ``DIR/.lock`` (flock), which the
    OS drops when its process ends however it ends, so a lock file left by a dead
    process is simply taken over. The file names the holder for the message."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            _lock_fd(fd)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES):
                raise OutputLocked(f"cannot lock {display_path(path)}: {exc.strerror or exc}") from exc
            try:
                holder = path.read_text(encoding="utf-8", errors="replace").strip()
            except OSError:
                holder = ""
            raise OutputLocked(
                f"another process is writing to {display_path(out)} ({holder or 'holder unknown'}); "
                "wait for it to finish, or use another --out"
            ) from None
        os.ftruncate(fd, 0)
        started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        os.write(fd, f"pid {os.getpid()} (esf-pipeline process), started {started}\n".encode())
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock


def _lock_fd(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


# -- the run -------------------------------------------------------------------
def run(
    inputs: Iterable[str | Path],
    out_dir: str | Path,
    config: dict[str, Any],
    jobs: int = 1,
    quiet: bool = False,
    force: bool = False,
    after_batch: Optional[Any] = None,
    prune: bool = False,
    executor: Optional[Any] = None,
) -> RunSummary:
    """Process inputs into ``out_dir``.

    ``after_batch(records, pending, out_dir, removed=[...])`` runs once at the end
    (store upsert, index update; :func:`pipeline.batch.store_and_index`) with all
    current records, those that may not have reached the store and index yet
    (processed now, or journaled by a run that was killed), and the records removed
    by ``prune``, all as :class:`~pipeline.record.Record`. Raises :class:`OutputLocked`
    when another run holds the output folder and FileNotFoundError for a missing
    input.

    ``executor`` (default: :class:`LocalExecutor` with ``jobs`` processes) maps the
    documents to results; see the module notes."""
    out = Path(out_dir)
    if executor is None:
        executor = LocalExecutor(jobs)
    with output_lock(out):
        return _run(inputs, out, config, executor, quiet, force, after_batch, prune)


def _run(inputs, out: Path, config, executor, quiet, force, after_batch, prune) -> RunSummary:
    t0 = time.perf_counter()
    found = discover(inputs, exclude=out)

    journaled = read_jsonl(out / JOURNAL)
    previous = read_jsonl(out / RECORDS) + journaled
    by_id: dict[str, dict[str, Any]] = {}
    by_source: dict[str, dict[str, Any]] = {}
    for rec in previous:
        rec["source"] = canonical_source(rec["source"])
        stale = by_source.get(rec["source"])
        if stale is not None and stale["id"] != rec["id"]:
            by_id.pop(stale["id"], None)
        by_id[rec["id"]] = rec
        by_source[rec["source"]] = rec
    old_errors: dict[str, dict[str, str]] = {}
    for e in read_jsonl(out / ERRORS):
        e["source"] = canonical_source(e["source"])
        old_errors[e["source"]] = e

    summary = RunSummary(out_dir=out, empty_input=not found.files)
    current = {src for _, src in found.files} | {src for src, _ in found.unsupported}

    # Sources gone from disk: said in the summary, removed with prune.
    removed: list[dict[str, Any]] = []
    for src, rec in list(by_source.items()):
        if src in current or source_exists(src):
            continue
        if prune:
            removed.append(rec)
            del by_source[src]
            by_id.pop(rec["id"], None)
        else:
            summary.gone += 1
    summary.pruned = len(removed)
    if prune:
        old_errors = {s: e for s, e in old_errors.items() if s in current or source_exists(s)}

    todo: list[tuple[str, str]] = []
    for f, src in found.files:
        prev = by_source.get(src)
        if prev is not None and not force:
            try:
                # unchanged: the same bytes, read by the same pipeline version
                if sha256_of(f.read_bytes()) == prev["sha256"] and prev.get("pipeline_version") == __version__:
                    summary.skipped += 1
                    continue
            except OSError:
                pass  # unreadable now: let the worker report it
        todo.append((os.fspath(f), src))

    errors: dict[str, dict[str, str]] = {}
    for src, _named in found.unsupported:
        errors[src] = _error(src, UNSUPPORTED, _unsupported_message(src))
        summary.unsupported += 1
    failed_now = {src for src, named in found.unsupported if named}
    # records journaled by a killed run: the store and index may lack them
    pending: dict[str, dict[str, Any]] = {}
    typed: dict[str, Record] = {}  # this run's records by source, as the workers made them
    for rec in journaled:
        cur = by_source.get(rec["source"])
        if cur is not None:
            pending[cur["id"]] = cur
    with (
        open(out / JOURNAL, "ab") as journal,
        tqdm(total=len(todo), disable=quiet or not todo, unit="doc", desc="process", file=sys.stderr) as bar,
    ):
        for status, result in executor.map(todo, config):
            if status == "ok":
                typed[result.source] = result
                payload = result.to_json()
            else:
                payload = result
            src = payload["source"]
            if status == "ok":
                stale = by_source.get(src)
                if stale is not None:
                    by_id.pop(stale["id"], None)
                    pending.pop(stale["id"], None)
                _assign_id(payload, by_id)
                if payload["id"] != result.id:  # a second document stating the same number
                    typed[src] = result.model_copy(update={"id": payload["id"]})
                by_id[payload["id"]] = payload
                by_source[src] = payload
                journal.write(_jsonl_bytes(payload))
                journal.flush()
                summary.processed += 1
                summary.new_records.append(typed[src])
                pending[payload["id"]] = payload
                errors.pop(src, None)
                old_errors.pop(src, None)
            else:
                errors[src] = payload
                failed_now.add(src)
            bar.update(1)

    records = sorted(by_id.values(), key=lambda r: (r["source"], r["id"]))
    write_jsonl_atomic(out / RECORDS, records)
    kept_old = [e for src, e in old_errors.items() if src not in current and src not in by_source]
    write_jsonl_atomic(out / ERRORS, sorted(kept_old + list(errors.values()), key=lambda e: e["source"]))
    if after_batch is not None:

        def as_record(r: dict[str, Any]) -> Record:
            rec = typed.get(r["source"])
            return rec if rec is not None and rec.id == r["id"] else Record.from_json(r)

        after_batch(
            [as_record(r) for r in records],
            [as_record(r) for r in pending.values()],
            out,
            removed=[Record.from_json(r) for r in removed],
        )
    (out / JOURNAL).unlink(missing_ok=True)
    summary.failed = len(failed_now)
    summary.seconds = time.perf_counter() - t0
    return summary


class LocalExecutor:
    """This machine: in this process (``jobs=1``) or a pool of ``jobs`` worker
    processes, each building its own Pipeline once."""

    def __init__(self, jobs: int = 1):
        self.jobs = jobs

    def map(
        self, items: list[tuple[str, str]], config: dict[str, Any]
    ) -> Iterator[tuple[str, Record | dict[str, Any]]]:
        """``(status, payload)`` for each ``(path, source)``, in the order of ``items``."""
        return _map(items, config, self.jobs)


def _map(
    items: list[tuple[str, str]], config: dict[str, Any], jobs: int
) -> Iterator[tuple[str, Record | dict[str, Any]]]:
    if not items:
        return
    if jobs <= 1 or len(items) == 1:
        nlp = Pipeline(config)
        for path, src in items:
            yield process_one(nlp, path, src)
        return
    chunk = max(1, min(16, len(items) // (jobs * 4)))
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(config, os.getpid())) as pool:
        try:
            yield from pool.map(_work, items, chunksize=chunk)
        except BrokenProcessPool as exc:
            raise RuntimeError(
                "a worker process died (out of memory or killed); the documents finished so far are kept "
                "in the output folder's journal, and running the same command again continues from there"
            ) from exc
