"""The project store: records upserted into SQLite (default) or PostgreSQL.

One code path for both backends (SQLAlchemy Core). Each record is written in
one transaction: the project row is inserted or updated and all its child rows
(metadata, sections, entities, entity counts, themes, evidence) are replaced,
so a crash mid-run leaves every record either fully old or fully new.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Optional

from sqlalchemy import (
    Boolean,
    ColumnElement,
    and_,
    column,
    create_engine,
    delete,
    event,
    exists,
    false,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    table,
    update,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles

from ..record import Record
from ..text import STOPWORDS, stem_word
from . import schema as S

DEFAULT_FILENAME = "store.sqlite"
ASSIGNED = "assigned"
CANDIDATE = "candidate"


# ----------------------------------------------------------------------------- helpers


def canonical_json(record: Record) -> str:
    """Deterministic JSON of a record (sorted keys, UTF-8, no whitespace)."""
    return json.dumps(record.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def norm(value: Optional[str]) -> Optional[str]:
    """Case-folded, whitespace-collapsed form used for case-insensitive filters."""
    if value is None:
        return None
    return " ".join(value.replace("\x00", " ").split()).casefold()


def _nul(value: Optional[str]) -> Optional[str]:
    # PostgreSQL text cannot hold NUL; the exact value survives in record_json.
    return value.replace("\x00", "") if isinstance(value, str) else value


def _as_date(value: Any) -> Optional[date]:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _as_int(value: Any) -> Optional[int]:
    if value is None or value == "":
        return None
    return int(value)


@dataclass
class ProjectFilter:
    """Filters shared by ``Store.iter_records``, the exports and the HTTP API.

    - ``theme``: an assigned theme id (or label, case-insensitive); a list means any of them
    - ``region`` / ``owner``: case-insensitive; region exact, owner substring
    - ``programme_area``: case-insensitive exact (``metadata.programme_area``)
    - ``period_from`` / ``period_to``: the project period overlaps [from, to]
    - ``min_budget`` / ``max_budget``: on ``metadata.total_budget_sek`` (SEK)
    - ``q``: full-text search of title, owner, summary and text: every word of ``q``
      (stop words left out) must occur, inflected forms included ("nyanländas" finds
      "nyanlända"; see :func:`fts_terms`); :meth:`Store.list_projects` ranks by it
    - ``ids``: restrict to these record ids
    """

    theme: Optional[Any] = None
    region: Optional[str] = None
    owner: Optional[str] = None
    programme_area: Optional[str] = None
    period_from: Optional[date] = None
    period_to: Optional[date] = None
    min_budget: Optional[int] = None
    max_budget: Optional[int] = None
    q: Optional[str] = None
    ids: Optional[list[str]] = None

    @classmethod
    def of(cls, **kwargs: Any) -> ProjectFilter:
        known = {f.name for f in fields(cls)}
        unknown = set(kwargs) - known
        if unknown:
            raise TypeError(f"unknown filter(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        kw = {k: v for k, v in kwargs.items() if v is not None and v != ""}
        for k in ("period_from", "period_to"):
            if k in kw:
                kw[k] = _as_date(kw[k])
        for k in ("min_budget", "max_budget"):
            if k in kw:
                kw[k] = _as_int(kw[k])
        return cls(**kw)

    def active(self) -> dict[str, Any]:
        """The filters that are set, JSON-friendly (dates as ISO strings)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if v is None:
                continue
            out[f.name] = v.isoformat() if isinstance(v, date) else v
        return out

    def clauses(self) -> list:
        p = S.projects.c
        out = []
        if self.theme:
            # PostgreSQL text cannot hold NUL (it is an error, not a mismatch): as when writing, drop it
            wanted = [_nul(w) for w in ([self.theme] if isinstance(self.theme, str) else list(self.theme))]
            t = S.themes.c

            def has(cond):
                # never correlate to an outer ``themes`` (theme_counts joins it): keep it in FROM
                return exists().where(and_(t.record_id == p.id, t.kind == ASSIGNED, cond)).correlate_except(S.themes)

            # two EXISTS, each answered from a covering index
            if len(wanted) == 1:  # "=" needs no expanding parameter (cheaper to run)
                out.append(or_(has(t.theme_id == wanted[0]), has(t.label_norm == norm(wanted[0]))))
            else:
                out.append(or_(has(t.theme_id.in_(wanted)), has(t.label_norm.in_([norm(w) for w in wanted]))))
        if self.region:
            out.append(p.region_norm == norm(self.region))
        if self.owner:
            out.append(p.owner_norm.contains(norm(self.owner), autoescape=True))
        if self.programme_area:
            out.append(p.programme_area_norm == norm(self.programme_area))
        if self.period_from:
            out.append(p.period_end >= self.period_from)
        if self.period_to:
            out.append(p.period_start <= self.period_to)
        if self.min_budget is not None:
            out.append(p.total_budget_sek >= self.min_budget)
        if self.max_budget is not None:
            out.append(p.total_budget_sek <= self.max_budget)
        if self.q:
            terms = fts_terms(self.q)
            if not terms:  # nothing searchable (only stop words or punctuation): no match
                out.append(false())
            else:
                st = S.search_text.c
                out.append(p.id.in_(select(st.record_id).where(FtsMatch(terms))))
        if self.ids is not None:
            out.append(p.id.in_(list(self.ids)))
        return out


