"""Read-only registry API (FastAPI). OpenAPI at ``/openapi.json``, docs at ``/docs``.

Endpoints (all ``GET`` except ``POST /similar``, which only reads):

- ``/health`` — liveness and number of projects
- ``/projects`` — list/filter projects (theme, region, owner, programme area, period, budget; ``q``: ranked
  full-text search), paginated
- ``/projects/{id}`` — one full record: metadata, sections, entities, themes with evidence
- ``/projects/{id}/similar`` — projects similar to a project (similarity index)
- ``/similar`` — projects similar to a free text (``GET ?text=`` or ``POST {"text": ...}``)
- ``/themes`` — assigned themes and their project counts (filterable)
- ``/stats/themes`` — theme counts per region and/or year (start of the project period)

Personal data is redacted by default: contact names, e-mails and phone numbers are
removed and person names pseudonymised (``[PERSON-n]``, per record) exactly as
``export --redact-personal`` does; list and similar-project titles and owners get
e-mail and phone redaction. ``create_app(..., show_personal=True)`` (``serve
--show-personal``) serves the full records.

Every parameter is validated: out-of-range numbers, malformed dates and over-long
strings get a 422 that names the parameter, never a 500. Period bounds accept a
year, a year-month or a date. Free text for ``POST /similar`` is at most
``MAX_TEXT_CHARS`` characters; only the first ``QUERY_TEXT_CHARS`` are used for the
search (the answer says ``"truncated": true``).
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import json
import logging
import os
import threading
import time
from datetime import date
from typing import Any, Literal, Optional, Protocol

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError

from ..common.dates import PERIOD_BOUND_HELP, PERIOD_BOUND_PATTERN, parse_period_bound
from ..export.redact import Redactor
from ..record import SCHEMA_VERSION, Record
from ..store import ProjectFilter, Store
from ..store.schema import redacted_json
from ..themes.names import configured_themes, unknown_theme
from ..web import mount_web

log = logging.getLogger(__name__)

MAX_LIMIT = 100
MAX_K = 100
MAX_OFFSET = 10_000_000
MAX_BUDGET = 10**15  # SEK; also keeps every value inside a 64-bit database integer
MAX_TEXT_CHARS = 20_000  # POST /similar accepts this much free text ...
QUERY_TEXT_CHARS = 5_000  # ... and searches with the first QUERY_TEXT_CHARS of it
MAX_ID_CHARS = 512
CACHE_TTL_S = (
    2.0  # PostgreSQL: /themes and /stats/themes answers are reused this long (SQLite: until the store changes)
)
CACHE_SIZE = 512
# Ids are whatever the pipeline made (project numbers with "/", "NUMBER~hash", slugs,
# stated numbers with spaces): anything but control characters.
ID_PATTERN = r"^[^\x00-\x1f\x7f]+$"


class SimilarityIndex(Protocol):
    """What ``pipeline.similarity.index.SimilarIndex`` provides."""

    def query_ids(self, ids: list[str], k: int = 10, filters: Optional[dict] = None) -> list[dict]: ...

    def query_text(self, text: str, k: int = 10, filters: Optional[dict] = None) -> list[dict]: ...


# ----------------------------------------------------------------------------- models


class ThemeTag(BaseModel):
    id: str
    label: str
    score: float


class ProjectSummary(BaseModel):
    id: str
    title: Optional[str] = None
    project_number: Optional[str] = None
    project_name: Optional[str] = None
    owner: Optional[str] = None
    region: Optional[str] = None
    programme_area: Optional[str] = None
    period_start: Optional[date] = None
    period_end: Optional[date] = None
    esf_support_sek: Optional[int] = None
    total_budget_sek: Optional[int] = None
    themes: list[ThemeTag] = Field(default_factory=list, description="Assigned themes, best first")
    source: str
    sha256: str
    rank: Optional[float] = Field(
        default=None, description="Full-text rank when q is given (higher is better; comparable within one query only)"
    )


class ProjectPage(BaseModel):
    total: int = Field(description="Number of projects matching the filters")
    limit: int
    offset: int
    items: list[ProjectSummary]


class SimilarItem(BaseModel):
    id: str
    title: Optional[str] = None
    project_name: Optional[str] = Field(
        default=None, description="The project's name (a news item's title is its headline)"
    )
    score: float


class SimilarResponse(BaseModel):
    query: dict[str, Any] = Field(description="The query: project id or text, k and filters")
    items: list[SimilarItem]


class SimilarTextRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(
        min_length=1,
        max_length=MAX_TEXT_CHARS,
        description=f"Free text; the first {QUERY_TEXT_CHARS} characters are searched",
    )
    k: int = Field(default=10, ge=1, le=MAX_K)
    theme: Optional[list[str]] = Field(default=None, max_length=20)
    region: Optional[str] = Field(default=None, max_length=200)
    owner: Optional[str] = Field(default=None, max_length=200)
    programme_area: Optional[str] = Field(default=None, max_length=200)
    period_from: Optional[str] = Field(
        default=None,
        max_length=10,
        pattern=PERIOD_BOUND_PATTERN,
        description=f"Period overlaps from: {PERIOD_BOUND_HELP}",
    )
    period_to: Optional[str] = Field(
        default=None,
        max_length=10,
        pattern=PERIOD_BOUND_PATTERN,
        description=f"Period overlaps up to: {PERIOD_BOUND_HELP}",
    )
    min_budget: Optional[int] = Field(default=None, ge=0, le=MAX_BUDGET)
    max_budget: Optional[int] = Field(default=None, ge=0, le=MAX_BUDGET)


class ThemeCount(BaseModel):
    theme_id: str
    label: str
    count: int
    region: Optional[str] = None
    year: Optional[int] = None


class ThemeStats(BaseModel):
    by: list[str]
    rows: list[ThemeCount]


class Health(BaseModel):
    status: str
    projects: int
    backend: str
    similarity_index: bool
    schema_version: str = SCHEMA_VERSION


# ----------------------------------------------------------------------------- filters


def _invalid(loc: tuple, msg: str) -> HTTPException:
    return HTTPException(422, [{"type": "value_error", "loc": list(loc), "msg": msg}])


def _period(value: Optional[str], loc: tuple, end: bool) -> Optional[date]:
    try:
        return parse_period_bound(value, end=end)
    except ValueError as exc:
        raise _invalid(loc, str(exc)) from None


def _check_ranges(flt: ProjectFilter) -> ProjectFilter:
    if flt.period_from and flt.period_to and flt.period_from > flt.period_to:
        raise HTTPException(422, "period_from must not be after period_to")
    if flt.min_budget is not None and flt.max_budget is not None and flt.min_budget > flt.max_budget:
        raise HTTPException(422, "min_budget must not exceed max_budget")
    return flt


def make_filter(
    where: str,
    theme=None,
    region=None,
    owner=None,
    period_from=None,
    period_to=None,
    min_budget=None,
    max_budget=None,
    programme_area=None,
) -> ProjectFilter:
    if theme is not None and len(theme) > 20:
        raise _invalid((where, "theme"), "at most 20 theme values")
    return _check_ranges(
        ProjectFilter(
            theme=theme or None,
            region=region,
            owner=owner,
            programme_area=programme_area,
            period_from=_period(period_from, (where, "period_from"), end=False),
            period_to=_period(period_to, (where, "period_to"), end=True),
            min_budget=min_budget,
            max_budget=max_budget,
        )
    )


async def project_filters(
    theme: Optional[list[str]] = Query(
        None, max_length=128, description="Assigned theme id or label; repeat for any-of (at most 20)"
    ),
    region: Optional[str] = Query(None, max_length=200, description="Region, case-insensitive exact match"),
    owner: Optional[str] = Query(None, max_length=200, description="Project owner, case-insensitive substring"),
    programme_area: Optional[str] = Query(
        None, max_length=200, description="Programme area, case-insensitive exact match"
    ),
    period_from: Optional[str] = Query(
        None,
        max_length=10,
        pattern=PERIOD_BOUND_PATTERN,
        description=f"Project period overlaps [period_from, period_to]: {PERIOD_BOUND_HELP}; "
        "a year or month means its first day",
    ),
    period_to: Optional[str] = Query(
        None,
        max_length=10,
        pattern=PERIOD_BOUND_PATTERN,
        description=f"{PERIOD_BOUND_HELP}; a year or month means its last day",
    ),
    min_budget: Optional[int] = Query(None, ge=0, le=MAX_BUDGET, description="Total budget (SEK) at least"),
    max_budget: Optional[int] = Query(None, ge=0, le=MAX_BUDGET, description="Total budget (SEK) at most"),
) -> ProjectFilter:
    # async: pure computation, answered on the event loop without a thread hop
    return make_filter("query", theme, region, owner, period_from, period_to, min_budget, max_budget, programme_area)


def _error_list(exc: RequestValidationError) -> list[dict]:
    """Validation errors without the offending input (it may be huge, or NaN/inf,
    which JSON cannot carry): type, location and message, each bounded."""
    out = []
    for err in list(exc.errors())[:20]:
        loc = [x if isinstance(x, int) else str(x)[:100] for x in err.get("loc", ())]
        out.append(
            {"type": str(err.get("type", "value_error"))[:100], "loc": loc, "msg": str(err.get("msg", ""))[:300]}
        )
    return out


def _dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _json(data: Any) -> Response:
    """A JSON response written directly (the response models document the shapes;
    validating every answer against them again would double the work per request)."""
    return Response(_dumps(data), media_type="application/json")


def _theme_row(r: dict) -> dict:
    return {
        "theme_id": r["theme_id"],
        "label": r["label"],
        "count": int(r["count"]),
        "region": r.get("region"),
        "year": r.get("year"),
    }


_PLAIN = Redactor()  # no names: e-mail addresses and phone numbers only


@functools.lru_cache(maxsize=8192)
def _plain(value: Optional[str]) -> Optional[str]:
    return _PLAIN.redact_str(value) if value else value


# ----------------------------------------------------------------------------- app


def create_app(
    store: Store | str,
    index: Optional[SimilarityIndex] = None,
    index_dir: Optional[str] = None,
    show_personal: bool = False,
) -> FastAPI:
    """The API over ``store`` (a ``Store`` or a path/URL for ``open_store``).

    Similar-project endpoints use ``index`` if given, else
    ``pipeline.similarity.index.SimilarIndex.load(index_dir)`` (loaded at creation
    and reloaded when ``index_dir/meta.json`` changes), else answer 503.
    Personal data is redacted unless ``show_personal``.
    """
    if isinstance(store, str):
        from ..store.cli import open_existing_store  # a reader: never create a store

        store = open_existing_store(store)
    st = store
    index_error = "no similarity index configured (serve --index DIR)"
    loaded_mtime: list[float] = [0.0]
    lock = threading.Lock()

    def _meta_mtime() -> float:
        try:
            return os.stat(os.path.join(index_dir, "meta.json")).st_mtime if index_dir else 0.0
        except OSError:
            return 0.0

    def _load_index():
        nonlocal index_error
        loaded_mtime[0] = _meta_mtime()  # also on failure: no retry until the index changes
        try:
            from ..similarity.index import SimilarIndex  # type: ignore[import-not-found]

            loaded = SimilarIndex.load(index_dir)
            if len(loaded):
                loaded.query_text("uppvärmning", k=1)  # load lazy parts now, not in the first request
            return loaded
        except Exception as exc:  # keep serving the rest of the API
            index_error = f"similarity index unavailable: {type(exc).__name__}: {exc}"
            log.warning(index_error)
            return None

    reloadable = index is None and bool(index_dir)
    if reloadable:
        index = _load_index()

    # Swagger UI and ReDoc from files shipped with fastapi-offline: /docs works offline
    app = FastAPIOffline(
        title="ESF project registry API",
        version=SCHEMA_VERSION,
        description=__doc__,
    )
    app.state.store = st
    app.state.index = index
    app.state.show_personal = show_personal

    @app.exception_handler(RequestValidationError)
    async def _on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _error_list(exc)}, status_code=422)

    @app.exception_handler(DBAPIError)
    async def _on_store_error(request: Request, exc: DBAPIError) -> JSONResponse:
        log.error("store error: %s", exc)
        return JSONResponse({"detail": "the store is unavailable; try again later"}, status_code=503)

    def need_index() -> SimilarityIndex:
        # a `process` run rewrites the index in place (meta.json last): pick it up
        if reloadable and _meta_mtime() != loaded_mtime[0]:
            with lock:
                if _meta_mtime() != loaded_mtime[0]:
                    fresh = _load_index()
                    if fresh is not None:
                        app.state.index = fresh
        if app.state.index is None:
            raise HTTPException(503, index_error)
        return app.state.index

    # Aggregates (/themes, /stats/themes) are cached, keyed by the filters and, for
    # SQLite, by the database files' size and mtime (a `process` run that writes the
    # store changes them, so a SQLite answer is reused until then); on PostgreSQL,
    # where a write cannot be seen from here, an answer is at most CACHE_TTL_S old.
    cache: collections.OrderedDict = collections.OrderedDict()
    cache_lock = threading.Lock()
    db_path = st.engine.url.database if st.backend == "sqlite" else None

    def _store_version() -> Any:
        if not db_path:
            return None
        out = []
        for suffix in ("", "-wal"):
            try:
                s_ = os.stat(db_path + suffix)
                out.append((s_.st_mtime_ns, s_.st_size))
            except OSError:
                out.append(None)
        return tuple(out)

    def _cached(key: Any, compute) -> Response:
        now = time.monotonic()
        key = (key, _store_version())
        with cache_lock:
            hit = cache.get(key)
            if hit is not None and (db_path is not None or now - hit[0] < CACHE_TTL_S):
                cache.move_to_end(key)
                return Response(hit[1], media_type="application/json")
        body = compute()
        with cache_lock:
            cache[key] = (now, body)
            while len(cache) > CACHE_SIZE:
                cache.popitem(last=False)
        return Response(body, media_type="application/json")

    # A theme filter names a closed set: the configured taxonomy's ids and labels and those the
    # store holds (cached as the aggregates are). A value that names none is a 422 with a
    # suggestion, as on the command line, not an empty answer that looks like one.
    taxonomy_names = configured_themes()
    known: list[Any] = [None, 0.0, None]  # store version, when, id -> label

    def _known_themes() -> dict[str, str]:
        version, now = _store_version(), time.monotonic()
        with cache_lock:
            if known[2] is not None and known[0] == version and (db_path is not None or now - known[1] < CACHE_TTL_S):
                return known[2]
        names = {**taxonomy_names, **{r["theme_id"]: r["label"] for r in st.theme_counts(ProjectFilter(), by=())}}
        with cache_lock:
            known[:] = [version, now, names]
        return names

    def _check_theme(flt: ProjectFilter, where: str = "query") -> None:
        message = unknown_theme(flt.theme, _known_themes()) if flt.theme else None
        if message:
            raise _invalid((where, "theme"), message)

    def _on_loop(endpoint):
        """SQLite answers in-process in about a millisecond: such an endpoint runs on the
        event loop, because a hop to the thread pool per request costs more than the work
        and makes concurrent clients queue on the GIL. PostgreSQL waits on the network, so
        its endpoints stay in FastAPI's thread pool, where the waits overlap."""
        if st.backend != "sqlite":
            return endpoint

        @functools.wraps(endpoint)
        async def on_loop(*args: Any, **kwargs: Any) -> Any:
            return endpoint(*args, **kwargs)

        return on_loop

    @app.get("/health", response_model=Health, tags=["meta"])
    def health() -> Any:
        return _json(
            {
                "status": "ok",
                "projects": st.count(),
                "backend": st.backend,
                "similarity_index": app.state.index is not None,
                "schema_version": SCHEMA_VERSION,
            }
        )

    @app.get("/projects", response_model=ProjectPage, tags=["projects"], summary="List and filter projects")
    @_on_loop
    def list_projects(
        flt: ProjectFilter = Depends(project_filters),
        q: Optional[str] = Query(
            None,
            min_length=1,
            max_length=200,
            description="Full-text search of title, owner, summary and text: every word must "
            "occur (any inflection: 'nyanländas' finds 'nyanlända'); results "
            "ranked best first",
        ),
        limit: int = Query(20, ge=1, le=MAX_LIMIT),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
    ) -> Any:
        _check_theme(flt)
        flt.q = q
        total, items = st.list_projects(flt, limit=limit, offset=offset)
        if not show_personal:
            for it in items:
                for key in ("title", "owner"):
                    it[key] = _plain(it.get(key))
        return _json({"total": total, "limit": limit, "offset": offset, "items": items})

    def _index_filters(flt: ProjectFilter) -> Optional[dict]:
        """Filters for the index: ours, plus ``period`` as a (first, last) year pair,
        which is what SimilarIndex understands. The index may pre-filter loosely;
        the store re-checks every hit exactly."""
        f = flt.active()
        if flt.period_from or flt.period_to:
            f["period"] = (
                flt.period_from.year if flt.period_from else 0,
                flt.period_to.year if flt.period_to else 9999,
            )
        return f or None

    def _similar(run, k: int, flt: ProjectFilter, exclude: set[str]) -> list[dict]:
        filters = _index_filters(flt)
        want = k + len(exclude)
        hits: list[dict] = []
        for _ in range(3):
            raw = list(run(want, filters))
            if raw and isinstance(raw[0], list):  # query_ids answers one list per query id
                raw = raw[0]
            ids = [str(x["id"]) for x in raw if str(x["id"]) not in exclude]
            # the store is the authority on filters (and on which ids exist)
            ok = set(st.ids(dataclasses.replace(flt, ids=ids))) if ids else set()
            hits = [x for x in raw if str(x["id"]) in ok]
            if len(hits) >= k or len(raw) < want or want >= 1000:
                break
            want = min(1000, want * 4)
        titles = st.titles([str(x["id"]) for x in hits if not x.get("title")])
        out = []
        for x in hits[:k]:
            title = x.get("title") or titles.get(str(x["id"]))
            name = x.get("project_name")
            out.append(
                {
                    "id": str(x["id"]),
                    "title": title if show_personal else _plain(title),
                    "project_name": name if show_personal else _plain(name),
                    "score": float(x["score"]),
                }
            )
        return out

    # declared before /projects/{project_id:path}, which would swallow ".../similar"
    @app.get(
        "/projects/{project_id:path}/similar",
        response_model=SimilarResponse,
        tags=["similarity"],
        summary="Projects similar to a project",
    )
    @_on_loop
    def similar_to_project(
        project_id: str = Path(pattern=ID_PATTERN, max_length=MAX_ID_CHARS),
        k: int = Query(10, ge=1, le=MAX_K),
        flt: ProjectFilter = Depends(project_filters),
    ) -> Any:
        _check_theme(flt)
        idx = need_index()
        if not st.exists(project_id):
            raise HTTPException(404, f"no project {project_id!r}")
        try:
            items = _similar(lambda n, f: idx.query_ids([project_id], k=n, filters=f), k, flt, {project_id})
        except KeyError:
            raise HTTPException(404, f"project {project_id!r} is not in the similarity index") from None
        return _json({"query": {"id": project_id, "k": k, "filters": flt.active()}, "items": items})

    @app.get(
        "/projects/{project_id:path}",
        response_model=Record,
        tags=["projects"],
        summary="One project with metadata, sections, entities and themes with evidence",
    )
    @_on_loop
    def get_project(
        project_id: str = Path(pattern=ID_PATTERN, max_length=MAX_ID_CHARS),
        include_text: bool = Query(True, description="Include the full cleaned text"),
    ) -> Any:
        # the stored JSON as it is (records.jsonl shape; metadata: stated fields only): by default
        # the copy with personal data redacted, written with the record
        raw = st.get_json(project_id, redacted=not show_personal)
        if raw is None:
            full = None if show_personal else st.get_json(project_id)
            if full is None:
                raise HTTPException(404, f"no project {project_id!r}")
            raw = redacted_json(full)  # not stored (cannot happen in a store this version wrote)
        if include_text:
            return Response(raw.encode("utf-8"), media_type="application/json")
        data = json.loads(raw)
        data["text"] = ""
        return Response(_dumps(data), media_type="application/json")

    def _text_query(text: str) -> tuple[str, dict]:
        echo: dict[str, Any] = {"text": text[:200]}
        if len(text) > QUERY_TEXT_CHARS:
            echo["truncated"] = True
            text = text[:QUERY_TEXT_CHARS]
        return text, echo

    @app.get("/similar", response_model=SimilarResponse, tags=["similarity"], summary="Projects similar to a text")
    @_on_loop
    def similar_to_text(
        text: str = Query(..., min_length=1, max_length=2000, description="Free text (longer texts: POST /similar)"),
        k: int = Query(10, ge=1, le=MAX_K),
        flt: ProjectFilter = Depends(project_filters),
    ) -> Any:
        _check_theme(flt)
        idx = need_index()
        items = _similar(lambda n, f: idx.query_text(text, k=n, filters=f), k, flt, set())
        return _json({"query": {"text": text, "k": k, "filters": flt.active()}, "items": items})

    @app.post(
        "/similar",
        response_model=SimilarResponse,
        tags=["similarity"],
        summary="Projects similar to a (long) text; read-only",
    )
    @_on_loop
    def similar_to_text_post(body: SimilarTextRequest) -> Any:
        flt = make_filter("body", **body.model_dump(exclude={"text", "k"}))
        _check_theme(flt, "body")
        idx = need_index()
        text, echo = _text_query(body.text)
        items = _similar(lambda n, f: idx.query_text(text, k=n, filters=f), body.k, flt, set())
        return _json({"query": {**echo, "k": body.k, "filters": flt.active()}, "items": items})

    @app.get(
        "/themes",
        response_model=list[ThemeCount],
        tags=["themes"],
        summary="Assigned themes with the number of projects (filterable)",
    )
    @_on_loop
    def themes(flt: ProjectFilter = Depends(project_filters)) -> Any:
        _check_theme(flt)
        return _cached(("themes", repr(flt)), lambda: _dumps([_theme_row(r) for r in st.theme_counts(flt, by=())]))

    @app.get(
        "/stats/themes",
        response_model=ThemeStats,
        tags=["themes"],
        summary="Theme counts per region and/or period (year the project starts)",
    )
    @_on_loop
    def theme_stats(
        by: list[Literal["region", "year", "period"]] = Query(
            ["region"], max_length=3, description="Group by region, year (alias period), or both"
        ),
        flt: ProjectFilter = Depends(project_filters),
    ) -> Any:
        _check_theme(flt)
        keys = tuple(dict.fromkeys("year" if b == "period" else b for b in by))
        return _cached(
            ("stats", keys, repr(flt)),
            lambda: _dumps({"by": list(keys), "rows": [_theme_row(r) for r in st.theme_counts(flt, by=keys)]}),
        )

    mount_web(app, st, need_index, show_personal)  # the Swedish web view at / (pipeline.web)
    return app


def app_from_env() -> FastAPI:
    """An app configured by environment variables, for multi-process servers
    (``uvicorn --factory pipeline.api:app_from_env``, ``serve --workers N``):
    ``ESF_API_STORE`` (required), ``ESF_API_INDEX``, ``ESF_API_SHOW_PERSONAL=1``."""
    store = os.environ.get("ESF_API_STORE")
    if not store:
        raise RuntimeError("ESF_API_STORE is not set")
    return create_app(
        store,
        index_dir=os.environ.get("ESF_API_INDEX") or None,
        show_personal=os.environ.get("ESF_API_SHOW_PERSONAL") == "1",
    )
