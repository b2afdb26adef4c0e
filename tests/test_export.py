"""Exports (jsonl, csv, parquet), their filters, and --redact-personal, via the CLI
functions on a small typer app."""

# ruff: noqa: F811  (fixtures are imported from store_fixtures and named as test arguments)
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import typer
from store_fixtures import replicated_records, seeds, store_kind, store_url, store_url_factory  # noqa: F401  (fixtures)
from typer.testing import CliRunner

from pipeline.export.redact import EMAIL_RE, PHONE_RE, Redactor
from pipeline.record import Record
from pipeline.store import canonical_json, open_store
from pipeline.store.cli import export, serve
from pipeline.themes.taxonomy import load_taxonomy

app = typer.Typer()
app.command("export")(export)
app.command("serve")(serve)
runner = CliRunner()


def run_export(*args: str) -> dict:
    res = runner.invoke(app, ["export", *args])
    assert res.exit_code == 0, res.output + repr(res.exception)
    return json.loads(res.output.strip().splitlines()[-1])


def read_csv(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets detect UTF-8
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def filled(store_url, seeds):
    records = seeds + list(replicated_records(20))[5:]
    with open_store(store_url) as st:
        st.upsert_many(records)
    return store_url, records


@pytest.mark.shared
def test_csv_export_wide_and_long(filled, tmp_path):
    url, records = filled
    out = tmp_path / "projects.csv"
    res = run_export("--store", url, "--format", "csv", "--out", str(out))
    assert res["rows"] == len(records)
    rows = read_csv(out)
    assert len(rows) == len(records) and len({r["id"] for r in rows}) == len(records)
    by_id = {r.id: r for r in records}
    for row in rows:
        rec = by_id[row["id"]]
        assert row["themes"] == "; ".join(t.id for t in rec.themes)
        assert row["theme_labels"] == "; ".join(t.label for t in rec.themes)
        assert row["region"] == (rec.metadata.region or "")
        assert row["total_budget_sek"] == str(rec.metadata.total_budget_sek or "")
        assert row["period_start"] == (rec.metadata.period_start.isoformat() if rec.metadata.period_start else "")
        pers = sorted({e.text for e in rec.entity_counts if e.label == "PER"})
        assert sorted(x for x in row["persons"].split("; ") if x) == pers
    themes = read_csv(tmp_path / "projects_themes.csv")
    assert len(themes) == sum(len(r.themes) + len(r.theme_candidates) for r in records)
    t0 = next(t for t in themes if t["project_id"] == records[0].id and t["kind"] == "assigned" and t["rank"] == "1")
    assert t0["theme_id"] == records[0].themes[0].id and int(t0["evidence_count"]) == len(records[0].themes[0].evidence)
    ents = read_csv(tmp_path / "projects_entities.csv")
    assert len(ents) == sum(len(r.entity_counts) for r in records)
    assert {"project_id", "label", "text", "count"} == set(ents[0])


@pytest.mark.shared
def test_parquet_export(filled, tmp_path):
    url, records = filled
    out = tmp_path / "p.parquet"
    run_export("--store", url, "-f", "parquet", "--out", str(out), "--theme", "integration")
    want = sorted(r.id for r in records if any(t.id == "integration" for t in r.themes))
    table = pq.read_table(out)
    assert sorted(table.column("id").to_pylist()) == want
    assert str(table.schema.field("total_budget_sek").type) == "int64"
    assert str(table.schema.field("period_start").type) == "date32[day]"
    assert all("integration" in t.split("; ") for t in table.column("themes").to_pylist())
    th = pq.read_table(tmp_path / "p_themes.parquet")
    assert set(th.column("project_id").to_pylist()) == set(want)
    assert pq.read_table(tmp_path / "p_entities.parquet").num_rows == sum(
        len(r.entity_counts) for r in records if r.id in want
    )


@pytest.mark.shared
def test_jsonl_export_filters_and_reimport(filled, tmp_path, store_url_factory):
    url, records = filled
    out = tmp_path / "sel.jsonl"
    args = [
        "--region",
        "västsverige",
        "--period-from",
        "2009-01-01",
        "--period-to",
        "2015-12-31",
        "--min-budget",
        "100000",
        "--max-budget",
        "15000000",
    ]
    run_export("--store", url, "--out", str(out), *args)
    got = [Record.from_json(json.loads(line)) for line in out.read_text(encoding="utf-8").splitlines()]
    want = sorted(
        (
            r
            for r in records
            if r.metadata.region == "Västsverige"
            and r.metadata.period_start
            and str(r.metadata.period_start) <= "2015-12-31"
            and str(r.metadata.period_end) >= "2009-01-01"
            and 100_000 <= (r.metadata.total_budget_sek or -1) <= 15_000_000
        ),
        key=lambda r: r.id,
    )
    assert want and got == want
    fresh = open_store(store_url_factory())
    fresh.import_jsonl(out)
    assert [canonical_json(r) for r in fresh.iter_records()] == [canonical_json(r) for r in want]
    fresh.close()


@pytest.mark.shared
def test_export_programme_area_and_full_text(filled, tmp_path):
    url, records = filled
    area = next(r.metadata.programme_area for r in records if r.metadata.programme_area)
    out = tmp_path / "area.jsonl"
    run_export("--store", url, "--out", str(out), "--programme-area", area.upper())
    got = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    want = sorted(r.id for r in records if (r.metadata.programme_area or "").lower() == area.lower())
    assert want and got == want and len(want) < len(records)
    out = tmp_path / "text.jsonl"
    run_export("--store", url, "--out", str(out), "--text", "nyanländas")
    got = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    with open_store(url) as st:
        assert got and got == sorted(st.ids(q="nyanlända")) and len(got) < len(records)


@pytest.mark.parametrize(
    "args, msg",
    [
        (["--period-from", "2020-02-30"], "not a valid calendar date"),
        (["--period-from", "20"], "is not a year (2019), a year-month"),
        (["--period-to", "2019-13"], "not a valid calendar date"),
        (["--period-from", "2021-01-01", "--period-to", "2020-01-01"], "after"),
        (["--min-budget", "10", "--max-budget", "5"], "exceeds"),
        (["--format", "xlsx"], "xlsx"),
        (["--min-budget", "-1"], "equal to 0"),
    ],
)
def test_export_rejects_bad_options(tmp_path, args, msg):
    res = runner.invoke(app, ["export", "--store", str(tmp_path / "s.sqlite"), "--out", str(tmp_path / "o.csv"), *args])
    assert res.exit_code == 2 and msg in " ".join(res.output.replace("│", " ").split()), res.output


@pytest.mark.shared
def test_export_theme_filter_names_a_theme(filled, tmp_path):
    """A mistyped theme is a usage error with a suggestion, not an empty export; an id or label
    of the taxonomy is accepted even where no project carries it, and so is a theme the store holds."""
    url, records = filled
    out = tmp_path / "o.csv"
    res = runner.invoke(app, ["export", "--store", url, "--out", str(out), "--theme", "integrashon"])
    text = " ".join(res.output.replace("│", " ").split())
    assert res.exit_code == 2 and "no theme 'integrashon' (did you mean 'integration'?)" in text, res.output
    assert "jamstalldhet" in text and not out.exists()
    assigned = {t.id for r in records for t in r.themes}
    unused = next(t for t in load_taxonomy().ids if t not in assigned)
    assert run_export("--store", url, "--out", str(out), "--theme", unused)["rows"] == 0
    for tid in ("jamstalldhet", "kompetensforsorjning"):  # a taxonomy theme; one only the store knows
        assert tid in assigned and (tid in load_taxonomy().ids) == (tid == "jamstalldhet")
        label = next(t.label for r in records for t in r.themes if t.id == tid)
        want = sum(any(t.id == tid for t in r.themes) for r in records)
        assert run_export("--store", url, "--out", str(out), "--theme", label.upper())["rows"] == want


@pytest.mark.shared
def test_export_notes_a_region_nothing_has(filled, tmp_path):
    url, records = filled
    out = str(tmp_path / "o.csv")
    res = runner.invoke(app, ["export", "--store", url, "--out", out, "--region", "Skåne"])
    assert res.exit_code == 0 and json.loads(res.stdout.splitlines()[-1])["rows"] == 0, res.output
    assert "no project has the region 'Skåne' (stored: " in res.stderr and "Västsverige" in res.stderr
    res = runner.invoke(app, ["export", "--store", url, "--out", out, "--region", "västsverige"])
    assert json.loads(res.stdout)["rows"] > 0 and not res.stderr
    res = runner.invoke(
        app, ["export", "--store", url, "--out", out, "--region", "västsverige", "--min-budget", str(10**14)]
    )
    assert json.loads(res.stdout)["rows"] == 0 and not res.stderr  # the region exists: nothing to note


@pytest.mark.shared
def test_export_period_as_year_or_month(filled, tmp_path):
    """--period-from/--period-to take a year, a year-month or a date (the API's parser)."""
    url, _ = filled

    def ids(*args):
        out = tmp_path / "p.jsonl"
        run_export("--store", url, "--out", str(out), *args)
        return [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]

    years = ids("--period-from", "2012", "--period-to", "2013")
    assert years and years == ids("--period-from", "2012-01-01", "--period-to", "2013-12-31")
    assert ids("--period-from", "2012-03", "--period-to", "2012-06") == ids(
        "--period-from", "2012-03-01", "--period-to", "2012-06-30"
    )


def _flat(output: str) -> str:
    return " ".join(output.replace("│", " ").split())


@pytest.mark.parametrize("command", ["export", "serve"])
def test_reading_commands_never_create_a_store(tmp_path, command):
    """A mistyped --store fails with a clear message and creates nothing."""
    extra = ["--out", str(tmp_path / "o.jsonl")] if command == "export" else ["--port", "1"]
    (tmp_path / "notastore.sqlite").write_text("hej")
    (tmp_path / "empty_dir").mkdir()
    for store, msg in [
        (str(tmp_path / "wrong" / "path"), "no store at"),
        (str(tmp_path / "wrong.sqlite"), "does not exist"),
        (str(tmp_path / "empty_dir"), "does not exist"),
        ("sqlite:///" + str(tmp_path / "nope.sqlite"), "does not exist"),
        (str(tmp_path / "notastore.sqlite"), "is not a store"),
        ("postgresql://nobody:secret@127.0.0.1:1/registry", "cannot connect to the store"),
    ]:
        before = sorted(p.name for p in tmp_path.rglob("*"))
        res = runner.invoke(app, [command, "--store", store, *extra])
        assert res.exit_code == 2, (store, res.output)
        assert msg in _flat(res.output), (store, res.output)
        assert "secret" not in res.output
        assert sorted(p.name for p in tmp_path.rglob("*")) == before, store  # nothing created


def test_reading_commands_reject_sqlite_without_tables(tmp_path):
    import sqlite3

    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    res = runner.invoke(app, ["export", "--store", str(other), "--out", str(tmp_path / "o.jsonl")])
    assert res.exit_code == 2 and "not a store" in _flat(res.output)


# ----------------------------------------------------------------------------- redaction

PHONES = ("0322 616901", "0220-12623", "0322616901", "022012623")


def _personal_strings(records: list[Record]) -> set[str]:
    found: set[str] = set()
    for r in records:
        md = r.metadata
        for v in (md.contact_person, md.email, md.phone):
            if v:
                found.add(v)
        if md.contact_person:
            found.update(p for p in md.contact_person.split() if len(p) > 2)
        for e in (*r.entities, *r.entity_counts):
            if e.label == "PER":
                found.add(e.text)
                found.update(p for p in e.text.split() if len(p) > 2)
        found.update(m.group(0) for m in EMAIL_RE.finditer(r.text))
    return found


def _assert_clean(blob: str, personal: set[str]) -> None:
    assert not EMAIL_RE.search(blob), EMAIL_RE.search(blob).group(0)
    assert not re.search(r"[\w.+-]+@[\w-]+\.\w+", blob)
    for p in PHONES:
        assert p not in blob, p
    for m in PHONE_RE.finditer(blob):
        digits = re.sub(r"\D", "", m.group(0))
        assert not (7 <= len(digits) <= 12) or re.search(r"\d{4}-\d\d-\d\d", m.group(0)), m.group(0)
    for s in personal:
        assert not re.search(rf"(?<!\w){re.escape(s)}(?!\w)", blob), s


def _redact_all_formats(url: str, tmp_path: Path) -> str:
    blob = []
    for fmt in ("jsonl", "csv", "parquet"):
        res = run_export("--store", url, "--format", fmt, "--out", str(tmp_path / f"red.{fmt}"), "--redact-personal")
        for f in res["files"]:
            if f.endswith(".parquet"):
                blob.append(json.dumps(pq.read_table(f).to_pylist(), ensure_ascii=False, default=str))
            else:
                blob.append(Path(f).read_text(encoding="utf-8-sig"))
    return "\n".join(blob)


def _check_redacted_records(path: Path, originals: list[Record]) -> None:
    """Redacted jsonl records are valid and their offsets still point at their text."""
    red = [Record.from_json(json.loads(x)) for x in path.read_text(encoding="utf-8").splitlines()]
    assert [r.id for r in red] == sorted(r.id for r in originals)
    orig = {r.id: r for r in originals}
    for r in red:
        o = orig[r.id]
        assert r.metadata.contact_person is None and r.metadata.email is None and r.metadata.phone is None
        assert len(r.entities) == len(o.entities) and len(r.sections) == len(o.sections)
        for e, oe in zip(r.entities, o.entities):
            assert r.text[e.start : e.end] == e.text
            if oe.label != "PER":
                assert e.text == oe.text
            else:
                assert re.fullmatch(r"\[PERSON-\d+\]", e.text)
        for s, os_ in zip(r.sections, o.sections):
            assert 0 <= s.start <= s.end <= len(r.text) and s.heading == os_.heading
            assert r.text[s.start : s.end].split()[:1] == o.text[os_.start : os_.end].split()[:1]
        assert len(r.sentences) == len(o.sentences)
        for s, os_ in zip(r.sentences, o.sentences):
            assert 0 <= s.start <= s.end <= len(r.text)
            assert (
                r.text[s.start : s.end].split()[-1:] == o.text[os_.start : os_.end].split()[-1:]
                or "[" in r.text[s.start : s.end]
            )
        for t, ot in zip(r.themes, o.themes):
            for ev, oev in zip(t.evidence, ot.evidence):
                if o.text[oev.start : oev.end] == oev.text:
                    assert r.text[ev.start : ev.end] == ev.text


@pytest.mark.shared
def test_redact_personal_hand_built_records(filled, tmp_path):
    url, records = filled
    personal = _personal_strings(records)
    assert {
        "Lennart Anderberg",
        "lennart.anderberg@alingsas.se",
        "0322 616901",
        "0220-12623",
        "Håkan Freijd",
        "Birgitta Hägg",
        "Peter Germer",
    } <= personal
    blob = _redact_all_formats(url, tmp_path)
    _assert_clean(blob, personal)
    assert "[PERSON-" in blob and "[E-POST]" in blob and "[TELEFON]" in blob
    assert "Alingsås Futurum" in blob and "Västsverige" in blob  # non-personal data stays
    _check_redacted_records(tmp_path / "red.jsonl", records)


@pytest.mark.shared
def test_redact_personal_pipeline_records(seed_records, store_url, tmp_path):
    """Records built by the real pipeline (spine stages) from the seeds."""
    records = list(seed_records.values())
    assert all(r.sentences for r in records)  # the segment stage's offsets are remapped too
    with open_store(store_url) as st:
        st.upsert_many(records)
    personal = _personal_strings(records)
    assert {"Lennart Anderberg", "0322 616901", "0220-12623", "hakan@mtnab.com"} <= personal
    blob = _redact_all_formats(store_url, tmp_path)
    _assert_clean(blob, personal)
    _check_redacted_records(tmp_path / "red.jsonl", records)


def test_redactor_unit():
    red = Redactor(["Peter Germer", "Anna Jakobsson Lund"])
    s = red.redact_str(
        "Peter Germer sade. Germers idé; ring 08-123 45 67 eller +46 70 123 45 67, "
        "mejla anna.lund@firma.se eller anna(at)firma.se. Lund och Anna. 2018-02-01 - 2021-02-28."
    )
    assert "Germer" not in s and "Lund" not in s and "Anna" not in s and "@" not in s and "(at)" not in s
    assert "123 45" not in s and s.count("[TELEFON]") == 2
    assert "2018-02-01 - 2021-02-28" in s  # dates are not phone numbers
    assert (
        red.redact_str("Budget 4 374 500 kr, dnr 2017/00434, postnr 77481")
        == "Budget 4 374 500 kr, dnr 2017/00434, postnr 77481"
    )


def test_join_key_fields_are_exported():
    from pipeline.export import PROJECT_COLUMNS, project_row

    rec = Record(
        id="2023/00042",
        source="x.txt",
        sha256="0" * 64,
        format="txt",
        title="Nya vägar",
        text="Nya vägar",
        pipeline_version="test",
        metadata={
            "organisation_number": "212000-1234",
            "fund": "ESF+",
            "nuts2": "SE33",
            "cci": "2021SE05SFPR001",
            "secondary_themes": ["Digitalisering", "Jämställdhet"],
        },
    )
    row = project_row(rec)
    assert {"organisation_number", "fund", "nuts2", "cci", "secondary_themes"} <= {c for c, _ in PROJECT_COLUMNS}
    assert (row["organisation_number"], row["fund"], row["nuts2"], row["cci"]) == (
        "212000-1234",
        "ESF+",
        "SE33",
        "2021SE05SFPR001",
    )
    assert row["secondary_themes"] == "Digitalisering; Jämställdhet"


def test_redactor_without_names_and_in_place():
    plain = Redactor()  # e-mail and phone patterns only (the API's list titles and owners)
    for s in ("Ung framtid i Västra Götaland", "Kommunen (a)", ""):
        assert plain.redact_str(s) == s
    assert plain.redact_str("Skriv till info(at)kommun.se") == "Skriv till [E-POST]"
    assert plain.redact_str("Ring 0123-45 67 89") == "Ring [TELEFON]"
    # the e-mail pattern takes a whole run of address characters, also a long one, and only that
    assert plain.redact_str("x" * 5000 + " ab.cd-ef@exempel.se") == "x" * 5000 + " [E-POST]"
    assert plain.redact_str("Se: a.b@c.se,d@e.se") == "Se: [E-POST],[E-POST]"
    rec = Record(
        id="r1",
        source="r1.txt",
        sha256="0" * 64,
        format="txt",
        title="Om Eva Ek",
        text="Eva Ek leder arbetet, eva.ek@exempel.se.",
        pipeline_version="test",
        entities=[{"text": "Eva Ek", "label": "PER", "start": 0, "end": 6}],
        metadata={"contact_person": "Eva Ek", "email": "eva.ek@exempel.se"},
    )
    copied = Redactor().redact(rec)
    assert rec.text.startswith("Eva Ek") and rec.metadata.email  # copy=True leaves the record alone
    same = rec.model_copy(deep=True)
    in_place = Redactor().redact(same, copy=False)
    assert in_place is same and in_place == copied
    assert in_place.text == "[PERSON-1] leder arbetet, [E-POST]." and in_place.metadata.email is None


def test_redactor_names_with_any_first_character():
    red = Redactor(["Åsa Öberg", "Élise Ek", "(Kalle) Ek", "-Ebba"])
    s = red.redact_str("Åsa Öberg och Élise Ek träffade Öberg, (Kalle) Ek och -Ebba; KontaktpersonÅsa Öberg.")
    assert "Åsa" not in s and "Öberg" not in s and "Élise" not in s and "Kalle" not in s and "Ebba" not in s
    assert s.startswith("[PERSON-1] och [PERSON-2] träffade [PERSON-1],")
