"""The whole default pipeline end to end: seeds and corpus through every stage and the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from conftest import CORPUS, ROOT, SEEDS

from pipeline.schema import validate_record


@pytest.fixture(scope="module")
def full():
    from pipeline import Pipeline

    return Pipeline.from_config()


@pytest.fixture(scope="module")
def seeds(full):
    return {p.name[:3]: full.process_file(p) for p in sorted(SEEDS.glob("*.txt"))}


def test_default_stage_order(full):
    assert full.stage_names == ["clean", "segment", "metadata", "sections", "ner", "themes", "summary"]


@pytest.mark.shared
@pytest.mark.parametrize("seed", ["000", "001", "002", "003", "004"])
def test_seed_record_is_complete_and_consistent(seeds, seed):
    rec = seeds[seed]
    assert validate_record(rec.to_json()) == []
    for e in rec.entities:
        assert rec.text[e.start : e.end] == e.text and e.label in {"ORG", "PER", "LOC"}
    for t in rec.themes:
        assert 0.5 <= t.score <= 1 and t.evidence
        for ev in t.evidence:
            assert rec.text[ev.start : ev.end] == ev.text
    # 2-4 readable sentences, no headings or metadata labels.
    assert rec.summary
    n = len(re.findall(r"[.!?](?:\s|$)", rec.summary))
    assert 2 <= n <= 4, rec.summary
    assert not re.search(r"(Projektägare|Kontaktperson|E-post|Beviljat ESF-stöd|Sammanfattning)\s*:", rec.summary)


@pytest.mark.shared
def test_metadata_entities_found_in_text(seeds):
    ents = {(e.text, e.label) for e in seeds["000"].entities}
    assert {("Alingsås Futurum", "ORG"), ("Lennart Anderberg", "PER"), ("Öckerö", "LOC")} <= ents
    ents3 = {(e.text, e.label) for e in seeds["003"].entities}
    assert {("Avesta kommun", "ORG"), ("Birgitta Hägg", "PER"), ("Norra Mellansverige", "LOC")} <= ents3
    counts = {(c.text, c.label): c.count for c in seeds["003"].entity_counts}
    assert counts[("Avesta kommun", "ORG")] >= 3


def _theme(rec, tid):
    return next((t for t in rec.themes if t.id == tid), None)


@pytest.mark.shared
def test_seed_themes_with_evidence_from_the_right_place(seeds):
    acc = _theme(seeds["000"], "tillganglighet")
    gen = _theme(seeds["000"], "jamstalldhet")
    assert acc and any(ev.section == "accessibility" for ev in acc.evidence)
    assert gen and any(ev.section == "gender_equality" for ev in gen.evidence)
    integ = _theme(seeds["003"], "integration")
    assert integ and any("nyanlända" in ev.text for ev in integ.evidence)
    omst = _theme(seeds["004"], "omstallning")
    assert omst and any(re.search(r"varsel|uppsägning|uppsagda|varslade", ev.text) for ev in omst.evidence)
    # The old page's boilerplate accessibility section is not a tag (seed 001).
    assert _theme(seeds["001"], "tillganglighet") is None


@pytest.mark.parametrize(
    "name",
    [
        "new_projektbank_nyanlanda_kvinnor.txt",
        "projekt_digitala_vagar_kristianstad.html",
        "konferens_gransloest_foretagande.pdf",
    ],
)
def test_text_and_bytes_in_memory_give_the_record_of_the_file(full, name):
    """A document from a download or a database: the same record as from the file, with the
    source the caller names."""
    path = CORPUS / name
    want = full.process_file(path).model_dump()
    fmt = path.suffix
    got = full.process_bytes(path.read_bytes(), fmt.upper(), source="https://example.org/p")
    assert got.source == "https://example.org/p"
    assert got.model_dump() | {"source": want["source"]} == want
    if fmt in (".txt", ".html"):
        text = path.read_text(encoding="utf-8")
        got = full.process_text(text, format=fmt.lstrip("."))
        assert got.source == "<text>" and got.model_dump() | {"source": want["source"]} == want


def test_text_and_bytes_in_memory_reject_what_they_cannot_read(full):
    from pipeline.errors import IngestError

    with pytest.raises(ValueError, match="unknown document format 'doc'.*docx, html, odt, pdf, rtf, txt"):
        full.process_bytes(b"x", "doc")
    with pytest.raises(ValueError, match="use process_bytes"):
        full.process_text("x", format="pdf")
    with pytest.raises(TypeError, match="use process_bytes"):
        full.process_text(b"Projektet")
    with pytest.raises(TypeError, match="use process_text"):
        full.process_bytes("Projektet", "txt")
    with pytest.raises(IngestError, match="empty"):
        full.process_text(" \n ")
    with pytest.raises(IngestError, match="over the limit") as err:
        full.process_bytes(b"a" * (25 * 2**20 + 1), "txt")
    assert err.value.kind == "too_large"
    with pytest.raises(IngestError) as err:
        full.process_bytes(b"%PDF-1.4 not really", "pdf")
    assert err.value.kind == "corrupt_pdf"


def test_readme_python_example_runs_as_pasted(capsys, monkeypatch):
    """The README's Python block, run as a user pastes it (from the repository root)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"Python use:\n\n```python\n(.*?)```", readme, re.S)
    assert block, "the README's Python use block is missing"
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    exec(compile(block.group(1), "README.md", "exec"), namespace)  # noqa: S102 - our own docs
    assert namespace["record"].source == "https://example.org/slutrapport.pdf" and namespace["record"].themes
    assert capsys.readouterr().out.strip()


