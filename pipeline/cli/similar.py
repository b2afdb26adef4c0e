"""``python -m pipeline similar``: projects like a stored project or like a free-text idea.

Wired in pipeline/cli/main.py as ``app.command("similar")(similar)``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..common.dates import PERIOD_BOUND_HELP, parse_period_bound


def similar(
    index: Annotated[Path, typer.Option("--index", help="Index folder (a run's output dir / index).")],
    id: Annotated[
        Optional[list[str]], typer.Option("--id", help="Record id of a stored project; repeat for several.")
    ] = None,
    text: Annotated[Optional[str], typer.Option("--text", help="Free-text project idea.")] = None,
    k: Annotated[int, typer.Option("-k", "--k", min=1, help="Number of results per query.")] = 5,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print a JSON list, one item per query: {query, results: [{id, title, project_name, score}]}, score 0-1, higher is more similar.",
        ),
    ] = False,
    theme: Annotated[
        Optional[str], typer.Option("--theme", help="Only projects with this theme (id or label).")
    ] = None,
    region: Annotated[Optional[str], typer.Option("--region", help="Only projects in this ESF region.")] = None,
    period: Annotated[
        Optional[str],
        typer.Option("--period", help="Only projects whose period overlaps these years, e.g. 2014-2020 or 2015."),
    ] = None,
    period_from: Annotated[
        Optional[str],
        typer.Option(
            "--period-from",
            help=f"Only projects running on or after this: {PERIOD_BOUND_HELP} (as in export and the API).",
        ),
    ] = None,
    period_to: Annotated[
        Optional[str],
        typer.Option("--period-to", help=f"Only projects running on or before this: {PERIOD_BOUND_HELP}."),
    ] = None,
) -> None:
    """Find earlier projects that are like a stored project (--id) or a project idea (--text).

    Each result has a score between 0 and 1: higher is more similar (1 = the same content,
    0 = nothing in common). It is the weighted mean of the cosine similarities of the two
    texts' contents (character n-grams, theme-lexicon profile; see configs/similarity.yaml),
    so it ranks results for one query; it is not a probability.
    """
    from ..similarity.index import SimilarIndex, parse_period
    from ..themes.names import configured_themes
    from .filters import check_themes, unmatched_note

    ids = list(id or [])
    if text is not None and not text.strip():
        raise typer.BadParameter("--text is empty: give the project idea in words")
    if bool(ids) == bool(text):
        raise typer.BadParameter("give either --id (one or more) or --text")
    years = None
    if period:
        try:
            years = parse_period(period)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--period") from None
    if period_from or period_to:
        if period:
            raise typer.BadParameter("give --period or --period-from/--period-to, not both")
        bounds = []
        for value, end, hint in ((period_from, False, "--period-from"), (period_to, True, "--period-to")):
            try:
                bounds.append(parse_period_bound(value, end=end))
            except ValueError as exc:
                raise typer.BadParameter(str(exc), param_hint=hint) from None
        # the index knows each project's start and end year
        years = (bounds[0].year if bounds[0] else 1, bounds[1].year if bounds[1] else 9999)
        if years[0] > years[1]:
            raise typer.BadParameter("--period-from is after --period-to")
    try:
        idx = SimilarIndex.load(index)
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if theme:
        indexed = {t: t for t in idx.meta.get("themes") or []}  # the taxonomy the index was built with
        check_themes([theme], {**indexed, **configured_themes()}, substring=True)
    filters = {k_: v for k_, v in (("theme", theme), ("region", region), ("period", years)) if v}
    out: list[dict] = []
    if ids:
        unknown = [i for i in ids if i not in idx.row_of]
        if unknown:
            typer.echo(f"error: not in the index: {', '.join(_unknown_id(i, idx.docs) for i in unknown)}", err=True)
            raise typer.Exit(2)
        for q, res in zip(ids, idx.query_ids(ids, k=k, filters=filters or None)):
            out.append({"query": q, "results": res})
    else:
        out.append({"query": text, "results": idx.query_text(text or "", k=k, filters=filters or None)})

    if region and not all(item["results"] for item in out):
        note = unmatched_note("region", region, (d["region"] for d in idx.docs if d.get("region")), substring=True)
        if note:
            typer.echo(note, err=True)
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for item in out:
        q = item["query"]
        label = idx.docs[idx.row_of[q]]["title"] if q in idx.row_of else None
        typer.echo(f"Like {q!r}" + (f" ({label})" if label else "") + ":")
        if not item["results"]:
            typer.echo("  (no matching projects)")
        for n, r in enumerate(item["results"], 1):
            typer.echo(f"  {n:>2}. {r['score']:.3f}  {r['id']}  {_label(r)}")
        typer.echo("")


def _unknown_id(value: str, docs: list[dict]) -> str:
    """``value`` quoted, with the record id it probably means: the project whose title or name it
    is (ids are project numbers or slugs, not names), else the nearest id."""
    import difflib

    from ..themes.names import fold

    v = fold(value)
    named = next((d for d in docs if v in (fold(d.get("title") or ""), fold(d.get("project_name") or ""))), None)
    if named is not None:
        return f"{value!r} (did you mean {named['id']!r}, {named['title']!r}?)"
    close = difflib.get_close_matches(value, [d["id"] for d in docs], n=1, cutoff=0.75)
    return f"{value!r} (did you mean {close[0]!r}?)" if close else repr(value)


def _label(result: dict) -> str:
    """A result's title, and the project's name beside it where the title does not hold it (a news
    item's headline: "Kommunen får 5 miljoner … [Nya Steg]")."""
    title, name = result.get("title") or "", result.get("project_name") or ""
    return f"{title} [{name}]" if name and name.casefold() not in title.casefold() else title
