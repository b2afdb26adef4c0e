"""Store tests, run against SQLite and (when PIPELINE_TEST_PG_URL is set; always in CI)
a real PostgreSQL server."""

# ruff: noqa: F811  (fixtures are imported from store_fixtures and named as test arguments)
from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import pytest
from store_fixtures import (  # noqa: F401  (fixtures)
    PG_ENV,
    ROOT,
    build_seed_records,
    replicated_records,
    require_pg_url,
    seeds,
    store_kind,
    store_params,
    store_url,
    store_url_factory,
)

from pipeline.export import write_records
from pipeline.record import Record
from pipeline.store import DEFAULT_FILENAME, ProjectFilter, canonical_json, open_store


def _changed(record: Record, n: int) -> Record:
    """A new version of ``record`` (as if its document changed)."""
    return record.model_copy(
        update=dict(
            sha256=f"{n:04d}" + record.sha256[4:],
            summary=(record.summary or "") + f" (version {n})",
            entities=record.entities[: max(0, len(record.entities) - n)],
            themes=record.themes[:1],
        ),
        deep=True,
    )


@pytest.mark.shared
def test_roundtrip_store_export_import(store_url_factory, seeds, tmp_path):
    """records -> store -> export jsonl -> import into a fresh store -> identical records."""
    a = open_store(store_url_factory())
    assert a.upsert_many(seeds) == {"inserted": len(seeds), "updated": 0, "unchanged": 0}
    for r in seeds:
        got = a.get(r.id)
        assert got == r
        assert canonical_json(got) == canonical_json(r)
    assert sorted(a.iter_records(), key=lambda r: r.id) == sorted(seeds, key=lambda r: r.id)
    out = tmp_path / "export.jsonl"
    assert write_records(a.iter_records(), "jsonl", out)["rows"] == len(seeds)

    b = open_store(store_url_factory())
    assert b.count() == 0
    b.import_jsonl(out)
    assert [canonical_json(r) for r in b.iter_records()] == [canonical_json(r) for r in a.iter_records()]
    assert list(b.iter_records()) == list(a.iter_records())
    assert b.check() == [] and a.check() == []
    a.close(), b.close()


@pytest.mark.shared
def test_upsert_skip_replace_and_child_rows(store_url, seeds):
    st = open_store(store_url)
    r = next(x for x in seeds if len(x.entities) > 3)
    assert not st.is_unchanged(r.id, r.sha256)
    assert st.upsert(r) == "inserted"
    assert st.is_unchanged(r.id, r.sha256)
    assert st.is_unchanged(r.id, r.sha256, pipeline_version="test")
    assert not st.is_unchanged(r.id, r.sha256, pipeline_version="other")
    assert st.upsert(r) == "unchanged"

    v2 = _changed(r, 3)
    assert not st.is_unchanged(r.id, v2.sha256)
    assert st.upsert(v2) == "updated"
    assert st.get(r.id) == v2
    assert st.count() == 1
    # child rows were replaced, not appended
    from sqlalchemy import func, select

    from pipeline.store import schema as S

    with st.engine.connect() as c:
        n_ent = c.scalar(select(func.count()).select_from(S.entities).where(S.entities.c.record_id == r.id))
        n_th = c.scalar(select(func.count()).select_from(S.themes).where(S.themes.c.kind == "assigned"))
    assert n_ent == len(v2.entities) and n_th == len(v2.themes)
    assert st.check() == []
    assert st.delete(r.id) and st.get(r.id) is None and st.count() == 0
    st.close()


