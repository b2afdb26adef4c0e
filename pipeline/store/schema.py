"""Tables of the project store (SQLAlchemy Core, portable across SQLite and PostgreSQL).

``projects`` holds one row per record with the flattened fields the registry
filters on; ``documents`` holds its text and the canonical JSON of the whole
record (``record_json``, the source of truth for round-trips). The child tables mirror the nested parts of
:class:`pipeline.record.Record` for querying; every child row is keyed by
``record_id`` and the position (``idx``) of the item in its list, and is
replaced together with its project row in one transaction.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata_obj = MetaData()

# Bump when the tables change; open_store migrates an older store (MIGRATIONS) and
# refuses one of an unknown version.
STORE_SCHEMA_VERSION = "5"

store_info = Table(
    "store_info",
    metadata_obj,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

_FK = dict(ondelete="CASCADE")


def _rid() -> Column:
    return Column("record_id", String(255), ForeignKey("projects.id", **_FK), primary_key=True)


projects = Table(
    "projects",
    metadata_obj,
    Column("id", String(255), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("schema_version", String(32), nullable=False),
    Column("pipeline_version", String(64)),
    Column("source", Text, nullable=False),
    Column("format", String(16), nullable=False),
    # flattened metadata used by filters (full metadata is in project_metadata / record_json)
    Column("project_number", String(255)),
    Column("project_name", Text),  # store layout v5
    Column("owner", Text),
    Column("region", String(255)),
    Column("programme_area", Text),
    Column("esf_support_sek", BigInteger),
    Column("total_budget_sek", BigInteger),
    Column("period_start", Date),
    Column("period_end", Date),
    Column("start_year", Integer),
    # keys a registry joins on (store layout v2)
    Column("organisation_number", String(32)),
    Column("fund", String(16)),
    Column("nuts2", String(16)),
    Column("cci", String(32)),
    # case-folded copies for case-insensitive filters (SQLite lower() is ASCII-only)
    Column("owner_norm", Text),
    Column("region_norm", String(255)),
    Column("programme_area_norm", Text),  # store layout v3
    Column("title", Text),
    Column("updated_at", String(32), nullable=False),
)
Index("ix_projects_region_norm", projects.c.region_norm)
Index("ix_projects_owner_norm", projects.c.owner_norm)
Index("ix_projects_total_budget", projects.c.total_budget_sek)
Index("ix_projects_period", projects.c.period_start, projects.c.period_end)
Index("ix_projects_start_year", projects.c.start_year)
Index("ix_projects_organisation_number", projects.c.organisation_number)
Index("ix_projects_programme_area_norm", projects.c.programme_area_norm)

# The large parts of a record, kept out of ``projects`` so that filtering and
# listing read small rows only (SQLite would otherwise walk overflow pages).
documents = Table(
    "documents",
    metadata_obj,
    Column("record_id", String(255), ForeignKey("projects.id", **_FK), primary_key=True),
    Column("summary", Text),
    Column("text", Text, nullable=False),
    # canonical JSON of the whole record: what get()/iter_records() return
    Column("record_json", Text, nullable=False),
    # the same with personal data redacted (``Redactor().redact``: the record's own names,
    # e-mail addresses and phone numbers), as the API serves it by default (store layout v4)
    Column("redacted_json", Text),
)

# One row per stated metadata field (value as JSON text), e.g. ("r1", "email", '"a@b.se"').
project_metadata = Table(
    "project_metadata",
    metadata_obj,
    _rid(),
    Column("key", String(64), primary_key=True),
    Column("value_json", Text, nullable=False),
)

sections = Table(
    "sections",
    metadata_obj,
    _rid(),
    Column("idx", Integer, primary_key=True, autoincrement=False),
    Column("key", String(64), nullable=False),
    Column("heading", Text, nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
)

entities = Table(
    "entities",
    metadata_obj,
    _rid(),
    Column("idx", Integer, primary_key=True, autoincrement=False),
    Column("text", Text, nullable=False),
    Column("label", String(16), nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("source", String(32), nullable=False),
)

entity_counts = Table(
    "entity_counts",
    metadata_obj,
    _rid(),
    Column("idx", Integer, primary_key=True, autoincrement=False),
    Column("text", Text, nullable=False),
    Column("label", String(16), nullable=False),
    Column("count", Integer, nullable=False),
)
Index("ix_entity_counts_label_text", entity_counts.c.label, entity_counts.c.text)

# kind: "assigned" (Record.themes) or "candidate" (Record.theme_candidates)
themes = Table(
    "themes",
    metadata_obj,
    _rid(),
    Column("kind", String(16), primary_key=True),
    Column("idx", Integer, primary_key=True, autoincrement=False),
    Column("theme_id", String(128), nullable=False),
    Column("label", Text, nullable=False),
    Column("score", Float, nullable=False),
    Column("label_norm", Text, nullable=False),  # case-folded label, for the theme filter
)
# covering indexes for the theme filter (EXISTS by id, EXISTS by label)
Index("ix_themes_theme_id", themes.c.kind, themes.c.theme_id, themes.c.record_id)
Index("ix_themes_label_norm", themes.c.kind, themes.c.label_norm, themes.c.record_id)

evidence = Table(
    "evidence",
    metadata_obj,
    _rid(),
    Column("kind", String(16), primary_key=True),
    Column("theme_idx", Integer, primary_key=True, autoincrement=False),
    Column("idx", Integer, primary_key=True, autoincrement=False),
    Column("theme_id", String(128), nullable=False),
    Column("text", Text, nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("section", String(64)),
)

# Which vector of which similarity index holds a record (written by the batch step
# after the index update). sha256 = the version of the record that was embedded.
index_entries = Table(
    "index_entries",
    metadata_obj,
    _rid(),
    Column("index_name", String(64), primary_key=True),
    Column("vector_id", String(255), nullable=False),
    Column("sha256", String(64), nullable=False),
)

# The text the full-text filter ``q`` searches (store layout v3): the title, and owner +
# summary + cleaned text. ``id`` is an INTEGER PRIMARY KEY (SQLite: the rowid, stable under
# VACUUM) that the full-text index refers to. The index itself is backend DDL (FTS_DDL):
# SQLite an FTS5 table ``search_fts`` over this one (external content, kept in step by
# triggers), PostgreSQL a generated ``tsv`` column (``swedish`` configuration) with a GIN index
# and a small generated ``rank_tsv`` that ranking reads.
search_text = Table(
    "search_text",
    metadata_obj,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_id", String(255), ForeignKey("projects.id", **_FK), nullable=False, unique=True),
    Column("title", Text),
    Column("body", Text, nullable=False),
)

CHILD_TABLES = (documents, project_metadata, sections, entities, entity_counts, themes, evidence, search_text)
# columns a child row gets from the database, not from the record (Store.check skips them)
GENERATED_COLUMNS = {"search_text": {"id"}}

# PostgreSQL indexes at most this many characters of a document's body (a tsvector must
# stay under 1 MB); SQLite indexes all of it.
PG_FTS_CHARS = 200_000
PG_RANK_CHARS = 1_000  # ... and ranks by the title plus this many characters (see FTS_DDL)

FTS_DDL = {
    "sqlite": [
        "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(title, body, content='search_text', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
        "CREATE TRIGGER IF NOT EXISTS search_text_ai AFTER INSERT ON search_text BEGIN "
        "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
        "CREATE TRIGGER IF NOT EXISTS search_text_ad AFTER DELETE ON search_text BEGIN "
        "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); END",
        "CREATE TRIGGER IF NOT EXISTS search_text_au AFTER UPDATE ON search_text BEGIN "
        "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); "
        "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    ],
    "postgresql": [
        "ALTER TABLE search_text ADD COLUMN IF NOT EXISTS tsv tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('swedish'::regconfig, coalesce(title, '')), 'A') || "
        f"setweight(to_tsvector('swedish'::regconfig, left(body, {PG_FTS_CHARS})), 'D')) STORED",
        # ranking reads a small vector (title, then owner, summary and the start of the text),
        # kept in the row: ranking thousands of matches by the whole text's vector would
        # decompress every one of them (~10x slower)
        "ALTER TABLE search_text ADD COLUMN IF NOT EXISTS rank_tsv tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('swedish'::regconfig, coalesce(title, '')), 'A') || "
        f"setweight(to_tsvector('swedish'::regconfig, left(body, {PG_RANK_CHARS})), 'D')) STORED",
        "CREATE INDEX IF NOT EXISTS ix_search_text_tsv ON search_text USING gin (tsv)",
    ],
}


def ensure_fts(conn) -> None:
    """Create the backend's full-text index over ``search_text`` if it is missing (idempotent)."""
    from sqlalchemy import text

    name = conn.dialect.name
    if name == "sqlite":
        have = conn.execute(
            text(
                "SELECT count(*) FROM sqlite_master WHERE name IN "
                "('search_fts', 'search_text_ai', 'search_text_ad', 'search_text_au')"
            )
        ).scalar()
        if have == 4:
            return
    elif name == "postgresql":
        # ALTER TABLE locks the table even when there is nothing to do: look first
        have = conn.execute(
            text(
                "SELECT count(*) FROM information_schema.columns WHERE table_schema = "
                "current_schema() AND table_name = 'search_text' AND column_name = 'rank_tsv'"
            )
        ).scalar()
        have += conn.execute(
            text(
                "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() "
                "AND indexname = 'ix_search_text_tsv'"
            )
        ).scalar()
        if have == 2:
            return
    for stmt in FTS_DDL.get(name, []):
        conn.execute(text(stmt))


