"""CLI commands of the registry side, wired by the main CLI::

app.command("export")(export)
app.command("serve")(serve)
"""

from __future__ import annotations

import ipaddress
import json
import os
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import PipelineError


class ExportFormat(str, Enum):  # noqa: UP042 - typer shows and parses the values as they are
    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"


def _date(value: Optional[str], name: str, end: bool = False) -> Optional[date]:
    from ..common.dates import parse_period_bound

    try:
        return parse_period_bound(value, end=end)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=name) from None


class StoreNotFound(PipelineError):
    """A reading command was given a store that does not exist (or is not a store)."""


def open_existing_store(url_or_path: str | os.PathLike):
    """Open a store that already exists, for reading commands (``export``, ``serve``).

    Never creates anything: a path that does not exist, a file that is not a store,
    or a PostgreSQL database that cannot be reached or has no store tables raises
    :class:`StoreNotFound` with a message that says which and why. (``process``
    creates stores; ``open_store`` is the creating call.)
    """
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError
    from sqlalchemy.pool import NullPool

    from ..store import DEFAULT_FILENAME, open_store

    s = os.fspath(url_or_path)
    if "://" not in s:
        _check_sqlite_file(Path(s).expanduser(), s, DEFAULT_FILENAME)
        return open_store(s)
    try:
        url = make_url(s)
    except ArgumentError as exc:
        raise StoreNotFound(f"{s!r} is not a store URL: {exc}") from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise StoreNotFound(f"{s!r}: give the path of an existing SQLite store file")
        _check_sqlite_file(Path(url.database).expanduser(), s, DEFAULT_FILENAME)
        return open_store(s)
    if backend not in ("postgresql", "postgres"):
        raise StoreNotFound(f"unsupported store URL {s!r}: use a path, sqlite:///… or postgresql://…")
    shown = url.render_as_string(hide_password=True)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    engine = create_engine(url, connect_args={"connect_timeout": 10}, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            has = inspect(conn).has_table("projects")
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StoreNotFound(f"cannot connect to the store {shown}: {reason}") from None
    finally:
        engine.dispose()
    if not has:
        raise StoreNotFound(f"{shown} has no store tables (no `process` run has written to it; check the URL)")
    return open_store(s)


def _check_sqlite_file(path: Path, given: str, default_name: str) -> None:
    import sqlite3

    if path.is_dir():
        path = path / default_name
    if not path.is_file():
        raise StoreNotFound(
            f"no store at {given!r} ({path} does not exist): give the store file or the output folder "
            "of a `process` run"
        )
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            found = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='projects'").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreNotFound(f"{given!r} is not a store ({path}: {exc})") from None
    if not found:
        raise StoreNotFound(f"{given!r} is an SQLite file but not a store (no projects table)")


def _open_or_exit(store: str):
    try:
        return open_existing_store(store)
    except StoreNotFound as exc:
        raise typer.BadParameter(str(exc), param_hint="--store") from None


def export(
    store: Annotated[str, typer.Option(help="Store: SQLite file/dir, sqlite:///… or postgresql://… URL")],
    out: Annotated[
        Path, typer.Option(help="Output file; csv/parquet also write STEM_themes.EXT and STEM_entities.EXT beside it")
    ],
    format: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="jsonl (full records), csv or parquet (one row per project)")
    ] = ExportFormat.jsonl,
    theme: Annotated[Optional[list[str]], typer.Option(help="Assigned theme id or label (repeat for any-of)")] = None,
    region: Annotated[Optional[str], typer.Option(help="Region (case-insensitive)")] = None,
    owner: Annotated[Optional[str], typer.Option(help="Owner contains (case-insensitive)")] = None,
    programme_area: Annotated[Optional[str], typer.Option(help="Programme area (case-insensitive)")] = None,
    q: Annotated[
        Optional[str], typer.Option("--q", "--text", help="Full-text search (Swedish stemming; every word must occur)")
    ] = None,
    period_from: Annotated[
        Optional[str],
        typer.Option(
            help="Period overlaps from: a year (2019), year-month (2019-05) or date (2019-05-17); a year or month means its first day"
        ),
    ] = None,
    period_to: Annotated[
        Optional[str],
        typer.Option(help="Period overlaps up to: a year, year-month or date; a year or month means its last day"),
    ] = None,
    min_budget: Annotated[Optional[int], typer.Option(min=0, max=10**15, help="Total budget at least (SEK)")] = None,
    max_budget: Annotated[Optional[int], typer.Option(min=0, max=10**15, help="Total budget at most (SEK)")] = None,
    redact_personal: Annotated[
        bool,
        typer.Option(
            "--redact-personal", help="Remove/pseudonymise contact names, e-mails, phone numbers and person names"
        ),
    ] = False,
) -> None:
    """Export projects from the store (one row per project)."""
    from ..export import export_store
    from ..store.core import ProjectFilter
    from ..themes.names import configured_themes
    from .filters import check_themes, unmatched_note

    pf, pt = _date(period_from, "--period-from"), _date(period_to, "--period-to", end=True)
    if pf and pt and pf > pt:
        raise typer.BadParameter("--period-from is after --period-to")
    if min_budget is not None and max_budget is not None and min_budget > max_budget:
        raise typer.BadParameter("--min-budget exceeds --max-budget")
    st = _open_or_exit(store)
    try:
        if theme:
            stored = {r["theme_id"]: r["label"] for r in st.theme_counts(ProjectFilter(), by=())}
            check_themes(theme, {**configured_themes(), **stored})
        res = export_store(
            st,
            format.value,
            out,
            redact_personal=redact_personal,
            theme=theme or None,
            region=region,
            owner=owner,
            programme_area=programme_area,
            q=q,
            period_from=pf,
            period_to=pt,
            min_budget=min_budget,
            max_budget=max_budget,
        )
        if not res["rows"]:
            for what, value, stored_values in (
                ("region", region, st.regions),
                ("programme area", programme_area, st.programme_areas),
            ):
                note = unmatched_note(what, value, stored_values() if value else ())
                if note:
                    typer.echo(note, err=True)
    finally:
        st.close()
    typer.echo(json.dumps(res, ensure_ascii=False))


