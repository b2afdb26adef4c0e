"""CLI commands of the registry side, wired by the main CLI::

    app.command("export")(export)
    app.command("serve")(serve)
"""
from __future__ import annotations

import ipaddress
import json
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer


class ExportFormat(str, Enum):
    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"


def _date(value: Optional[str], name: str) -> Optional[date]:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=name) from None


def export(
    store: Annotated[str, typer.Option(help="Store: SQLite file/dir, sqlite:///… or postgresql://… URL")],
    out: Annotated[Path, typer.Option(help="Output file; csv/parquet also write STEM_themes.EXT and STEM_entities.EXT beside it")],
    format: Annotated[ExportFormat, typer.Option("--format", "-f", help="jsonl (full records), csv or parquet (one row per project)")] = ExportFormat.jsonl,
    theme: Annotated[Optional[list[str]], typer.Option(help="Assigned theme id or label (repeat for any-of)")] = None,
    region: Annotated[Optional[str], typer.Option(help="Region (case-insensitive)")] = None,
    owner: Annotated[Optional[str], typer.Option(help="Owner contains (case-insensitive)")] = None,
    period_from: Annotated[Optional[str], typer.Option(help="Period overlaps from this date (YYYY-MM-DD)")] = None,
    period_to: Annotated[Optional[str], typer.Option(help="Period overlaps up to this date (YYYY-MM-DD)")] = None,
    min_budget: Annotated[Optional[int], typer.Option(min=0, help="Total budget at least (SEK)")] = None,
    max_budget: Annotated[Optional[int], typer.Option(min=0, help="Total budget at most (SEK)")] = None,
    redact_personal: Annotated[bool, typer.Option("--redact-personal", help="Remove/pseudonymise contact names, e-mails, phone numbers and person names")] = False,
) -> None:
    """Export projects from the store (one row per project)."""
    from ..export import export_store
    from . import open_store

    pf, pt = _date(period_from, "--period-from"), _date(period_to, "--period-to")
    if pf and pt and pf > pt:
        raise typer.BadParameter("--period-from is after --period-to")
    if min_budget is not None and max_budget is not None and min_budget > max_budget:
        raise typer.BadParameter("--min-budget exceeds --max-budget")
    st = open_store(store)
    try:
        res = export_store(
            st, format.value, out, redact_personal=redact_personal,
            theme=theme or None, region=region, owner=owner, period_from=pf, period_to=pt,
            min_budget=min_budget, max_budget=max_budget,
        )
    finally:
        st.close()
    typer.echo(json.dumps(res, ensure_ascii=False))


def serve(
    store: Annotated[str, typer.Option(help="Store: SQLite file/dir, sqlite:///… or postgresql://… URL")],
    index: Annotated[Optional[Path], typer.Option(help="Similarity index directory (enables /similar endpoints)")] = None,
    host: Annotated[str, typer.Option(help="Bind address (default: localhost only)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
) -> None:
    """Serve the read-only registry API (OpenAPI docs at /docs)."""
    import uvicorn

    from ..api import create_app
    from . import open_store

    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        typer.echo(f"warning: binding to {host}: the API is reachable from other machines", err=True)
    app = create_app(open_store(store), index_dir=str(index) if index else None)
    uvicorn.run(app, host=host, port=port, log_level="info")
