"""Command line: ``python -m pipeline`` / ``esf-pipeline``."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from . import __version__

app = typer.Typer(
    name="esf-pipeline",
    help="Read Swedish ESF project documents (text, HTML, PDF) into structured records.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"esf-pipeline {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    pass


@app.command()
def process(
    inputs: List[Path] = typer.Argument(..., help="Files or folders (searched recursively) of .txt, .html/.htm and .pdf documents."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder for records.jsonl, errors.jsonl, the store and the index."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Worker processes. Use the number of CPU cores for large batches."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary line on stderr."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="YAML file deep-merged over configs/pipeline.yaml."),
    exclude: List[str] = typer.Option([], "--exclude", help="Skip a per-document stage by name (repeatable), e.g. --exclude ner."),
    store: Optional[str] = typer.Option(None, "--store", help="Store URL or path. Default: OUT/store.sqlite. Also postgresql://user:pass@host/db."),
    no_store: bool = typer.Option(False, "--no-store", help="Write only the JSON lines files, no database."),
    no_index: bool = typer.Option(False, "--no-index", help="Do not build/update the similar-projects index."),
    force: bool = typer.Option(False, "--force", help="Re-process documents even when unchanged."),
) -> None:
    """Process documents into OUT/records.jsonl (one record per document) and OUT/errors.jsonl (one line per failed document). Re-running skips unchanged documents and replaces changed ones."""
    from .config import load_config
    from .runner import run

    try:
        cfg = load_config(config, tuple(exclude))
    except (FileNotFoundError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from exc
    store_url = None if no_store else (store or str(out / "store.sqlite"))
    after = _after_batch(cfg, store_url, not no_index, quiet)
    try:
        summary = run(inputs, out, cfg, jobs=jobs, quiet=quiet, force=force, after_batch=after)
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except RuntimeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    if not quiet:
        typer.echo(summary.line(), err=True)
        if summary.failed:
            typer.echo(f"{summary.failed} document(s) failed: see {out / 'errors.jsonl'}", err=True)


def _after_batch(cfg, store_url: Optional[str], with_index: bool, quiet: bool):
    """Batch steps after all documents: store upsert and index update."""

    def after(records, new_records, out_dir: Path) -> None:
        from .record import Record
        from .similarity.index import update_index
        from .store import open_store

        objs = [Record.from_json(r) for r in records]
        if with_index:
            # prune: documents no longer among the records leave the index
            update_index(out_dir / "index", objs, cfg.get("similarity") or {}, prune=True)
        if store_url is None:
            return
        st = open_store(store_url)
        try:
            # New and changed records, plus any the store lacks (e.g. a new --store).
            fresh = {r["id"] for r in new_records} | ({r.id for r in objs} - set(st.ids()))
            st.upsert_many(r for r in objs if r.id in fresh)
        finally:
            st.close()

    return after


@app.command()
def stages() -> None:
    """List the registered per-document stages and the default order."""
    from .config import load_config
    from .stages import registered

    order = load_config()["pipeline"]["stages"]
    typer.echo("default order: " + " -> ".join(["ingest", *order]))
    typer.echo("registered: " + ", ".join(registered()))


@app.command()
def schema() -> None:
    """Print the JSON Schema of a record."""
    from .schema import record_schema

    typer.echo(json.dumps(record_schema(), ensure_ascii=False, indent=2))


@app.command()
def validate(records: Path = typer.Argument(..., exists=True, dir_okay=False, help="A records.jsonl file.")) -> None:
    """Validate every line of a records.jsonl file against the record schema."""
    from .schema import validate_records

    problems = validate_records(records)
    for p in problems:
        typer.echo(p, err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{records}: all records valid")


def _register_package_commands() -> None:
    """Commands defined next to the code they drive (registry, similarity)."""
    from .similarity.cli import similar
    from .store.cli import export, serve

    app.command("similar")(similar)
    app.command("export")(export)
    app.command("serve")(serve)


_register_package_commands()


def main() -> None:
    # Worker processes inherit this; keep numeric libraries to one thread each.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    app(prog_name="esf-pipeline")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
