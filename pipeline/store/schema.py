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

# Bump when the tables change; open_store refuses a store of another version.
STORE_SCHEMA_VERSION = "1"

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
    Column("owner", Text),
    Column("region", String(255)),
    Column("programme_area", Text),
    Column("esf_support_sek", BigInteger),
    Column("total_budget_sek", BigInteger),
    Column("period_start", Date),
    Column("period_end", Date),
    Column("start_year", Integer),
    # case-folded copies for case-insensitive filters (SQLite lower() is ASCII-only)
    Column("owner_norm", Text),
    Column("region_norm", String(255)),
    Column("title", Text),
    Column("updated_at", String(32), nullable=False),
)
Index("ix_projects_region_norm", projects.c.region_norm)
Index("ix_projects_owner_norm", projects.c.owner_norm)
Index("ix_projects_total_budget", projects.c.total_budget_sek)
Index("ix_projects_period", projects.c.period_start, projects.c.period_end)
Index("ix_projects_start_year", projects.c.start_year)

# The large parts of a record, kept out of ``projects`` so that filtering and
# listing read small rows only (SQLite would otherwise walk overflow pages).
documents = Table(
    "documents",
    metadata_obj,
    Column("record_id", String(255), ForeignKey("projects.id", **_FK), primary_key=True),
    Column("summary", Text),
    Column("text", Text, nullable=False),
    # case-folded title + owner + summary + text, for the free-text filter ``q``
    Column("search_norm", Text),
    # canonical JSON of the whole record: what get()/iter_records() return
    Column("record_json", Text, nullable=False),
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

CHILD_TABLES = (documents, project_metadata, sections, entities, entity_counts, themes, evidence)