@pytest.mark.shared
def test_filters_counts_and_theme_stats(store_url, seeds):
    st = open_store(store_url)
    st.upsert_many(seeds)
    by_id = {r.id: r for r in seeds}
    alingsas = next(r for r in seeds if r.metadata.region == "Västsverige")

    def ids(**f):
        return sorted(r.id for r in st.iter_records(**f))

    assert ids(region="västsverige") == [alingsas.id]  # case-insensitive, non-ASCII
    assert ids(region="VÄSTSVERIGE") == [alingsas.id]
    with_theme = sorted(r.id for r in seeds if any(t.id == "integration" for t in r.themes))
    assert with_theme and ids(theme="integration") == with_theme
    assert ids(theme="Integration") == with_theme  # by label
    assert ids(owner="avesta") == [r.id for r in seeds if "Avesta" in (r.metadata.owner or "")]
    # period overlap
    assert ids(period_from="2009-03-01", period_to="2009-04-01") == sorted(
        r.id
        for r in seeds
        if r.metadata.period_start
        and r.metadata.period_start <= date(2009, 4, 1)
        and r.metadata.period_end >= date(2009, 3, 1)
    )
    assert ids(period_from=date(2020, 1, 1)) == [r.id for r in seeds if r.metadata.project_number]
    assert ids(min_budget=4_000_000, max_budget=5_000_000) == [alingsas.id]
    assert ids(max_budget=2_000_000) == [r.id for r in seeds if (r.metadata.total_budget_sek or 10**9) <= 2_000_000]
    assert ids(q="VÄSTKRAFT") == sorted(r.id for r in seeds if "västkraft" in r.text.casefold())
    assert ids(q="%_västkraft%") == ids(q="VÄSTKRAFT")  # punctuation is no syntax: only words count
    assert st.count(region="Västsverige") == 1
    assert list(st.iter_records(limit=2, offset=1)) == [by_id[i] for i in sorted(by_id)][1:3]
    with pytest.raises(TypeError):
        list(st.iter_records(colour="red"))

    rows = st.theme_counts(ProjectFilter(), by=("region",))
    expect: dict = {}
    for r in seeds:
        for t in r.themes:
            key = (r.metadata.region, t.id)
            expect[key] = expect.get(key, 0) + 1
    assert {(x["region"], x["theme_id"]): x["count"] for x in rows} == expect
    rows = st.theme_counts(ProjectFilter(), by=("region", "year"))
    assert sum(x["count"] for x in rows) == sum(len(r.themes) for r in seeds)
    assert all("year" in x for x in rows)
    st.close()


@pytest.mark.shared
def test_index_ids(store_url, seeds):
    st = open_store(store_url)
    st.upsert_many(seeds)
    st.set_index_ids({r.id: i for i, r in enumerate(seeds)} | {"not-stored": 99})
    assert st.index_ids() == {r.id: str(i) for i, r in enumerate(seeds)}
    st.set_index_ids({seeds[0].id: 7})
    assert st.index_ids() == {seeds[0].id: "7"}
    st.upsert(_changed(seeds[0], 1))  # updating a record keeps its index entry
    assert st.index_ids() == {seeds[0].id: "7"}
    assert st.check() == []
    st.close()