def test_cli_main_job_on_corpus(tmp_path):
    out = tmp_path / "out"
    res = subprocess.run(
        [sys.executable, "-m", "pipeline", "process", str(CORPUS), "--out", str(out), "--jobs", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    recs = [json.loads(ln) for ln in (out / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    docs = [p for p in CORPUS.iterdir() if p.suffix in (".txt", ".html", ".pdf")]
    assert len(recs) == len(docs)
    assert all(r["themes"] and r["summary"] and r["entities"] for r in recs)
    assert (out / "store.sqlite").exists() and (out / "index" / "meta.json").exists()
    sim = subprocess.run(
        [sys.executable, "-m", "pipeline", "similar", "--index", str(out), "--id", "2018/00517", "-k", "3", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert sim.returncode == 0, sim.stderr
    result = json.loads(sim.stdout)
    assert result[0]["query"] == "2018/00517" and len(result[0]["results"]) == 3
    assert "2018/00517" not in [r["id"] for r in result[0]["results"]]
    # Re-running is a no-op.
    res = subprocess.run(
        [sys.executable, "-m", "pipeline", "process", str(CORPUS), "--out", str(out), "--jobs", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert f"0 processed, {len(docs)} unchanged" in res.stderr


# -- one config loader ----------------------------------------------------------------------
def _write(tmp_path, text):
    p = tmp_path / "my.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_pipeline_yaml_names_every_stage_and_the_similarity_index():
    from pipeline.config import load_config
    from pipeline.stages import registered

    cfg = load_config()
    assert set(registered()) | {"pipeline", "ingest", "similarity"} <= set(cfg)


def test_config_override_is_deep_merged_and_typed(tmp_path):
    from pipeline.config import load_config, stage_config

    cfg = load_config(_write(tmp_path, "ner:\n  batch_size: 8\nsimilarity:\n  hybrid: {reciprocal: 0.0}\n"))
    ner = stage_config("ner", cfg)
    assert ner.batch_size == 8 and ner.model == "models/ner"  # the rest of the section kept
    assert cfg["similarity"] == {"hybrid": {"reciprocal": 0.0}}


@pytest.mark.parametrize(
    "text, words",
    [
        ("ner:\n  batchsize: 8\n", ["unknown key 'ner.batchsize'", "batch_size"]),
        ("summry: {}\n", ["unknown section 'summry'", "summary"]),
        ("summary:\n  max_wrds: 50\n", ["unknown key 'summary.max_wrds'", "max_words"]),
        ("similarity:\n  hybridd: {}\n", ["unknown key 'similarity.hybridd'"]),
        ("ner:\n  batch_size: many\n", ["ner.batch_size", "integer"]),
    ],
)
def test_unknown_or_mistyped_config_keys_are_clear_errors(tmp_path, text, words):
    from pipeline.config import load_config
    from pipeline.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, text))
    assert all(w in str(err.value) for w in words), str(err.value)


def test_one_deep_merge():
    from pipeline.config import deep_merge

    base = {"a": {"b": 1, "c": [1]}, "d": 1}
    out = deep_merge(base, {"a": {"b": 2}, "e": 3})
    assert out == {"a": {"b": 2, "c": [1]}, "d": 1, "e": 3} and base["a"]["b"] == 1


def test_runtime_package_imports_no_training_code_and_names_no_outside_path():
    """training/ imports pipeline, never the reverse; the shared data folder is passed in at the edge."""
    bad = []
    for path in (ROOT / "pipeline").rglob("*.py"):
        src = path.read_text(encoding="utf-8")
        if re.search(r"^\s*(?:from|import)\s+training\b", src, re.M):
            bad.append(f"{path.relative_to(ROOT)} imports training")
        if re.search(r"[\"']\.\./|\.\./shared|\.parent\.parent\.parent", src):
            bad.append(f"{path.relative_to(ROOT)} names a path outside the repository")
    assert not bad, bad


def test_compare_records_reports_fields_that_differ(tmp_path, capsys):
    from scripts.compare_records import main as compare

    base = {"id": "a", "source": "/x/a.txt", "text": "Hej.", "summary": "S."}
    before, after = tmp_path / "before.jsonl", tmp_path / "after.jsonl"
    before.write_text(json.dumps(base) + "\n", encoding="utf-8")
    after.write_text(json.dumps({**base, "source": "/y/a.txt"}) + "\n", encoding="utf-8")
    assert compare([str(before), str(after)]) == 0  # source is ignored by default
    after.write_text(json.dumps({**base, "summary": "T."}) + "\n", encoding="utf-8")
    assert compare([str(before), str(after)]) == 1
    assert "summary: 1 record(s) differ" in capsys.readouterr().out


def test_the_changelog_has_an_entry_for_this_version():
    """Records carry pipeline_version and an upgrade reprocesses them: a version says what changed."""
    from pipeline import __version__

    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## {re.escape(__version__)} — \d{{4}}-\d\d-\d\d$", changelog, re.M), __version__