# ----------------------------------------------------------------------------- full-text search

MAX_FTS_TERMS = 16
_TERM_RE = re.compile(r"[^\W_]+")  # letter/digit runs: how SQLite's unicode61 tokenizer splits
MIN_PREFIX = 3  # stems this long or longer also match as prefixes ("ung" -> "ungdomar")


def fts_terms(q: Optional[str]) -> list[tuple[str, str, bool]]:
    """The search terms of free text ``q``: ``(word, stem, prefix)`` per distinct word, in
    order, at most MAX_FTS_TERMS; stop words left out. Whatever ``q`` holds (quotes,
    operators, ``*``, ``NEAR``, parentheses), only letter/digit runs survive, so the
    queries built from the terms are always well-formed.

    A term matches a word that starts with its Snowball stem (Swedish stemming only
    strips endings, so every inflected form starts with the stem): "nyanländas" ->
    "nyanländ" matches "nyanlända", "nyanländas"; a stem shorter than MIN_PREFIX
    must match a whole word."""
    if not q:
        return []
    out: list[tuple[str, str, bool]] = []
    seen: set[str] = set()
    for word in _TERM_RE.findall(q[:2000].lower()):
        if word in STOPWORDS or word in seen or len(word) > 100:
            continue
        seen.add(word)
        st = stem_word(word)
        out.append((word, st, len(st) >= MIN_PREFIX))
        if len(out) >= MAX_FTS_TERMS:
            break
    return out


def fts5_query(terms: list[tuple[str, str, bool]]) -> str:
    """SQLite FTS5 MATCH expression: every term, each a quoted string (never syntax)."""
    return " AND ".join(f'"{s}"' + ("*" if prefix else "") for _, s, prefix in terms)


def pg_tsquery(terms: list[tuple[str, str, bool]]) -> str:
    """PostgreSQL ``to_tsquery('swedish', …)`` text: every term quoted; PostgreSQL stems each
    word itself (the same Snowball stemmer) and drops its own stop words."""
    return " & ".join(f"'{w}'" + (":*" if prefix else "") for w, _, prefix in terms)


class FtsMatch(ColumnElement):
    """True for ``search_text`` rows that match all ``terms`` (one construct, compiled per backend)."""

    inherit_cache = False
    type = Boolean()

    def __init__(self, terms: list[tuple[str, str, bool]]):
        self.terms = terms


@compiles(FtsMatch, "sqlite")
def _fts_sqlite(el: FtsMatch, compiler, **kw) -> str:
    q = compiler.process(literal(fts5_query(el.terms)), **kw)
    return f"search_text.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH {q})"


@compiles(FtsMatch, "postgresql")
def _fts_pg(el: FtsMatch, compiler, **kw) -> str:
    q = compiler.process(literal(pg_tsquery(el.terms)), **kw)
    return f"search_text.tsv @@ to_tsquery('swedish'::regconfig, {q})"


def _engine_for(url_or_path: str) -> Engine:
    s = str(url_or_path)
    if "://" not in s:
        path = Path(s).expanduser()
        if path.is_dir():
            path = path / DEFAULT_FILENAME
        path.parent.mkdir(parents=True, exist_ok=True)
        s = "sqlite:///" + str(path.resolve())
    url = make_url(s)
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    if backend != "sqlite":
        raise ValueError(f"unsupported store URL {url_or_path!r}: use a path, sqlite:///… or postgresql://…")
    if url.database in (None, "", ":memory:"):
        raise ValueError("an in-memory SQLite store is not supported; give a file path")
    Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every sqlite test
        # Take over transaction control from pysqlite so BEGIN/COMMIT are explicit.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across process crashes
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover
        conn.exec_driver_sql("BEGIN")

    return engine


