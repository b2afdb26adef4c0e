"""Batch runs that real archives break: odd file names, kills between the outputs,
changed and deleted documents, path spellings, concurrent writers, orphaned workers,
unsupported files, exit status."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CORPUS, ROOT, SPINE

from pipeline.config import load_config
from pipeline.runner import JOURNAL, LOCK, OutputLocked, output_lock, run
from pipeline.store import open_store


@pytest.fixture()
def cfg():
    c = load_config()
    c["pipeline"]["stages"] = list(SPINE)
    return c


def _records(out: Path) -> list[dict]:
    return [json.loads(ln) for ln in (out / "records.jsonl").read_text(encoding="utf-8").splitlines()]


def _errors(out: Path) -> list[dict]:
    return [json.loads(ln) for ln in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]


def _store_rows(url: str) -> dict[str, str]:
    st = open_store(url)
    try:
        return {rid: st.get(rid).sha256 for rid in st.ids()}
    finally:
        st.close()


def _after(cfg, url):
    from pipeline.batch import store_and_index

    return store_and_index(cfg, url, False)


DOC = "Projekt {name}\n\n{number}Sammanfattning\n\nProjektet ger unga i {place} stöd att hitta arbete eller studier.\n"


def _doc(path: Path, name: str = "Alfa", place: str = "Umeå", number: str = "") -> Path:
    path.write_text(
        DOC.format(name=name, place=place, number=f"Projektnummer: {number}\n\n" if number else ""), encoding="utf-8"
    )
    return path


def _input(tmp_path):
    """An input folder with one project page, a.txt."""
    inp = tmp_path / "in"
    inp.mkdir()
    _doc(inp / "a.txt")
    return inp


# -- issue 14.1: a file name that is not valid UTF-8 ----------------------------------------------
@pytest.mark.skipif(sys.platform != "linux", reason="byte file names are a POSIX matter")
def test_latin1_file_name_does_not_stop_the_run(tmp_path, cfg):
    inp = tmp_path / "in"
    inp.mkdir()
    raw = os.path.join(os.fsencode(inp), b"ans\xf6kan_v\xe4st.txt")  # Latin-1 bytes, as old Windows archives have
    with open(raw, "wb") as fh:
        fh.write(DOC.format(name="Beta", place="Borås", number="").encode("utf-8"))
    _doc(inp / "vanlig.txt")
    out = tmp_path / "out"
    first = run([inp], out, cfg, quiet=True)
    assert (first.processed, first.failed) == (2, 0)
    (out / "records.jsonl").read_bytes().decode("utf-8")  # valid UTF-8 throughout
    sources = sorted(r["source"] for r in _records(out))
    assert sources[0].endswith("ansökan_väst.txt")
    second = run([inp], out, cfg, quiet=True)
    assert (second.processed, second.skipped) == (0, 2)


def test_journal_survives_unencodable_text(tmp_path, cfg):
    """A lone surrogate anywhere in a row is written as a JSON escape, not a crash."""
    from pipeline.runner import _jsonl_bytes

    row = {"source": "x", "message": "bad \udce9 byte"}
    line = _jsonl_bytes(row)
    line.decode("utf-8")
    assert json.loads(line) == row


# -- issue 14.3: killed while the store is written, after documents changed -------------------------
def test_store_is_repaired_after_a_kill_during_the_store_write(tmp_path, cfg):
    inp = tmp_path / "in"
    inp.mkdir()
    doc = _doc(inp / "p.txt", number="2019/00001")
    out = tmp_path / "out"
    url = str(out / "store.sqlite")
    run([inp], out, cfg, quiet=True, after_batch=_after(cfg, url))
    _doc(doc, place="Luleå", number="2019/00001")

    def killed(*args, **kwargs):  # the state a SIGKILL leaves: records.jsonl written, store not yet
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run([inp], out, cfg, quiet=True, after_batch=killed)
    assert _store_rows(url)["2019/00001"] != _records(out)[0]["sha256"]
    s = run([inp], out, cfg, quiet=True, after_batch=_after(cfg, url))
    assert s.processed == 0  # records.jsonl already had it; the store is repaired all the same
    assert _store_rows(url) == {"2019/00001": _records(out)[0]["sha256"]}
    assert not (out / JOURNAL).exists()


def test_store_rows_that_disagree_with_the_records_are_repaired(tmp_path, cfg):
    """Even without a journal (e.g. the store was restored from an old backup)."""
    inp = tmp_path / "in"
    inp.mkdir()
    doc = _doc(inp / "p.txt", number="2019/00001")
    out = tmp_path / "out"
    url = str(tmp_path / "store.sqlite")
    run([inp], out, cfg, quiet=True, after_batch=_after(cfg, url))
    old_store = (tmp_path / "store.sqlite").read_bytes()
    _doc(doc, place="Luleå", number="2019/00001")
    run([inp], out, cfg, quiet=True, after_batch=_after(cfg, url))
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"store.sqlite{suffix}").unlink(missing_ok=True)
    (tmp_path / "store.sqlite").write_bytes(old_store)
    run([inp], out, cfg, quiet=True, after_batch=_after(cfg, url))
    assert _store_rows(url) == {"2019/00001": _records(out)[0]["sha256"]}


# -- issue 14.4: a changed document whose id is slug + hash ---------------------------------------
def test_changed_document_with_a_hash_id_leaves_no_old_row(tmp_path, cfg):
    inp = tmp_path / "in"
    inp.mkdir()
    doc = _doc(inp / "utan_nummer.txt")
    out = tmp_path / "out"
    url = str(out / "store.sqlite")
    run([inp], out, cfg, quiet=True, after_batch=_after(cfg, url))
    old_id = _records(out)[0]["id"]
    _doc(doc, place="Luleå")
    run([inp], out, cfg, quiet=True, after_batch=_after(cfg, url))
    recs = _records(out)
    assert len(recs) == 1 and recs[0]["id"] != old_id  # the id carries a content hash
    assert _store_rows(url) == {recs[0]["id"]: recs[0]["sha256"]}


# -- issue 14.5: the same folder by absolute and by relative path ---------------------------------
def test_identity_does_not_depend_on_the_path_spelling(tmp_path, cfg, monkeypatch):
    monkeypatch.chdir(tmp_path)
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "sub").mkdir()
    _doc(inp / "a.txt", number="2019/00001")
    _doc(inp / "sub" / "b.txt", name="Beta")
    out = tmp_path / "out"
    first = run(["in"], out, cfg, quiet=True)
    assert first.processed == 2
    for spelling in (str(inp), "./in/", "in/sub/../", str(inp / "sub"), "in/a.txt"):
        s = run([spelling], out, cfg, quiet=True)
        assert s.processed == 0 and s.skipped >= 1, spelling
    ids = sorted(r["id"] for r in _records(out))
    assert len(ids) == 2 and not any("~" in i for i in ids)


# -- issue 14.6: one writer per output folder -----------------------------------------------------
def test_second_writer_is_refused_with_a_clear_message(tmp_path, cfg):
    inp = _input(tmp_path)
    out = tmp_path / "out"
    with output_lock(out):
        with pytest.raises(OutputLocked) as exc:
            run([inp], out, cfg, quiet=True)
        assert str(os.getpid()) in str(exc.value) and "another" in str(exc.value)
        res = subprocess.run(
            [sys.executable, "-m", "pipeline", "process", str(inp), "--out", str(out), "--no-store", "--no-index"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert res.returncode == 4 and "another" in res.stderr and "Traceback" not in res.stderr
        assert not (out / "records.jsonl").exists()
    assert run([inp], out, cfg, quiet=True).processed == 1  # released


def test_stale_lock_file_of_a_dead_process_is_taken_over(tmp_path, cfg):
    inp = _input(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK).write_text("pid 999999999 (esf-pipeline process), started 2020-01-01T00:00:00Z\n", encoding="utf-8")
    assert run([inp], out, cfg, quiet=True).processed == 1


# -- issue 14.7: deleted inputs --------------------------------------------------------------------
def test_deleted_input_is_reported_and_pruned_on_request(tmp_path, cfg):
    inp = tmp_path / "in"
    inp.mkdir()
    _doc(inp / "a.txt", number="2019/00001")
    gone = _doc(inp / "b.txt", name="Beta", number="2019/00002")
    out = tmp_path / "out"
    url = str(out / "store.sqlite")
    from pipeline.batch import store_and_index

    after = store_and_index(cfg, url, True)  # with the similar-projects index

    def index_ids():
        return sorted(d["id"] for d in json.loads((out / "index" / "meta.json").read_text(encoding="utf-8"))["docs"])

    run([inp], out, cfg, quiet=True, after_batch=after)
    gone.unlink()
    s = run([inp], out, cfg, quiet=True, after_batch=after)
    assert s.gone == 1 and s.pruned == 0 and "1 source gone" in s.line() and "--prune" in s.line()
    assert len(_records(out)) == 2 and len(_store_rows(url)) == 2 and len(index_ids()) == 2  # kept unless asked
    s = run([inp], out, cfg, quiet=True, prune=True, after_batch=after)
    assert s.pruned == 1 and "1 pruned" in s.line()
    assert [r["id"] for r in _records(out)] == ["2019/00001"]
    assert list(_store_rows(url)) == ["2019/00001"]
    assert index_ids() == ["2019/00001"]
    s = run([inp], out, cfg, quiet=True, after_batch=after)
    assert (s.gone, s.skipped) == (0, 1)


def test_renamed_document_with_prune_keeps_its_plain_id(tmp_path, cfg):
    inp = tmp_path / "in"
    inp.mkdir()
    doc = _doc(inp / "a.txt", number="2019/00001")
    out = tmp_path / "out"
    run([inp], out, cfg, quiet=True)
    doc.rename(inp / "nytt_namn.txt")
    run([inp], out, cfg, quiet=True, prune=True)
    recs = _records(out)
    assert [(Path(r["source"]).name, r["id"]) for r in recs] == [("nytt_namn.txt", "2019/00001")]


# -- issue 14.8: pool workers die with the parent -----------------------------------------------------
def _children(pid: int) -> set[int]:
    out = set()
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[1]) == pid:
                out.add(int(d.name))
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :].split()[0] not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_pool_workers_die_with_a_killed_parent(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    docs = sorted(p for p in CORPUS.iterdir() if p.suffix == ".txt")
    for i in range(150):
        for d in docs:
            (inp / f"{i:03d}_{d.name}").write_text(
                d.read_text(encoding="utf-8") * 3 + f"\nKopia {i}.\n", encoding="utf-8"
            )
    conf = tmp_path / "spine.yaml"
    conf.write_text("pipeline:\n  stages: [clean, metadata, sections]\n", encoding="utf-8")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline",
            "process",
            str(inp),
            "--out",
            str(tmp_path / "out"),
            "--jobs",
            "2",
            "--quiet",
            "--no-store",
            "--no-index",
            "--config",
            str(conf),
        ],
        cwd=ROOT,
    )
    workers: set[int] = set()
    try:
        deadline = time.time() + 120
        while time.time() < deadline and len(workers) < 2 and proc.poll() is None:
            workers = _children(proc.pid)
            time.sleep(0.01)
        assert len(workers) >= 2 and proc.poll() is None, "the run ended before its workers could be seen"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.time() + 20
        while time.time() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.1)
        assert not any(_alive(w) for w in workers), "pool workers outlived their parent"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        for w in workers:
            try:
                os.kill(w, signal.SIGKILL)
            except OSError:
                pass


# -- issue 15.1 / 15.3: unsupported files, empty input, exit status -----------------------------------------
def test_unsupported_files_are_reported_and_hidden_files_ignored(tmp_path, cfg):
    inp = tmp_path / "in"
    (inp / ".git").mkdir(parents=True)
    (inp / ".git" / "config").write_text("[core]\n", encoding="utf-8")
    (inp / ".DS_Store").write_bytes(b"\x00\x01")
    (inp / "~$ansokan.docx").write_bytes(b"\x00owner")  # Word's owner file beside an open document
    (inp / "bild.png").write_bytes(b"\x89PNG")
    (inp / "anteckningar.xyz").write_text("x", encoding="utf-8")
    (inp / "gammal.doc").write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 64)
    _doc(inp / "a.txt")
    named = tmp_path / "lista.csv"
    named.write_text("a;b\n", encoding="utf-8")
    out = inp / "out"  # an output folder inside the input folder is not input
    s = run([inp, named], out, cfg, quiet=True)
    again = run([inp, named], out, cfg, quiet=True)
    for summary in (s, again):
        assert summary.unsupported == 4
        assert "4 unsupported" in summary.line()
    errs = {Path(e["source"]).name: e for e in _errors(out)}
    assert sorted(errs) == ["anteckningar.xyz", "bild.png", "gammal.doc", "lista.csv"]
    assert {e["error"] for e in errs.values()} == {"unsupported_type"}
    assert ".docx" in errs["gammal.doc"]["message"]  # ingest's advice on what to do
    assert s.processed == 1 and again.skipped == 1
    assert s.failed == 1  # only the file named on the command line counts as failed


def test_empty_input_is_said(tmp_path, cfg):
    inp = tmp_path / "tom"
    inp.mkdir()
    s = run([inp], tmp_path / "out", cfg, quiet=True)
    assert s.empty_input and "no supported documents" in s.line()
    _doc(inp / "a.txt")
    s = run([inp], tmp_path / "out", cfg, quiet=True)
    assert not s.empty_input and "no supported documents" not in s.line()


def _cli(*args, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def test_process_exit_status_when_documents_fail(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    _doc(inp / "good.txt")
    (inp / "empty.txt").write_bytes(b"")
    (inp / "readme.md").write_text("# notes\n", encoding="utf-8")
    conf = tmp_path / "spine.yaml"
    conf.write_text("pipeline:\n  stages: [clean, metadata, sections]\n", encoding="utf-8")
    base = ["process", str(inp), "--no-store", "--no-index", "--config", str(conf)]
    res = _cli(*base, "--out", str(tmp_path / "a"))
    assert res.returncode == 3, res.stderr
    assert "1 processed" in res.stderr and "1 failed" in res.stderr and "1 unsupported" in res.stderr
    res = _cli(*base, "--out", str(tmp_path / "b"), "--allow-failures")
    assert res.returncode == 0, res.stderr
    (inp / "empty.txt").unlink()
    res = _cli(*base, "--out", str(tmp_path / "c"))
    assert res.returncode == 0, res.stderr  # an unsupported file in a folder is not a failure
    help_ = _cli("process", "--help").stdout
    assert "--allow-failures" in help_ and "--prune" in help_ and "Exit status" in help_


def test_an_output_path_that_is_a_file_is_a_usage_error(tmp_path):
    inp = _input(tmp_path)
    out = tmp_path / "results"
    out.write_text("mine", encoding="utf-8")
    res = _cli("process", str(inp), "--out", str(out), "--quiet")
    said = " ".join(res.stderr.replace("│", " ").split())
    assert res.returncode == 2 and "results' is a file" in said and "Traceback" not in said, res.stderr
    assert out.read_text(encoding="utf-8") == "mine"


def test_help_paragraphs_are_not_broken_where_the_source_wraps():
    """A docstring wrapped at the source's width reads as one paragraph in --help, not as lines
    cut at random places on a wide terminal."""
    from typer.testing import CliRunner

    from pipeline.cli import app

    runner = CliRunner(env={"COLUMNS": "200", "TERM": "dumb"})
    text = runner.invoke(app, ["similar", "--help"]).stdout
    assert "(1 = the same content, 0 = nothing in common)" in text, text
    text = runner.invoke(app, ["stages", "--help"]).stdout
    assert "Then every registered stage is listed." in text, text


# -- issue 15.5 / 15.7: validate and stages ------------------------------------------------------------
def test_validate_reports_non_jsonl_with_its_line(tmp_path):
    good = tmp_path / "r.jsonl"
    good.write_text('{"a": 1}\n\nthis is not json\n', encoding="utf-8")
    res = _cli("validate", str(good))
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "line 3" in res.stderr and "not JSON" in res.stderr
    binary = tmp_path / "b.jsonl"
    binary.write_bytes(b'{"a": 1}\n\xff\xfe\x00garbage\n')
    res = _cli("validate", str(binary))
    assert res.returncode == 1 and "Traceback" not in res.stderr and "line 2" in res.stderr
    prose = tmp_path / "notes.md"
    prose.write_text("# Anteckningar\n\nInte JSON.\n\nInte heller detta.\n", encoding="utf-8")
    res = _cli("validate", str(prose))
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert res.stderr.count("\n") == 1 and "line 1" in res.stderr and "not a JSON lines file" in res.stderr
    arr = tmp_path / "c.jsonl"
    arr.write_text("[1, 2]\n", encoding="utf-8")
    res = _cli("validate", str(arr))
    assert res.returncode == 1 and "Traceback" not in res.stderr and "line 1" in res.stderr


def test_stages_lists_only_registered_names_in_the_order():
    from pipeline.stages import registered

    res = _cli("stages")
    assert res.returncode == 0
    lines = res.stdout.splitlines()
    table = lines[1 : next(i for i, line in enumerate(lines) if line.startswith("registered"))]
    names = [line.split()[0] for line in table]
    assert names[0] == "ingest" and names[1:] and set(names[1:]) <= set(registered())


def test_unreachable_store_stops_the_run_with_a_clear_message(tmp_path):
    inp = _input(tmp_path)
    conf = tmp_path / "spine.yaml"
    conf.write_text("pipeline:\n  stages: [clean, metadata, sections]\n", encoding="utf-8")
    out = tmp_path / "out"
    res = _cli(
        "process",
        str(inp),
        "--out",
        str(out),
        "--no-index",
        "--config",
        str(conf),
        "--store",
        "postgresql://nobody@127.0.0.1:1/none?connect_timeout=5",
    )
    assert res.returncode == 1 and "Traceback" not in res.stderr and "run the same command again" in res.stderr
    assert len(_records(out)) == 1 and (out / JOURNAL).exists()  # kept; the store gets it next time


def test_process_batch_writes_records_store_and_index_for_library_users(tmp_path, cfg):
    from pipeline.batch import process_batch
    from pipeline.record import Record

    inp = tmp_path / "in"
    inp.mkdir()
    _doc(inp / "a.txt", "Alfa", "Umeå")
    _doc(inp / "b.txt", "Beta", "Luleå")
    out = tmp_path / "out"
    summary = process_batch([inp], out, cfg)  # defaults: OUT/store.sqlite and OUT/index
    assert summary.processed == 2 and all(isinstance(r, Record) for r in summary.new_records)
    ids = sorted(r["id"] for r in _records(out))
    assert sorted(_store_rows(str(out / "store.sqlite"))) == ids
    meta = json.loads((out / "index" / "meta.json").read_text(encoding="utf-8"))
    assert sorted(d["id"] for d in meta["docs"]) == ids


def test_after_batch_gets_typed_records(tmp_path, cfg):
    from pipeline.record import Record

    inp = _input(tmp_path)
    seen = {}

    def after(records, pending, out_dir, removed=()):
        seen["types"] = {type(r) for r in [*records, *pending, *removed]}

    run([inp], tmp_path / "out", cfg, quiet=True, after_batch=after)
    assert seen["types"] == {Record}