def search_row(record) -> dict:
    """The ``search_text`` row of a record (NUL removed: PostgreSQL text cannot hold it)."""
    md = record.metadata
    body = "\n".join(x for x in (md.owner, record.summary, record.text) if x)
    return dict(
        record_id=record.id, title=(record.title or "").replace("\x00", " ") or None, body=body.replace("\x00", " ")
    )


# ----------------------------------------------------------------------------- migrations

JOIN_COLUMNS = ("organisation_number", "fund", "nuts2", "cci")


def join_columns(md) -> dict:
    """The ``projects`` join-key columns of a record's metadata."""
    return {k: getattr(md, k) for k in JOIN_COLUMNS}


def _v1_to_v2(conn) -> None:
    """Layout v1 -> v2: the join-key columns and their index; stored records (schema
    1.0.0) are rewritten as the current record schema (they gained optional fields only)."""
    import json

    from sqlalchemy import select, text, update

    from ..record import Record

    for name, col in (
        ("organisation_number", "VARCHAR(32)"),
        ("fund", "VARCHAR(16)"),
        ("nuts2", "VARCHAR(16)"),
        ("cci", "VARCHAR(32)"),
    ):
        conn.execute(text(f"ALTER TABLE projects ADD COLUMN {name} {col}"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_projects_organisation_number ON projects (organisation_number)"))
    d, p = documents.c, projects.c
    for rid, js in conn.execute(select(d.record_id, d.record_json)).all():
        record = Record.from_json(json.loads(js))  # reads 1.0.0 as the current version
        new_js = json.dumps(record.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        conn.execute(update(documents).where(d.record_id == rid).values(record_json=new_js))
        conn.execute(
            update(projects)
            .where(p.id == rid)
            .values(schema_version=record.schema_version, **join_columns(record.metadata))
        )


def _v2_to_v3(conn) -> None:
    """Layout v2 -> v3: ``projects.programme_area_norm`` (the programme-area filter) and the
    full-text index (``search_text`` + the backend's index, filled from the stored records)
    instead of the substring column ``documents.search_norm``."""
    import json

    from sqlalchemy import insert, select, text, update

    from ..record import Record

    conn.execute(text("ALTER TABLE projects ADD COLUMN programme_area_norm TEXT"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_projects_programme_area_norm ON projects (programme_area_norm)"))
    conn.execute(text("ALTER TABLE documents DROP COLUMN search_norm"))
    search_text.create(conn, checkfirst=True)
    ensure_fts(conn)
    conn.execute(search_text.delete())
    d, p = documents.c, projects.c
    for rid, js in conn.execute(select(d.record_id, d.record_json)).all():
        record = Record.from_json(json.loads(js))
        area = record.metadata.programme_area
        conn.execute(
            update(projects)
            .where(p.id == rid)
            .values(programme_area_norm=" ".join(area.replace("\x00", " ").split()).casefold() if area else None)
        )
        conn.execute(insert(search_text), [search_row(record)])


def redacted_json(record_json: str) -> str:
    """A record's canonical JSON with its personal data redacted (what the API serves unless
    ``--show-personal``); computed once, when the record is written."""
    import json

    from ..export.redact import Redactor
    from ..record import Record

    red = Redactor().redact(Record.model_validate_json(record_json), copy=False)
    return json.dumps(red.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _v3_to_v4(conn) -> None:
    """Layout v3 -> v4: ``documents.redacted_json``, filled from the stored records."""
    from sqlalchemy import select, text, update

    conn.execute(text("ALTER TABLE documents ADD COLUMN redacted_json TEXT"))
    d = documents.c
    for rid, js in conn.execute(select(d.record_id, d.record_json)).all():
        conn.execute(update(documents).where(d.record_id == rid).values(redacted_json=redacted_json(js)))


def _v4_to_v5(conn) -> None:
    """Layout v4 -> v5: ``projects.project_name``, filled from the stored records (a record written
    before record schema 1.3.0 has none until its document is processed again)."""
    import json

    from sqlalchemy import select, text, update

    conn.execute(text("ALTER TABLE projects ADD COLUMN project_name TEXT"))
    d, p = documents.c, projects.c
    for rid, js in conn.execute(select(d.record_id, d.record_json)).all():
        name = (json.loads(js).get("metadata") or {}).get("project_name")
        if name:
            conn.execute(update(projects).where(p.id == rid).values(project_name=name))


# from-version -> (to-version, step); applied in order until STORE_SCHEMA_VERSION
MIGRATIONS = {"1": ("2", _v1_to_v2), "2": ("3", _v2_to_v3), "3": ("4", _v3_to_v4), "4": ("5", _v4_to_v5)}


def migrate(engine, found: str) -> bool:
    """Bring a store of layout ``found`` to STORE_SCHEMA_VERSION in one transaction.
    False when there is no migration path from ``found``."""
    from sqlalchemy import select, update

    path, v = [], found
    while v != STORE_SCHEMA_VERSION:
        if v not in MIGRATIONS:
            return False
        v, step = MIGRATIONS[v]
        path.append(step)
    c = store_info.c
    with engine.begin() as conn:
        # another process may have migrated it meanwhile
        if conn.execute(select(c.value).where(c.key == "schema_version")).scalar() != found:
            return True
        for step in path:
            step(conn)
        conn.execute(update(store_info).where(c.key == "schema_version").values(value=STORE_SCHEMA_VERSION))
    return True