# ----------------------------------------------------------------------------- rows


def _rows(record: Record, now: str) -> tuple[dict, dict[Any, list[dict]]]:
    md = record.metadata
    rid = record.id
    project = dict(
        id=rid,
        sha256=record.sha256,
        schema_version=record.schema_version,
        pipeline_version=record.pipeline_version,
        source=_nul(record.source),
        format=record.format,
        title=_nul(record.title),
        project_number=_nul(md.project_number),
        project_name=_nul(md.project_name),
        owner=_nul(md.owner),
        region=_nul(md.region),
        programme_area=_nul(md.programme_area),
        esf_support_sek=md.esf_support_sek,
        total_budget_sek=md.total_budget_sek,
        period_start=md.period_start,
        period_end=md.period_end,
        start_year=md.period_start.year if md.period_start else None,
        **S.join_columns(md),
        owner_norm=norm(md.owner),
        region_norm=norm(md.region),
        programme_area_norm=norm(md.programme_area),
        updated_at=now,
    )
    children: dict[Any, list[dict]] = {t: [] for t in S.CHILD_TABLES}
    record_json = canonical_json(record)
    children[S.documents].append(
        dict(
            record_id=rid,
            summary=_nul(record.summary),
            text=_nul(record.text),
            record_json=record_json,
            redacted_json=S.redacted_json(record_json),
        )
    )
    children[S.search_text].append(S.search_row(record))
    for key, value in record.to_json()["metadata"].items():
        children[S.project_metadata].append(
            dict(record_id=rid, key=key, value_json=json.dumps(value, ensure_ascii=False))
        )
    for i, s in enumerate(record.sections):
        children[S.sections].append(
            dict(record_id=rid, idx=i, key=s.key, heading=_nul(s.heading), start=s.start, end=s.end)
        )
    for i, e in enumerate(record.entities):
        children[S.entities].append(
            dict(record_id=rid, idx=i, text=_nul(e.text), label=e.label, start=e.start, end=e.end, source=e.source)
        )
    for i, e in enumerate(record.entity_counts):
        children[S.entity_counts].append(dict(record_id=rid, idx=i, text=_nul(e.text), label=e.label, count=e.count))
    for kind, items in ((ASSIGNED, record.themes), (CANDIDATE, record.theme_candidates)):
        for ti, t in enumerate(items):
            children[S.themes].append(
                dict(
                    record_id=rid,
                    kind=kind,
                    idx=ti,
                    theme_id=t.id,
                    label=_nul(t.label),
                    score=t.score,
                    label_norm=norm(t.label),
                )
            )
            for ei, ev in enumerate(t.evidence):
                children[S.evidence].append(
                    dict(
                        record_id=rid,
                        kind=kind,
                        theme_idx=ti,
                        idx=ei,
                        theme_id=t.id,
                        text=_nul(ev.text),
                        start=ev.start,
                        end=ev.end,
                        section=ev.section,
                    )
                )
    return project, children


# ----------------------------------------------------------------------------- store

_LIST_KEYS = (
    "id",
    "title",
    "project_number",
    "project_name",
    "owner",
    "region",
    "programme_area",
    "period_start",
    "period_end",
    "esf_support_sek",
    "total_budget_sek",
    "source",
    "sha256",
)


def _LIST_COLUMNS() -> list:  # noqa: N802 - a constant that must be built per statement
    return [S.projects.c[k] for k in _LIST_KEYS]