def _index_dir(index: Optional[Path]) -> Optional[Path]:
    """``serve --index``: a missing folder is a usage error; a run's output folder means its
    ``index/``; a folder without an index yet is served (``/similar`` answers 503 until ``process``
    writes one there) with a warning."""
    if index is None:
        return None
    if not index.is_dir():
        raise typer.BadParameter(f"no such folder: {str(index)!r}", param_hint="--index")
    if not (index / "meta.json").exists() and (index / "index" / "meta.json").exists():
        return index / "index"
    if not (index / "meta.json").exists():
        typer.echo(
            f"warning: no similarity index in {index} yet (meta.json missing): /similar answers 503 until"
            " `process` writes one there",
            err=True,
        )
    return index


def _run_index(store: str) -> Optional[Path]:
    """The index of the run a ``--store`` belongs to (a run's output folder, or its
    ``store.sqlite``), when that run wrote one; else None."""
    path = Path(store)
    run = path if path.is_dir() else path.parent if path.is_file() else None
    if run is not None and (run / "index" / "meta.json").exists():
        return run / "index"
    return None


def serve(
    store: Annotated[str, typer.Option(help="Store: SQLite file/dir, sqlite:///… or postgresql://… URL")],
    index: Annotated[
        Optional[Path],
        typer.Option(
            help="Similarity index directory (enables /similar endpoints; default: the index of the run"
            " whose store --store is, when there is one)"
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Bind address (default: localhost only)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Server processes (each answers requests; use up to the number of cores)")
    ] = 1,
    show_personal: Annotated[
        bool,
        typer.Option(
            "--show-personal",
            help="Serve contact names, e-mails, phone numbers and person names (default: redacted, as export --redact-personal)",
        ),
    ] = False,
) -> None:
    """Serve the read-only registry API (OpenAPI docs at /docs).

    Personal data is redacted unless --show-personal."""
    import uvicorn

    from ..api import create_app

    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        typer.echo(f"warning: binding to {host}: the API is reachable from other machines", err=True)
    if show_personal and not loopback:
        typer.echo("warning: --show-personal on a non-local address serves personal data to other machines", err=True)
    if index is None and (index := _run_index(store)) is not None:
        typer.echo(f"similar projects from {index} (--index to choose another)", err=True)
    index = _index_dir(index)
    st = _open_or_exit(store)
    if workers > 1:  # each worker process builds its own app (pipeline.api.app_from_env)
        st.close()
        os.environ["ESF_API_STORE"] = store
        os.environ["ESF_API_INDEX"] = str(index) if index else ""
        os.environ["ESF_API_SHOW_PERSONAL"] = "1" if show_personal else ""
        uvicorn.run("pipeline.api:app_from_env", factory=True, host=host, port=port, workers=workers, log_level="info")
        return
    app = create_app(st, index_dir=str(index) if index else None, show_personal=show_personal)
    uvicorn.run(app, host=host, port=port, log_level="info")
