"""Batch runs: idempotent, incremental, crash-tolerant, atomic; CLI end to end."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from conftest import CORPUS, ROOT, SEEDS, SPINE

from pipeline.config import load_config
from pipeline.runner import JOURNAL, run
from pipeline.schema import validate_record


@pytest.fixture()
def cfg():
    c = load_config()
    c["pipeline"]["stages"] = list(SPINE)
    return c


def _records(out):
    return [json.loads(ln) for ln in (out / "records.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.mark.shared
def test_rerun_is_idempotent_and_skips_unchanged(tmp_path, cfg):
    inp = tmp_path / "in"
    shutil.copytree(SEEDS, inp)
    out = tmp_path / "out"
    first = run([inp], out, cfg, quiet=True)
    assert first.processed == 5
    before = (out / "records.jsonl").read_bytes()
    second = run([inp], out, cfg, quiet=True)
    assert (second.processed, second.skipped) == (0, 5)
    assert (out / "records.jsonl").read_bytes() == before
    ids = [r["id"] for r in _records(out)]
    assert len(ids) == len(set(ids)) == 5


def test_changed_document_replaces_its_record(tmp_path, cfg):
    inp = tmp_path / "in"
    inp.mkdir()
    doc = inp / "p.txt"
    doc.write_text(
        "Projekt Alfa\n\nProjektnummer: 2019/00001\n\nSammanfattning\n\nUnga i Umeå får jobb.", encoding="utf-8"
    )
    out = tmp_path / "out"
    run([inp], out, cfg, quiet=True)
    doc.write_text(
        "Projekt Alfa\n\nProjektnummer: 2019/00001\n\nSammanfattning\n\nUnga i Umeå och Luleå får jobb.",
        encoding="utf-8",
    )
    s = run([inp], out, cfg, quiet=True)
    assert s.processed == 1
    recs = _records(out)
    assert len(recs) == 1 and "Luleå" in recs[0]["text"] and recs[0]["id"] == "2019/00001"


def test_same_project_number_in_two_documents_keeps_both(tmp_path, cfg):
    inp = tmp_path / "in"
    inp.mkdir()
    for name, body in (("a.txt", "Ansökan"), ("b.txt", "Slutrapport")):
        (inp / name).write_text(
            f"Projekt Beta\n\nProjektnummer: 2020/00002\n\n{body} om unga i Kiruna.", encoding="utf-8"
        )
    out = tmp_path / "out"
    run([inp], out, cfg, quiet=True)
    ids = sorted(r["id"] for r in _records(out))
    assert ids[0] == "2020/00002" and ids[1].startswith("2020/00002~") and len(ids) == 2
    run([inp], out, cfg, quiet=True)  # stable on re-run
    assert sorted(r["id"] for r in _records(out)) == ids


@pytest.mark.shared
def test_journal_of_killed_run_is_recovered(tmp_path, cfg):
    """Documents finished before a crash are kept and not processed again."""
    inp = tmp_path / "in"
    shutil.copytree(SEEDS, inp)
    ref = tmp_path / "ref"
    run([inp], ref, cfg, quiet=True)
    out = tmp_path / "out"
    out.mkdir()
    done = _records(ref)[:2]
    # What a killed run leaves behind: a journal with two records and a torn last line.
    (out / JOURNAL).write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in done) + '{"id": "tor', encoding="utf-8"
    )
    s = run([inp], out, cfg, quiet=True)
    assert (s.processed, s.skipped) == (3, 2)
    assert _records(out) == _records(ref)
    assert not (out / JOURNAL).exists()
    assert not list(out.glob("*.tmp"))


@pytest.mark.shared
def test_records_validate_against_committed_schema(tmp_path, cfg):
    run([SEEDS, CORPUS], tmp_path, cfg, quiet=True)
    recs = _records(tmp_path)
    docs = [p for p in CORPUS.iterdir() if p.suffix in (".txt", ".html", ".pdf")]
    assert len(recs) == 5 + len(docs)
    for r in recs:
        assert validate_record(r) == []


def test_schema_file_matches_model():
    from pipeline.schema import SCHEMA_FILE, record_schema

    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == record_schema()


def test_schema_rejects_bad_record():
    bad = {
        "schema_version": "1.0.0",
        "id": "x",
        "source": "s",
        "sha256": "0",
        "format": "txt",
        "text": "t",
        "metadata": {"esf_support_sek": "fyra miljoner"},
    }
    assert validate_record(bad)


@pytest.mark.shared
def test_cli_process_parallel(tmp_path):
    conf = tmp_path / "spine.yaml"
    conf.write_text("pipeline:\n  stages: [clean, metadata, sections]\n", encoding="utf-8")
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "pipeline",
        "process",
        str(SEEDS),
        str(CORPUS / "projekt_digitala_vagar_kristianstad.html"),
        "--out",
        str(out),
        "--jobs",
        "2",
        "--config",
        str(conf),
        "--no-store",
        "--no-index",
    ]
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "6 processed" in res.stderr
    assert len(_records(out)) == 6 and (out / "errors.jsonl").read_text() == ""
    res = subprocess.run(cmd + ["--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and res.stderr == ""


def test_cli_errors_are_clear(tmp_path):
    res = subprocess.run(
        [sys.executable, "-m", "pipeline", "process", str(tmp_path / "missing"), "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2 and "input not found" in res.stderr
    res = subprocess.run(
        [sys.executable, "-m", "pipeline", "process", str(SEEDS), "--out", str(tmp_path), "--exclude", "nosuch"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2 and "nosuch" in res.stderr


def test_killed_process_run_restarts_to_the_same_result(tmp_path):
    """SIGKILL a real `process` run mid-batch; the restarted run yields exactly the
    records (and store) of an uninterrupted run."""
    import os
    import signal
    import time

    from pipeline.store import open_store

    inp = tmp_path / "in"
    inp.mkdir()
    docs = sorted(p for p in CORPUS.iterdir() if p.suffix == ".txt")
    for i in range(16):
        for d in docs:
            (inp / f"{i:02d}_{d.name}").write_text(d.read_text(encoding="utf-8") + f"\nKopia {i}.\n", encoding="utf-8")
    base = [sys.executable, "-m", "pipeline", "process", str(inp), "--jobs", "1", "--quiet", "--no-index"]
    ref = tmp_path / "ref"
    subprocess.run(base + ["--out", str(ref)], cwd=ROOT, check=True, timeout=600)

    out = tmp_path / "out"
    proc = subprocess.Popen(base + ["--out", str(out)], cwd=ROOT)
    journal = out / JOURNAL
    deadline = time.time() + 300
    while time.time() < deadline:
        if journal.exists() and journal.read_text(encoding="utf-8").count("\n") >= 5:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "records.jsonl").exists(), "the run finished before it could be killed"
    subprocess.run(base + ["--out", str(out)], cwd=ROOT, check=True, timeout=600)
    assert (out / "records.jsonl").read_bytes() == (ref / "records.jsonl").read_bytes()
    a, b = open_store(str(out / "store.sqlite")), open_store(str(ref / "store.sqlite"))
    try:
        assert a.ids() == b.ids() and len(a.ids()) == 16 * len(docs)
        assert all(a.get(i) == b.get(i) for i in a.ids())
    finally:
        a.close()
        b.close()


def test_records_of_another_pipeline_version_are_reprocessed(tmp_path, cfg):
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "p.txt").write_text(
        "Projekt Beta\n\nProjektnummer: 2020/00002\n\nUnga i Kiruna får praktik.", encoding="utf-8"
    )
    out = tmp_path / "out"
    run([inp], out, cfg, quiet=True)
    recs = _records(out)
    recs[0]["pipeline_version"] = "0.0.1"  # written by an older release
    (out / "records.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8"
    )
    s = run([inp], out, cfg, quiet=True)
    assert (s.processed, s.skipped) == (1, 0)
    assert _records(out)[0]["pipeline_version"] != "0.0.1"
    assert run([inp], out, cfg, quiet=True).skipped == 1
