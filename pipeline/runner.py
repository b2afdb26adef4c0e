"""Batch runner: many files -> records.jsonl + errors.jsonl (+ store, index).

* Inputs are files or folders (searched recursively for .txt/.html/.htm/.pdf).
* Unchanged documents (same source path and sha256 as a record already in the
  output) are skipped; a changed one replaces its old record.
* Each finished document is appended to a journal in the output folder as soon
  as it is done, so a killed run loses nothing: the next run picks the journal
  up and skips what it holds. Final files are written atomically.
* ``--jobs N`` runs N worker processes, each building its own Pipeline once.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

from tqdm import tqdm

from .ingest import SUFFIXES, IngestError, sha256_of
from .pipeline import Pipeline, StageError

RECORDS = "records.jsonl"
ERRORS = "errors.jsonl"
JOURNAL = ".journal.jsonl"


@dataclass
class RunSummary:
    processed: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0
    out_dir: Optional[Path] = None
    new_records: list[dict[str, Any]] = field(default_factory=list)

    def line(self) -> str:
        rate = self.processed / self.seconds if self.seconds else 0.0
        return (f"{self.processed} processed, {self.skipped} unchanged (skipped), {self.failed} failed "
                f"in {self.seconds:.1f} s ({rate:.1f} docs/s) -> {self.out_dir}")


def discover(inputs: Iterable[str | Path]) -> tuple[list[Path], list[dict[str, str]]]:
    """Expand files and folders into a sorted list of supported files.

    Returns (files, errors) where errors are entries for inputs given by name
    that cannot be processed (unsupported type). Missing paths raise.
    """
    files: list[Path] = []
    errors: list[dict[str, str]] = []
    for item in inputs:
        p = Path(item)
        if not p.exists():
            raise FileNotFoundError(f"input not found: {p}")
        if p.is_dir():
            files.extend(f for f in sorted(p.rglob("*")) if f.is_file() and f.suffix.lower() in SUFFIXES)
        elif p.suffix.lower() in SUFFIXES:
            files.append(p)
        else:
            errors.append(_error(str(p), "unsupported", f"unsupported file type {p.suffix!r}"))
    seen: set[Path] = set()
    unique = []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, errors


def _error(source: str, kind: str, message: str) -> dict[str, str]:
    return {"source": source, "error": kind, "message": message}


# -- worker side -------------------------------------------------------------
_WORKER: Optional[Pipeline] = None


def _init_worker(config: dict[str, Any]) -> None:
    global _WORKER
    _WORKER = Pipeline(config)


def _work(path: str) -> tuple[str, dict[str, Any]]:
    assert _WORKER is not None, "worker not initialised"
    return process_one(_WORKER, path)


def process_one(nlp: Pipeline, path: str) -> tuple[str, dict[str, Any]]:
    """("ok", record_json) or ("error", error_entry) for one file; never raises."""
    try:
        return "ok", nlp.process_file(path).to_json()
    except (IngestError, StageError) as exc:
        return "error", _error(path, exc.kind, exc.message)
    except MemoryError:
        return "error", _error(path, "too_large", "out of memory while processing the document")
    except Exception as exc:  # last resort: report, never crash the batch
        return "error", _error(path, "internal", f"{type(exc).__name__}: {exc}")


# -- output files --------------------------------------------------------------
def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a torn last line of a killed run's journal
    return out


def write_jsonl_atomic(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
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


# -- the run -------------------------------------------------------------------
def run(
    inputs: Iterable[str | Path],
    out_dir: str | Path,
    config: dict[str, Any],
    jobs: int = 1,
    quiet: bool = False,
    force: bool = False,
    after_batch: Optional[Any] = None,
) -> RunSummary:
    """Process inputs into ``out_dir``. ``after_batch(records, new_records, out_dir)``
    runs once at the end with all current records and those (re)processed now
    (store upsert, index update)."""
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files, input_errors = discover(inputs)

    previous = read_jsonl(out / RECORDS) + read_jsonl(out / JOURNAL)
    by_id: dict[str, dict[str, Any]] = {}
    by_source: dict[str, dict[str, Any]] = {}
    for rec in previous:
        stale = by_source.get(rec["source"])
        if stale is not None and stale["id"] != rec["id"]:
            by_id.pop(stale["id"], None)
        by_id[rec["id"]] = rec
        by_source[rec["source"]] = rec
    old_errors = {e["source"]: e for e in read_jsonl(out / ERRORS)}

    summary = RunSummary(out_dir=out)
    todo: list[str] = []
    for f in files:
        src = str(f)
        prev = by_source.get(src)
        if prev is not None and not force:
            try:
                if sha256_of(f.read_bytes()) == prev["sha256"]:
                    summary.skipped += 1
                    continue
            except OSError:
                pass  # unreadable now: let the worker report it
        todo.append(src)

    errors: dict[str, dict[str, str]] = {e["source"]: e for e in input_errors}
    with open(out / JOURNAL, "a", encoding="utf-8") as journal, tqdm(
        total=len(todo), disable=quiet or not todo, unit="doc", desc="process", file=sys.stderr
    ) as bar:
        for status, payload in _map(todo, config, jobs):
            if status == "ok":
                stale = by_source.get(payload["source"])
                if stale is not None:
                    by_id.pop(stale["id"], None)
                _assign_id(payload, by_id)
                by_id[payload["id"]] = payload
                by_source[payload["source"]] = payload
                journal.write(json.dumps(payload, ensure_ascii=False) + "\n")
                journal.flush()
                summary.processed += 1
                summary.new_records.append(payload)
                errors.pop(payload["source"], None)
                old_errors.pop(payload["source"], None)
            else:
                errors[payload["source"]] = payload
                summary.failed += 1
            bar.update(1)

    records = sorted(by_id.values(), key=lambda r: (r["source"], r["id"]))
    write_jsonl_atomic(out / RECORDS, records)
    current = {str(f) for f in files}
    kept_old = [e for src, e in old_errors.items() if src not in current and src not in by_source]
    write_jsonl_atomic(out / ERRORS, sorted(kept_old + list(errors.values()), key=lambda e: e["source"]))
    if after_batch is not None:
        after_batch(records, summary.new_records, out)
    (out / JOURNAL).unlink(missing_ok=True)
    summary.failed = len(errors)
    summary.seconds = time.perf_counter() - t0
    return summary


def _map(paths: list[str], config: dict[str, Any], jobs: int) -> Iterator[tuple[str, dict[str, Any]]]:
    if not paths:
        return
    if jobs <= 1 or len(paths) == 1:
        nlp = Pipeline(config)
        for p in paths:
            yield process_one(nlp, p)
        return
    chunk = max(1, min(16, len(paths) // (jobs * 4)))
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(config,)) as pool:
        try:
            yield from pool.map(_work, paths, chunksize=chunk)
        except BrokenProcessPool as exc:
            raise RuntimeError(
                "a worker process died (out of memory or killed); the documents finished so far are kept "
                "in the output folder's journal, and running the same command again continues from there"
            ) from exc
