"""Command line: ``python -m pipeline`` / ``esf-pipeline``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .. import __version__

app = typer.Typer(
    name="esf-pipeline",
    help="Read Swedish ESF project documents (text, HTML, PDF) into structured records.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # docstrings are wrapped in the source; Markdown joins their lines
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"esf-pipeline {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    pass


EXIT_OK = 0
EXIT_STOPPED = 1  # the run stopped: a worker died, the store could not be written, …
EXIT_USAGE = 2  # bad option or configuration, input not found
EXIT_FAILED = 3  # the run finished, but some documents failed (see errors.jsonl)
EXIT_LOCKED = 4  # another run is writing to the same output folder

PROCESS_HELP = f"""Process documents into OUT/records.jsonl (one record per document) and OUT/errors.jsonl (one line per failed or unsupported file). Re-running skips unchanged documents and replaces changed ones.

A document is known by its absolute path, however it was spelled. Other files in the input folders get an unsupported_type line in errors.jsonl and are counted as unsupported, not failed (hidden files and the output folder are left out); a file named on the command line that is not supported counts as failed. Records whose source file is gone are counted in the summary and kept unless --prune is given.

Exit status: {EXIT_OK} all documents done; {EXIT_STOPPED} the run stopped (what was finished is kept; run again to continue); {EXIT_USAGE} usage error or input not found; {EXIT_FAILED} some documents failed (0 with --allow-failures); {EXIT_LOCKED} another run is writing to OUT."""


@app.command(help=PROCESS_HELP)
def process(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="Files or folders (searched recursively) of .txt, .html/.htm, .pdf, .docx, .odt and .rtf documents."
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            file_okay=False,
            help="Output folder for records.jsonl, errors.jsonl, the store and the index (created if needed).",
        ),
    ],
    jobs: Annotated[
        int,
        typer.Option("--jobs", "-j", min=1, help="Worker processes. Use the number of CPU cores for large batches."),
    ] = 1,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary line on stderr.")] = False,
    config: Annotated[
        Optional[Path], typer.Option("--config", "-c", help="YAML file deep-merged over configs/pipeline.yaml.")
    ] = None,
    exclude: Annotated[
        Optional[list[str]],
        typer.Option("--exclude", help="Skip a per-document stage by name (repeatable), e.g. --exclude ner."),
    ] = None,
    store: Annotated[
        Optional[str],
        typer.Option(
            "--store", help="Store URL or path. Default: OUT/store.sqlite. Also postgresql://user:pass@host/db."
        ),
    ] = None,
    no_store: Annotated[bool, typer.Option("--no-store", help="Write only the JSON lines files, no database.")] = False,
    no_index: Annotated[
        bool, typer.Option("--no-index", help="Do not build/update the similar-projects index.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Re-process documents even when unchanged.")] = False,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune",
            help="Remove the records (store rows, index entries) of documents whose source file no longer exists.",
        ),
    ] = False,
    allow_failures: Annotated[
        bool,
        typer.Option(
            "--allow-failures", help=f"Exit {EXIT_OK} even when some documents failed (default: {EXIT_FAILED})."
        ),
    ] = False,
    scheduler: Annotated[
        Optional[str],
        typer.Option(
            "--scheduler",
            help="Process the documents on a Dask cluster: the scheduler's address, e.g. tcp://host:8786 (needs the 'cluster' extra). Records, errors, store and index are still written here.",
        ),
    ] = None,
    cluster: Annotated[
        Optional[str],
        typer.Option(
            "--cluster",
            help="Start a local Dask cluster of N worker processes for this run: local:N (needs the 'cluster' extra).",
        ),
    ] = None,
    send: Annotated[
        str,
        typer.Option(
            "--send",
            help="With --scheduler/--cluster: 'path' (the workers read the files: they see them at the same path), 'bytes' (this machine reads and sends them), 'auto' (path for --cluster, bytes for --scheduler).",
        ),
    ] = "auto",
) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from ..batch import process_batch
    from ..config import load_config
    from ..errors import OutputLocked
    from ..stages import check_order

    try:
        cfg = load_config(config, tuple(exclude or ()))
        check_order(cfg["pipeline"]["stages"])
    except (FileNotFoundError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from exc
    executor = _cluster_executor(scheduler, cluster, send, jobs)
    try:
        summary = process_batch(
            inputs,
            out,
            cfg,
            jobs=jobs,
            store=None if no_store else (store or ""),
            index=not no_index,
            quiet=quiet,
            force=force,
            prune=prune,
            executor=executor,
        )
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from exc
    except OutputLocked as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_LOCKED) from exc
    except RuntimeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_STOPPED) from exc
    except (OSError, SQLAlchemyError) as exc:  # disk full, store unreachable, …
        typer.echo(
            f"error: the run stopped: {type(exc).__name__}: {exc}\n"
            f"The documents finished so far are kept in {out}; run the same command again to continue.",
            err=True,
        )
        raise typer.Exit(EXIT_STOPPED) from exc
    finally:
        if executor is not None:
            executor.close()
    if not quiet:
        typer.echo(summary.line(), err=True)
        if summary.failed:
            typer.echo(f"{summary.failed} document(s) failed: see {out / 'errors.jsonl'}", err=True)
    if summary.failed and not allow_failures:
        raise typer.Exit(EXIT_FAILED)


def _cluster_executor(scheduler: Optional[str], cluster: Optional[str], send: str, jobs: int):
    """The Dask executor for --scheduler / --cluster (None without them: the local pool).
    Usage errors (both given, a bad spec, --jobs with a cluster, Dask not installed) exit with
    EXIT_USAGE; the cluster itself is started or reached only when there is something to do."""
    if scheduler is None and cluster is None:
        if send != "auto":
            raise typer.BadParameter("--send applies to --scheduler and --cluster only", param_hint="--send")
        return None
    if scheduler is not None and cluster is not None:
        raise typer.BadParameter("give --scheduler or --cluster, not both", param_hint="--cluster")
    if jobs != 1:
        raise typer.BadParameter(
            "--jobs is the local process pool; with --cluster local:N the cluster has N "
            "worker processes, with --scheduler its own workers",
            param_hint="--jobs",
        )
    try:
        from ..cluster import ClusterExecutor, ClusterUnavailable, parse_local_spec
    except ImportError as exc:  # pragma: no cover - cluster.py itself imports nothing of Dask
        raise typer.BadParameter(str(exc)) from exc
    try:
        n = parse_local_spec(cluster) if cluster is not None else None
        return ClusterExecutor(scheduler=scheduler, local_workers=n, send=send)
    except ClusterUnavailable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from exc
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--cluster" if cluster else "--send") from exc


@app.command()
def stages(
    config: Annotated[
        Optional[Path], typer.Option("--config", "-c", help="YAML file deep-merged over configs/pipeline.yaml.")
    ] = None,
    exclude: Annotated[
        Optional[list[str]], typer.Option("--exclude", help="Leave a stage out (repeatable), as in process.")
    ] = None,
) -> None:
    """Show the stage graph: each stage in order with the record fields it reads and writes.

    Ingest always runs first; the order is checked as process checks it. Then every registered
    stage is listed."""
    from ..config import load_config
    from ..errors import ConfigError
    from ..stages import INGEST_WRITES, check_order, describe, registered

    try:
        order = load_config(config, tuple(exclude or ()))["pipeline"]["stages"]
    except (FileNotFoundError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from exc
    rows = [("ingest", "(file)", ", ".join(INGEST_WRITES))]
    rows += [(i.name, ", ".join(i.reads), ", ".join(i.writes)) for i in describe(order)]
    w0, w1 = max(len(r[0]) for r in rows), max(len(r[1]) for r in rows)
    typer.echo(f"{'stage':<{w0}}  {'reads':<{w1}}  writes")
    for name, reads, writes in rows:
        typer.echo(f"{name:<{w0}}  {reads:<{w1}}  {writes}")
    typer.echo("registered (usable in pipeline.stages and --exclude): " + ", ".join(registered()))
    try:
        check_order(order)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from exc


@app.command()
def schema() -> None:
    """Print the JSON Schema of a record."""
    from ..schema import record_schema

    typer.echo(json.dumps(record_schema(), ensure_ascii=False, indent=2))


@app.command()
def validate(
    records: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A records.jsonl file.")],
) -> None:
    """Validate every line of a records.jsonl file against the record schema.

    A line that is not JSON is reported with its number; a file whose first line is not JSON
    stops at once."""
    from ..schema import validate_record

    problems: list[str] = []
    seen_json = False
    with open(records, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                problems.append(f"line {n}: not JSON (not UTF-8 text at byte {exc.start + 1} of the line)")
            except json.JSONDecodeError as exc:
                problems.append(f"line {n}: not JSON ({exc.msg} at column {exc.colno})")
            else:
                seen_json = True
                if isinstance(obj, dict):
                    problems.extend(f"line {n}: {p}" for p in validate_record(obj))
                else:
                    problems.append(f"line {n}: a JSON {type(obj).__name__}, not a record object")
                continue
            if not seen_json:
                problems[-1] += "; this is not a JSON lines file (one JSON record per line)"
                break
    for p in problems[:50]:
        typer.echo(f"{records}: {p}", err=True)
    if len(problems) > 50:
        typer.echo(f"{records}: … and {len(problems) - 50} more problems", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{records}: all records valid")


def _register_commands() -> None:
    """The query and registry commands (pipeline/cli/similar.py, pipeline/cli/registry.py)."""
    from .registry import export, serve
    from .similar import similar

    app.command("similar")(similar)
    app.command("export")(export)
    app.command("serve")(serve)


_register_commands()


def main() -> None:
    # Worker processes inherit this; keep numeric libraries to one thread each.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    app(prog_name="esf-pipeline")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
