"""Schema 1.1.0: the new metadata fields in records and the store; old records and stores migrated."""

from __future__ import annotations

import json
import sqlite3

import pytest

from pipeline.record import SCHEMA_VERSION, Metadata, Record
from pipeline.schema import validate_record
from pipeline.store import schema as S
from pipeline.store.core import open_store


def _record(rid: str, **md) -> Record:
    return Record(
        id=rid,
        source=f"{rid}.txt",
        sha256=rid.encode().hex().ljust(64, "0")[:64],
        format="txt",
        text="Projektägare: Tranås kommun",
        metadata=Metadata(owner="Tranås kommun", **md),
    )


def test_old_record_json_reads_as_current_version():
    data = _record("r1").to_json()
    data["schema_version"] = "1.0.0"
    assert validate_record(data)  # the committed schema wants the current version
    rec = Record.from_json(data)
    assert rec.schema_version == SCHEMA_VERSION != "1.0.0"
    assert validate_record(rec.to_json()) == []


def test_new_fields_in_schema_and_store(tmp_path):
    rec = _record(
        "24-105-S07",
        organisation_number="212000-2114",
        fund="ESF+",
        nuts2="SE21",
        cci="2021SE05SFPR",
        secondary_themes=["Motverka barnfattigdom"],
    )
    assert validate_record(rec.to_json()) == []
    st = open_store(tmp_path / "s.sqlite")
    st.upsert(rec)
    assert st.get(rec.id) == rec
    st.close()
    con = sqlite3.connect(tmp_path / "s.sqlite")
    row = con.execute("SELECT organisation_number, fund, nuts2, cci FROM projects").fetchone()
    assert row == ("212000-2114", "ESF+", "SE21", "2021SE05SFPR")
    keys = {k for (k,) in con.execute("SELECT key FROM project_metadata")}
    assert {"organisation_number", "secondary_themes"} <= keys
    con.close()


def downgrade_to_v2(con) -> None:
    """Turn a SQLite store of layout v5 into one as layout v2 wrote it: no project-name or programme-area
    column, no full-text index, the substring column ``documents.search_norm`` filled."""
    con.execute("ALTER TABLE projects DROP COLUMN project_name")  # v5 -> v4
    con.execute("ALTER TABLE documents DROP COLUMN redacted_json")  # v4 -> v3
    con.execute("DROP INDEX ix_projects_programme_area_norm")
    con.execute("ALTER TABLE projects DROP COLUMN programme_area_norm")
    for name in ("search_text_ai", "search_text_ad", "search_text_au"):
        con.execute(f"DROP TRIGGER {name}")
    con.execute("DROP TABLE search_fts")
    con.execute("DROP TABLE search_text")
    con.execute("ALTER TABLE documents ADD COLUMN search_norm TEXT")
    con.execute("UPDATE documents SET search_norm = lower(text)")
    con.execute("UPDATE store_info SET value = '2' WHERE key = 'schema_version'")


def _make_v1_store(path):
    """A store as layout v1 wrote it: no join-key columns, records of schema 1.0.0."""
    st = open_store(path)
    st.upsert(_record("2017/00812"))
    st.upsert(_record("2018/00248", fund="ESF"))  # as if read by a newer pipeline, then downgraded below
    st.close()
    con = sqlite3.connect(path)
    downgrade_to_v2(con)
    con.execute("DROP INDEX ix_projects_organisation_number")
    for col in S.JOIN_COLUMNS:
        con.execute(f"ALTER TABLE projects DROP COLUMN {col}")
    for rid, js in con.execute("SELECT record_id, record_json FROM documents").fetchall():
        data = json.loads(js)
        data["schema_version"] = "1.0.0"
        data["metadata"].pop("fund", None)
        con.execute("UPDATE documents SET record_json = ? WHERE record_id = ?", (json.dumps(data), rid))
    con.execute("UPDATE projects SET schema_version = '1.0.0'")
    con.execute("UPDATE store_info SET value = '1' WHERE key = 'schema_version'")
    con.commit()
    con.close()


def test_v1_store_is_migrated(tmp_path):
    path = tmp_path / "old.sqlite"
    _make_v1_store(path)
    st = open_store(path)  # migrates instead of refusing
    rec = st.get("2017/00812")
    assert rec.schema_version == SCHEMA_VERSION
    assert validate_record(rec.to_json()) == []
    st.upsert(_record("2019/00133", organisation_number="212000-0175"))
    st.close()
    con = sqlite3.connect(path)
    assert (
        con.execute("SELECT value FROM store_info WHERE key = 'schema_version'").fetchone()[0] == S.STORE_SCHEMA_VERSION
    )
    assert {v for (v,) in con.execute("SELECT schema_version FROM projects")} == {SCHEMA_VERSION}
    for (js,) in con.execute("SELECT record_json FROM documents"):
        assert json.loads(js)["schema_version"] == SCHEMA_VERSION
    assert (
        con.execute("SELECT organisation_number FROM projects WHERE id = '2019/00133'").fetchone()[0] == "212000-0175"
    )
    assert con.execute("SELECT count(*) FROM projects WHERE organisation_number IS NULL").fetchone()[0] == 2
    con.close()
    st = open_store(path)  # opening again is a no-op
    assert st.get("2018/00248").schema_version == SCHEMA_VERSION
    st.close()


def test_unknown_store_version_still_refused(tmp_path):
    path = tmp_path / "x.sqlite"
    open_store(path).close()
    con = sqlite3.connect(path)
    con.execute("UPDATE store_info SET value = '99' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(RuntimeError, match="table layout v99"):
        open_store(path)