@pytest.mark.shared
def test_open_store_locations(tmp_path):
    st = open_store(tmp_path)  # a directory: DIR/store.sqlite
    assert (tmp_path / DEFAULT_FILENAME).exists()
    st.close()
    db = tmp_path / "sub" / "x.db"
    st = open_store(f"sqlite:///{db}")
    st.upsert(build_seed_records()[0])
    st.close()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()
    with pytest.raises(ValueError):
        open_store("mysql://x/y")
    with pytest.raises(ValueError):
        open_store("sqlite://")
    con = sqlite3.connect(db)
    con.execute("UPDATE store_info SET value = '0' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(RuntimeError, match="table layout v0"):
        open_store(db)


def test_postgres_required_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv(PG_ENV, raising=False)
    assert [p.values[0] for p in store_params()] == ["sqlite", "postgresql"]
    with pytest.raises(pytest.fail.Exception):
        require_pg_url()


# ----------------------------------------------------------------------------- crash safety

WRITER = textwrap.dedent(
    """
    import json, sys
    sys.path[:0] = [{root!r}, {tests!r}]
    from pipeline.record import Record
    from pipeline.store import open_store
    st = open_store(sys.argv[1])
    for line in open(sys.argv[2], encoding="utf-8"):
        r = Record.from_json(json.loads(line))
        if st.is_unchanged(r.id, r.sha256):
            continue
        st.upsert(r)
        print(r.id, flush=True)
    print("DONE", flush=True)
    """
)


def _run_writer(url: str, jsonl: Path, script: Path, kill_after: int | None = None) -> int:
    proc = subprocess.Popen([sys.executable, str(script), url, str(jsonl)], stdout=subprocess.PIPE, text=True)
    done = 0
    if kill_after is None:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0 and out.strip().endswith("DONE")
        return len(out.splitlines()) - 1
    assert proc.stdout is not None
    while done < kill_after:
        line = proc.stdout.readline()
        assert line and line.strip() != "DONE", "writer finished before it could be killed"
        done += 1
    time.sleep(random.uniform(0, 0.01))  # land anywhere, usually mid-transaction
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return done


@pytest.mark.shared
def test_crash_mid_run_leaves_store_consistent(store_url_factory, tmp_path):
    base = list(replicated_records(30))
    old = [_changed(r, 2) for r in base]  # what an earlier run stored
    new = base  # this run's records (changed documents)
    jsonl = tmp_path / "new.jsonl"
    jsonl.write_text("".join(json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in new), encoding="utf-8")
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(root=str(ROOT), tests=str(ROOT / "tests")), encoding="utf-8")

    crashed_url, reference_url = store_url_factory(), store_url_factory()
    for url in (crashed_url, reference_url):
        with open_store(url) as st:
            st.upsert_many(old)

    # killed run
    written = _run_writer(crashed_url, jsonl, script, kill_after=random.randint(3, len(new) // 2))
    with open_store(crashed_url) as st:
        assert st.check() == []
        assert st.count() == len(base)
        versions = {r.id: {canonical_json(r)} for r in old}
        for r in new:
            versions[r.id].add(canonical_json(r))
        stored = list(st.iter_records())
        assert all(canonical_json(r) in versions[r.id] for r in stored)  # each record fully old or fully new
        n_new = sum(1 for r in stored if r in new)
        assert written <= n_new <= len(new)
    # restart: finishes the job, skipping what was already written
    rewritten = _run_writer(crashed_url, jsonl, script)
    assert rewritten == len(new) - n_new
    # uninterrupted run (same loop as the writer, in-process)
    with open_store(reference_url) as ref:
        assert sum(0 if ref.is_unchanged(r.id, r.sha256) else (ref.upsert(r), 1)[1] for r in new) == len(new)

    with open_store(crashed_url) as a, open_store(reference_url) as b:
        assert a.check() == [] and b.check() == []
        ra, rb = list(a.iter_records()), list(b.iter_records())
        assert ra == rb == sorted(new, key=lambda r: r.id)


@pytest.mark.shared
def test_roundtrip_of_processed_corpus_and_seeds(store_url_factory, tmp_path):
    """The acceptance round trip on real pipeline output: process corpus/ and the seeds
    into a store, export jsonl, import into a fresh store: identical records."""
    from pipeline.cli import _after_batch
    from pipeline.config import load_config
    from pipeline.runner import run

    cfg = load_config()
    url = store_url_factory()
    run(
        [ROOT / "corpus", ROOT.parent / "shared" / "seeds"],
        tmp_path / "out",
        cfg,
        jobs=1,
        quiet=True,
        after_batch=_after_batch(cfg, url, False, True),
    )
    processed = [
        Record.from_json(json.loads(line))
        for line in (tmp_path / "out" / "records.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert len(processed) == 12
    a = open_store(url)
    assert sorted(a.iter_records(), key=lambda r: r.id) == sorted(processed, key=lambda r: r.id)
    out = tmp_path / "export.jsonl"
    write_records(a.iter_records(), "jsonl", out)
    b = open_store(store_url_factory())
    b.import_jsonl(out)
    assert list(b.iter_records()) == list(a.iter_records())
    a.close(), b.close()