class Store:
    """Upsert/read records; see module docstring. Thread-safe (a connection per call)."""

    def __init__(self, engine: Engine, url: str):
        self.engine = engine
        self.url = url
        self.backend = engine.dialect.name  # "sqlite" or "postgresql"
        self.stats = {"inserted": 0, "updated": 0, "unchanged": 0}
        S.metadata_obj.create_all(engine, checkfirst=True)
        with engine.begin() as conn:
            S.ensure_fts(conn)
        self._check_version()

    def _check_version(self) -> None:
        c = S.store_info.c
        with self.engine.connect() as conn:
            found = conn.execute(select(c.value).where(c.key == "schema_version")).scalar()
        if found is None:
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(S.store_info), [{"key": "schema_version", "value": S.STORE_SCHEMA_VERSION}])
            except IntegrityError:  # another process created the store at the same moment
                pass
        if found is not None and found != S.STORE_SCHEMA_VERSION and not S.migrate(self.engine, found):
            self.engine.dispose()
            raise RuntimeError(
                f"store {self!r} has table layout v{found}, this version needs v{S.STORE_SCHEMA_VERSION}: "
                "rebuild it (new store + Store.import_jsonl of the run's records.jsonl)"
            )

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    # -- writes ------------------------------------------------------------------------

    def is_unchanged(self, record_id: str, sha256: str, pipeline_version: Optional[str] = None) -> bool:
        """True when the store holds ``record_id`` built from this exact input
        (and, if given, by this pipeline version)."""
        p = S.projects.c
        with self.engine.connect() as conn:
            row = conn.execute(select(p.sha256, p.pipeline_version).where(p.id == record_id)).first()
        if row is None or row.sha256 != sha256:
            return False
        return pipeline_version is None or row.pipeline_version == pipeline_version

    def upsert(self, record: Record) -> str:
        """Insert or replace one record in one transaction.

        Returns ``"inserted"``, ``"updated"`` or ``"unchanged"`` (identical record
        already stored: nothing is written).
        """
        now = datetime.now(UTC).isoformat(timespec="seconds")
        project, children = _rows(record, now)
        with self.engine.begin() as conn:
            action = self._upsert(conn, project, children)
        self.stats[action] += 1
        return action

    def _upsert(self, conn: Connection, project: dict, children: dict) -> str:
        p = S.projects.c
        d = S.documents.c
        rid = project["id"]
        exists_ = conn.execute(select(p.id).where(p.id == rid)).first() is not None
        if exists_:
            old = conn.execute(select(d.record_json).where(d.record_id == rid)).scalar()
            if old == children[S.documents][0]["record_json"]:
                return "unchanged"
        if not exists_:
            conn.execute(insert(S.projects), [project])
        else:
            conn.execute(
                update(S.projects).where(p.id == rid).values(**{k: v for k, v in project.items() if k != "id"})
            )
            for table in reversed(S.CHILD_TABLES):
                conn.execute(delete(table).where(table.c.record_id == rid))
        for table in S.CHILD_TABLES:
            rows = children[table]
            if rows:
                conn.execute(insert(table), rows)
        return "updated" if exists_ else "inserted"

    def upsert_many(self, records: Iterable[Record]) -> dict[str, int]:
        """Upsert each record (one transaction per record). Returns counts per action."""
        counts = {"inserted": 0, "updated": 0, "unchanged": 0}
        for record in records:
            counts[self.upsert(record)] += 1
        return counts

    def delete(self, record_id: str) -> bool:
        with self.engine.begin() as conn:
            for table in (*S.CHILD_TABLES, S.index_entries):
                conn.execute(delete(table).where(table.c.record_id == record_id))
            res = conn.execute(delete(S.projects).where(S.projects.c.id == record_id))
        return bool(res.rowcount)

    def import_jsonl(self, path: str | os.PathLike) -> dict[str, int]:
        """Upsert every record of a ``records.jsonl`` file (as written by the runner or
        by ``export --format jsonl``)."""

        def records() -> Iterator[Record]:
            with open(path, encoding="utf-8") as fh:
                for lineno, line in enumerate(fh, 1):
                    if line.strip():
                        try:
                            yield Record.from_json(json.loads(line))
                        except Exception as exc:
                            raise ValueError(f"{path}:{lineno}: not a record: {exc}") from exc

        return self.upsert_many(records())

    def set_index_ids(self, ids: dict[str, Any], index_name: str = "default") -> None:
        """Record which vector of similarity index ``index_name`` holds each record
        (``{record_id: vector_id}``); replaces the previous mapping of that index.
        Ids not in the store are ignored."""
        c = S.index_entries.c
        p = S.projects.c
        with self.engine.begin() as conn:
            known = dict(conn.execute(select(p.id, p.sha256)).all())
            conn.execute(delete(S.index_entries).where(c.index_name == index_name))
            rows = [
                dict(record_id=rid, index_name=index_name, vector_id=str(vid), sha256=known[rid])
                for rid, vid in ids.items()
                if rid in known
            ]
            if rows:
                conn.execute(insert(S.index_entries), rows)

    def index_ids(self, index_name: str = "default") -> dict[str, str]:
        c = S.index_entries.c
        with self.engine.connect() as conn:
            return dict(conn.execute(select(c.record_id, c.vector_id).where(c.index_name == index_name)).all())

    # -- reads -------------------------------------------------------------------------

    def get(self, record_id: str) -> Optional[Record]:
        d = S.documents.c
        with self.engine.connect() as conn:
            row = conn.execute(select(d.record_json).where(d.record_id == record_id)).first()
        return None if row is None else Record.from_json(json.loads(row.record_json))

    def get_json(self, record_id: str, redacted: bool = False) -> Optional[str]:
        """The stored record as its canonical JSON text (no parsing), or None; ``redacted``:
        with its personal data redacted (as ``Redactor().redact`` does; stored at write time)."""
        d = S.documents.c
        col = d.redacted_json if redacted else d.record_json
        with self.engine.connect() as conn:
            return conn.execute(select(col).where(d.record_id == record_id)).scalar()

    def exists(self, record_id: str) -> bool:
        p = S.projects.c
        with self.engine.connect() as conn:
            return conn.execute(select(p.id).where(p.id == record_id)).first() is not None

    def ids(self, flt: Optional[ProjectFilter] = None, **filters: Any) -> list[str]:
        """Ids of the records matching ``flt`` or ``filters``, ordered."""
        return self._select_ids(flt or ProjectFilter.of(**filters))

    def _select_ids(self, flt: ProjectFilter, limit: Optional[int] = None, offset: int = 0) -> list[str]:
        p = S.projects.c
        stmt = select(p.id).where(*flt.clauses()).order_by(p.id)
        if limit is not None:
            stmt = stmt.limit(limit)
        if offset:
            stmt = stmt.offset(offset)
        with self._connect(flt) as conn:
            return list(conn.scalars(stmt))

    def iter_records(
        self, *, limit: Optional[int] = None, offset: int = 0, batch_size: int = 200, **filters: Any
    ) -> Iterator[Record]:
        """Records matching the filters (see :class:`ProjectFilter`), ordered by id."""
        flt = filters.pop("filter", None) or ProjectFilter.of(**filters)
        ids = self._select_ids(flt, limit, offset)
        d = S.documents.c
        for i in range(0, len(ids), batch_size):
            chunk = ids[i : i + batch_size]
            with self.engine.connect() as conn:
                rows = dict(conn.execute(select(d.record_id, d.record_json).where(d.record_id.in_(chunk))).all())
            for rid in chunk:
                if rid in rows:  # deleted meanwhile
                    yield Record.from_json(json.loads(rows[rid]))

    def count(self, **filters: Any) -> int:
        flt = filters.pop("filter", None) or ProjectFilter.of(**filters)
        stmt = select(func.count()).select_from(S.projects).where(*flt.clauses())
        with self._connect(flt) as conn:
            return int(conn.scalar(stmt) or 0)

    def list_projects(self, flt: ProjectFilter, limit: int = 20, offset: int = 0) -> tuple[int, list[dict]]:
        """One page of project summaries (no text) and the total match count. Ordered by
        id; with ``flt.q``, by full-text rank (best first; ties: the earlier-written record
        first), each item with its ``rank`` (higher is better; comparable within one query only).

        One query answers the page and its assigned themes (and, without ``q``, the total:
        a window count); with ``q`` the page is ranked from the full-text index alone and
        the total is counted on its own."""
        p = S.projects.c
        t = S.themes.c
        terms = fts_terms(flt.q) if flt.q else []
        ranked = bool(flt.q and terms)
        if ranked:
            hits = self._ranked_page(flt, terms, limit, offset)
            st = S.search_text
            page = (
                select(*_LIST_COLUMNS(), hits.c.score.label("rank"), hits.c.fid)
                .select_from(hits.join(st, st.c.id == hits.c.fid).join(S.projects, p.id == st.c.record_id))
                .subquery("page")
            )
            order = [page.c.rank.desc(), page.c.fid]
        else:
            page = (
                select(*_LIST_COLUMNS(), func.count().over().label("total_"))
                .where(*flt.clauses())
                .order_by(p.id)
                .limit(limit)
                .offset(offset)
                .subquery("page")
            )
            order = [page.c.id]
        pc = page.c
        query = (
            select(page, t.theme_id, t.label.label("theme_label"), t.score.label("theme_score"))
            .select_from(page.outerjoin(S.themes, and_(t.record_id == pc.id, t.kind == ASSIGNED)))
            .order_by(*order, t.idx)
        )
        items: list[dict] = []
        total = None
        with self._connect(flt) as conn:
            for r in conn.execute(query):
                m = r._mapping
                if not items or items[-1]["id"] != m["id"]:
                    total = None if ranked else m["total_"]
                    d = {k: m[k] for k in _LIST_KEYS}
                    for k in ("period_start", "period_end"):
                        d[k] = d[k].isoformat() if d[k] else None
                    if ranked:
                        d["rank"] = round(float(m["rank"]), 6)
                    d["themes"] = []
                    items.append(d)
                if m["theme_id"] is not None:
                    items[-1]["themes"].append(
                        {"id": m["theme_id"], "label": m["theme_label"], "score": m["theme_score"]}
                    )
            if ranked:
                total = conn.scalar(self._count_matches(flt, terms))
            elif total is None and offset:  # a page past the end: count on its own
                total = conn.scalar(select(func.count()).select_from(S.projects).where(*flt.clauses()))
        return int(total or 0), items

    def _ranked_page(self, flt: ProjectFilter, terms: list, limit: int, offset: int) -> Any:
        """Subquery (fid = search_text.id, score: higher is better) of one page of the best
        matches that also pass the other filters, from the full-text index (only the page's
        rows are joined to their projects afterwards)."""
        others = dataclasses.replace(flt, q=None).clauses()
        st = S.search_text
        allowed = (
            (select(st.c.id).select_from(st.join(S.projects, S.projects.c.id == st.c.record_id)).where(*others))
            if others
            else None
        )
        if self.backend == "sqlite":
            # bm25 (lower is better); a title hit weighs as much as five in the body
            fts = table("search_fts", column("rowid"))
            score = func.bm25(literal_column("search_fts"), 5.0, 1.0)
            stmt = (
                select(fts.c.rowid.label("fid"), (-score).label("score"))
                .select_from(fts)
                .where(literal_column("search_fts").op("MATCH")(literal(fts5_query(terms))))
            )
            if allowed is not None:
                stmt = stmt.where(fts.c.rowid.in_(allowed))
            return stmt.order_by(score, fts.c.rowid).limit(limit).offset(offset).subquery("hits")
        # PostgreSQL: matched on the whole text (GIN index); ranked by cover density (more and
        # closer matches rank higher, normalised by length) of the title and the start of the
        # text (owner, summary, the first PG_RANK_CHARS characters: a small vector in the row)
        query = func.to_tsquery(literal_column("'swedish'::regconfig"), literal(pg_tsquery(terms)))
        score = func.ts_rank_cd(literal_column("search_text.rank_tsv"), query, 1)
        stmt = select(st.c.id.label("fid"), score.label("score")).where(
            literal_column("search_text.tsv").op("@@")(query)
        )
        if allowed is not None:
            stmt = stmt.where(st.c.id.in_(allowed))
        return stmt.order_by(score.desc(), st.c.id).limit(limit).offset(offset).subquery("hits")

    def _count_matches(self, flt: ProjectFilter, terms: list) -> Any:
        others = dataclasses.replace(flt, q=None).clauses()
        st = S.search_text
        if not others:  # every search_text row has its project (foreign key)
            return select(func.count()).select_from(st).where(FtsMatch(terms))
        return (
            select(func.count())
            .select_from(S.projects.join(st, st.c.record_id == S.projects.c.id))
            .where(FtsMatch(terms), *others)
        )

    def _connect(self, flt: Optional[ProjectFilter] = None) -> Connection:
        conn = self.engine.connect()
        if flt is not None and flt.q and self.backend == "postgresql":
            # A word in most documents makes the planner scan search_text instead of using the
            # GIN index, and every row's tsvector is then decompressed (~20x slower): this
            # transaction only, use the index.
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            conn.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")  # small sorts: no workers
        return conn

    def titles(self, ids: Iterable[str]) -> dict[str, Optional[str]]:
        ids = list(ids)
        if not ids:
            return {}
        p = S.projects.c
        with self.engine.connect() as conn:
            return dict(conn.execute(select(p.id, p.title).where(p.id.in_(ids))).all())

    def theme_counts(self, flt: ProjectFilter, by: tuple[str, ...] = ("region",)) -> list[dict]:
        """Number of projects per assigned theme, grouped by ``region`` and/or
        ``year`` (the year the project period starts)."""
        p = S.projects.c
        t = S.themes.c
        group_cols = {"region": p.region, "year": p.start_year}
        gcols = [group_cols[b].label(b) for b in by]
        stmt = (
            select(*gcols, t.theme_id, func.min(t.label).label("label"), func.count(func.distinct(p.id)).label("count"))
            .select_from(S.projects.join(S.themes, and_(t.record_id == p.id, t.kind == ASSIGNED)))
            .where(*flt.clauses())
            .group_by(*[group_cols[b] for b in by], t.theme_id)
        )
        with self._connect(flt) as conn:
            rows = [dict(r._mapping) for r in conn.execute(stmt)]
        rows.sort(
            key=lambda r: (
                tuple((r[b] is None, r[b] if r[b] is not None else "") for b in by) + (-r["count"], r["theme_id"])
            )
        )
        return rows

    def regions(self) -> list[str]:
        p = S.projects.c
        with self.engine.connect() as conn:
            return [
                r for r in conn.scalars(select(p.region).where(p.region.is_not(None)).distinct().order_by(p.region))
            ]

    def programme_areas(self) -> list[str]:
        """The distinct programme areas stated by the stored projects, sorted."""
        p = S.projects.c
        with self.engine.connect() as conn:
            return list(
                conn.scalars(
                    select(p.programme_area).where(p.programme_area.is_not(None)).distinct().order_by(p.programme_area)
                )
            )

    # -- integrity ---------------------------------------------------------------------

    def check(self) -> list[str]:
        """Problems found (empty list = consistent): backend integrity check (SQLite),
        and every project's child rows match its stored record exactly."""
        problems: list[str] = []
        with self.engine.connect() as conn:
            if self.backend == "sqlite":
                res = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check")]
                if res != ["ok"]:
                    problems.append(f"integrity_check: {res}")
                fk = list(conn.exec_driver_sql("PRAGMA foreign_key_check"))
                if fk:
                    problems.append(f"foreign_key_check: {fk[:5]}")
            p = S.projects.c
            d = S.documents.c
            projects_ = set(conn.scalars(select(p.id)))
            stored = {r.record_id: r.record_json for r in conn.execute(select(d.record_id, d.record_json))}
            for rid in projects_ ^ set(stored):
                problems.append(f"{rid}: project row without document row or vice versa")
            child: dict[str, dict[str, list]] = {}
            if self.backend == "sqlite":
                try:
                    conn.exec_driver_sql("INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)")
                except Exception as exc:  # noqa: BLE001 - reported, not raised
                    problems.append(f"full-text index: {exc}")
            for table in S.CHILD_TABLES:
                cols = [c for c in table.c if c.name not in _skip(table)]
                for r in conn.execute(select(table.c.record_id, *cols).order_by(*table.primary_key.columns)):
                    child.setdefault(r.record_id, {}).setdefault(table.name, []).append(tuple(r)[1:])
        for rid in set(child) - set(stored):
            problems.append(f"orphan child rows for {rid}")
        now = "x"
        for rid, js in stored.items():
            record = Record.from_json(json.loads(js))
            _, expected = _rows(record, now)
            for table in S.CHILD_TABLES:
                cols = [c.name for c in table.c if c.name not in _skip(table)]
                want = sorted(tuple(row[c] for c in cols) for row in expected[table])
                have = sorted(child.get(rid, {}).get(table.name, []))
                if [tuple(_norm_val(v) for v in t) for t in want] != [tuple(_norm_val(v) for v in t) for t in have]:
                    problems.append(f"{rid}: {table.name} rows do not match the stored record")
        return problems

    # -- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _skip(table) -> set[str]:
    return {"record_id"} | S.GENERATED_COLUMNS.get(table.name, set())


def _norm_val(v: Any) -> Any:
    return round(v, 9) if isinstance(v, float) else v


def open_store(url_or_path: str | os.PathLike) -> Store:
    """Open (creating tables if missing) a store.

    ``url_or_path``: a file path (SQLite; a directory means ``DIR/store.sqlite``),
    ``sqlite:///path`` or ``postgresql://user:pass@host/db`` (psycopg 3 driver).
    """
    s = os.fspath(url_or_path)
    return Store(_engine_for(s), s)
