"""Routes of the web view (see the package docstring)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import select

from ..common.dates import parse_period_bound
from ..export import PROJECT_COLUMNS, project_row
from ..export.redact import Redactor
from ..record import Record
from ..store import ProjectFilter, Store
from ..store import schema as S
from ..themes.names import closest_theme, configured_themes, theme_id
from .highlight import segments

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
PAGE_SIZE = 20
SIMILAR_K = 5
MAX_PAGE = 10_000
MAX_CHARS = 200  # longest free text / filter value read from the URL
MAX_BUDGET = 10**15

ENTITY_KINDS = {"ORG": "Organisation", "PER": "Person", "LOC": "Plats"}
METADATA_LABELS = {
    "project_number": "Projektnummer",
    "project_name": "Projektnamn",
    "owner": "Projektägare",
    "contact_person": "Kontaktperson",
    "email": "E-post",
    "phone": "Telefon",
    "organisation_number": "Organisationsnummer",
    "programme_area": "Programområde",
    "specific_objective": "Specifikt mål",
    "phase": "Fas",
    "fund": "Fond",
    "region": "Region",
    "municipalities": "Kommuner",
    "period_start": "Projektstart",
    "period_end": "Projektslut",
    "esf_support_sek": "Beviljat ESF-stöd",
    "total_budget_sek": "Total projektbudget",
    "cofinancing_rate": "Medfinansieringsgrad",
    "planned_participants": "Planerat antal deltagare",
    "participating_organisations": "Deltagande organisationer",
    "intervention_type": "Insatsområde",
    "postcode": "Postnummer",
    "nuts2": "NUTS 2",
    "cci": "CCI",
    "secondary_themes": "Sekundära teman",
}
SECTION_LABELS = {
    "summary": "sammanfattning",
    "background": "bakgrund",
    "purpose": "syfte",
    "goals": "mål",
    "expected_effects": "förväntade effekter",
    "accessibility": "tillgänglighet",
    "gender_equality": "jämställdhet",
    "transnational": "transnationellt",
    "municipalities": "kommuner",
    "participants": "deltagande aktörer",
    "organisation": "organisation",
    "implementation": "genomförande",
    "evaluation": "utvärdering",
    "other": "övrigt",
}


# ----------------------------------------------------------------------------- formatting


def _kr(value: Any) -> str:
    if value is None or value == "":
        return "–"
    return f"{int(value):,}".replace(",", "\u00a0") + "\u00a0kr"


def _metadata_value(key: str, value: Any) -> str:
    if value is None:
        return "–"
    if key.endswith("_sek"):
        return _kr(value)
    if key == "cofinancing_rate":
        return f"{float(value) * 100:.0f}\u00a0%"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _period(start: Any, end: Any) -> str:
    s = start.isoformat() if hasattr(start, "isoformat") else (start or "")
    e = end.isoformat() if hasattr(end, "isoformat") else (end or "")
    return f"{s} – {e}" if s or e else "–"


def file_name(source: str) -> str:
    """The file name of a record's source (never the folder it was read from)."""
    return re.split(r"[\\/]", source or "")[-1]


# ----------------------------------------------------------------------------- the query


@dataclass
class WebQuery:
    """The search form, read leniently from the URL: a value that cannot be used is
    dropped with a message in Swedish (a page, never a 422)."""

    q: str = ""
    theme: str = ""
    region: str = ""
    programme_area: str = ""
    owner: str = ""
    period_from: str = ""
    period_to: str = ""
    start_year: str = ""
    min_budget: str = ""
    max_budget: str = ""
    page: int = 1
    errors: list[str] = field(default_factory=list)

    KEYS = (
        "q",
        "theme",
        "region",
        "programme_area",
        "owner",
        "period_from",
        "period_to",
        "start_year",
        "min_budget",
        "max_budget",
    )

    @classmethod
    def from_request(cls, request: Request, themes: Mapping[str, str]) -> WebQuery:
        """``themes``: id → label of the themes a filter may name (a label is read as its id)."""
        qp = request.query_params
        wq = cls()
        for key in cls.KEYS:
            value = " ".join((qp.get(key) or "").replace("\x00", " ").split())
            if len(value) > MAX_CHARS:
                value = value[:MAX_CHARS]
                wq.errors.append(f"{key}: högst {MAX_CHARS} tecken används")
            setattr(wq, key, value)
        try:
            wq.page = max(1, min(MAX_PAGE, int(qp.get("sida") or 1)))
        except ValueError:
            wq.errors.append("sida: inte ett heltal, första sidan visas")
        if wq.theme:
            wq._theme(themes)
        return wq

    def _theme(self, themes: Mapping[str, str]) -> None:
        tid = theme_id(self.theme, themes)
        if tid is None:
            close = closest_theme(self.theme, themes)
            hint = f" (menade du {themes.get(close) or close}?)" if close else ""
            self.errors.append(f"Tema: inget tema heter {self.theme!r}{hint}; alla teman visas")
        self.theme = tid or ""

    def params(self, **over: Any) -> str:
        """The query string of this query with ``over`` applied (empty values left out)."""
        data = {k: getattr(self, k) for k in self.KEYS}
        data["sida"] = self.page if self.page > 1 else ""
        data.update(over)
        return urlencode([(k, v) for k, v in data.items() if v not in ("", None) and not (k == "sida" and v == 1)])

    def _budget(self, key: str) -> int | None:
        raw = getattr(self, key).replace(" ", "").replace("\u00a0", "")
        if not raw:
            return None
        if not raw.isdigit() or int(raw) > MAX_BUDGET:
            self.errors.append(f"{'Lägsta' if key == 'min_budget' else 'Högsta'} budget: ange ett belopp i kronor")
            setattr(self, key, "")
            return None
        return int(raw)

    def _bound(self, key: str, end: bool):
        try:
            return parse_period_bound(getattr(self, key) or None, end=end)
        except ValueError:
            self.errors.append(
                f"{'Period från' if key == 'period_from' else 'Period till'}: "
                "ange ett år (2019), en månad (2019-05) eller ett datum (2019-05-17)"
            )
            setattr(self, key, "")
            return None

    def filter(self, store: Store, with_text: bool = True) -> ProjectFilter:
        """The store filter for this query (``with_text``: including the free text)."""
        flt = ProjectFilter(
            theme=self.theme or None,
            region=self.region or None,
            owner=self.owner or None,
            period_from=self._bound("period_from", end=False),
            period_to=self._bound("period_to", end=True),
            min_budget=self._budget("min_budget"),
            max_budget=self._budget("max_budget"),
            q=(self.q or None) if with_text else None,
        )
        if flt.period_from and flt.period_to and flt.period_from > flt.period_to:
            self.errors.append("Perioden slutar före den börjar: periodfiltret används inte")
            flt.period_from = flt.period_to = None
        if flt.min_budget is not None and flt.max_budget is not None and flt.min_budget > flt.max_budget:
            self.errors.append("Lägsta budget är högre än högsta: budgetfiltret används inte")
            flt.min_budget = flt.max_budget = None
        year: int | None = None
        if self.start_year:
            if self.start_year.isdigit() and len(self.start_year) == 4:
                year = int(self.start_year)
            else:
                self.errors.append("Startår: ange ett år med fyra siffror")
                self.start_year = ""
        flt.programme_area = self.programme_area or None
        if year is not None:  # the year the project starts (the overview's by-year chart)
            flt.ids = _ids_starting(store, year)
        # errors are deduplicated: filter() may be called more than once per request
        self.errors = list(dict.fromkeys(self.errors))
        return flt

    @property
    def active(self) -> bool:
        return any(getattr(self, k) for k in self.KEYS if k != "q")


def _ids_starting(store: Store, year: int) -> list[str]:
    p = S.projects.c
    with store.engine.connect() as conn:
        return list(conn.scalars(select(p.id).where(p.start_year == year)))


def _index_filters(flt: ProjectFilter) -> dict | None:
    """Filters the similarity index understands (it may pre-filter loosely; the store
    re-checks every hit)."""
    f = {k: v for k, v in flt.active().items() if k not in ("q", "ids", "period_from", "period_to")}
    if flt.period_from or flt.period_to:
        f["period"] = (flt.period_from.year if flt.period_from else 0, flt.period_to.year if flt.period_to else 9999)
    return f or None


# ----------------------------------------------------------------------------- the router


def mount_web(
    app: FastAPI,
    store: Store,
    get_index: Callable[[], Any],
    show_personal: bool = False,
) -> None:
    """Add the web view to ``app``: pages at ``/``, ``/projekt/…``, ``/oversikt``,
    ``/export.csv`` and assets at ``/assets``. ``get_index()`` returns the
    similarity index or raises (``HTTPException`` 503) when there is none."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,  # every value is HTML-escaped
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["kr"] = _kr
    env.globals.update(
        show_personal=show_personal, ENTITY_KINDS=ENTITY_KINDS, SECTION_LABELS=SECTION_LABELS, period=_period
    )
    plain = Redactor()  # e-mail addresses and phone numbers in titles and owners
    taxonomy = configured_themes()

    def clean(value: str | None) -> str | None:
        return value if show_personal or not value else plain.redact_str(value)

    def render(name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**ctx), status_code=status)

    def index_or_none() -> Any:
        try:
            return get_index()
        except HTTPException:
            return None

    def theme_options() -> list[dict]:
        return [
            {"id": r["theme_id"], "label": r["label"], "count": int(r["count"])}
            for r in sorted(store.theme_counts(ProjectFilter(), by=()), key=lambda r: str(r["label"]).casefold())
        ]

    def query(request: Request, themes: list[dict]) -> WebQuery:
        """The request's query; its theme must be a configured one or one the store holds."""
        return WebQuery.from_request(request, {**taxonomy, **{t["id"]: t["label"] for t in themes}})

    def summaries(ids: list[str]) -> dict[str, dict]:
        if not ids:
            return {}
        _, items = store.list_projects(ProjectFilter(ids=ids), limit=len(ids), offset=0)
        for it in items:
            it["title"], it["owner"] = clean(it.get("title")), clean(it.get("owner"))
        return {it["id"]: it for it in items}

    def similar(
        run: Callable[[int, dict | None], list], flt: ProjectFilter, exclude: set[str], k: int = SIMILAR_K
    ) -> list[dict]:
        want = k + len(exclude) + 10
        raw = list(run(want, _index_filters(flt)))
        if raw and isinstance(raw[0], list):  # query_ids answers one list per id
            raw = raw[0]
        ids = [str(x["id"]) for x in raw if str(x["id"]) not in exclude]
        if flt.ids is not None:
            allowed = set(flt.ids)
            ids = [i for i in ids if i in allowed]
        ok = set(store.ids(dataclasses.replace(flt, ids=ids, q=None))) if ids else set()
        hits = [x for x in raw if str(x["id"]) in ok][:k]
        info = summaries([str(x["id"]) for x in hits])
        out = []
        for x in hits:
            it = info.get(str(x["id"]))
            if it is not None:
                out.append({**it, "score": float(x["score"])})
        return out

    router = APIRouter(include_in_schema=False)

    @router.get("/", response_class=HTMLResponse)
    def search_page(request: Request) -> Response:
        themes = theme_options()
        wq = query(request, themes)
        flt = wq.filter(store)
        offset = (wq.page - 1) * PAGE_SIZE
        total, items = store.list_projects(flt, limit=PAGE_SIZE, offset=offset)
        for it in items:
            it["title"], it["owner"] = clean(it.get("title")), clean(it.get("owner"))
        similar_items: list[dict] = []
        index = index_or_none() if wq.q else None
        if index is not None:
            try:
                similar_items = similar(
                    lambda n, f: index.query_text(wq.q, k=n, filters=f), wq.filter(store, with_text=False), set()
                )
            except Exception as exc:  # noqa: BLE001 - the list from the store is still useful
                log.warning("similar projects by text failed: %s", exc)
        pages = max(1, -(-total // PAGE_SIZE))
        return render(
            "search.html",
            wq=wq,
            total=total,
            items=items,
            similar=similar_items,
            has_index=index is not None,
            pages=pages,
            offset=offset,
            themes=themes,
            regions=store.regions(),
            areas=store.programme_areas(),
        )

    @router.get("/oversikt", response_class=HTMLResponse)
    def overview_page(request: Request) -> Response:
        themes = theme_options()
        wq = query(request, themes)
        flt = wq.filter(store)
        charts = []
        for key, title in (("region", "Projekt per tema och region"), ("year", "Projekt per tema och startår")):
            rows = store.theme_counts(flt, by=(key,))
            charts.append(_chart(key, title, rows, wq))
        return render(
            "overview.html",
            wq=wq,
            charts=charts,
            total=store.count(filter=flt),
            themes=themes,
            regions=store.regions(),
            areas=store.programme_areas(),
        )

    @router.get("/export.csv")
    def export_csv(request: Request) -> Response:
        wq = query(request, theme_options())
        flt = wq.filter(store)
        if wq.errors:  # a page drops such a value with a message; a download would silently widen
            lines = ["Några värden kunde inte användas:", *(f"- {e}" for e in wq.errors)]
            return Response("\n".join(lines) + "\n", status_code=400, media_type="text/plain; charset=utf-8")
        records: Iterator[Record] = store.iter_records(filter=flt)
        if not show_personal:
            # two passes, as redact_records does, without holding every record: the names of
            # all records first, so one person gets the same pseudonym in every row
            red = Redactor()
            for rec in records:
                red.add_record(rec)
            records = (red.redact(rec) for rec in store.iter_records(filter=flt))

        def rows() -> Iterator[str]:
            buf = io.StringIO()
            w = csv.DictWriter(buf, fieldnames=[c for c, _ in PROJECT_COLUMNS])
            buf.write("\ufeff")  # spreadsheet programs then read UTF-8 (å, ä, ö)
            w.writeheader()
            for rec in records:
                w.writerow(
                    {
                        k: ("" if v is None else v.isoformat() if hasattr(v, "isoformat") else v)
                        for k, v in project_row(rec).items()
                    }
                )
                if buf.tell() > 64_000:
                    yield buf.getvalue()
                    buf.seek(0)
                    buf.truncate()
            yield buf.getvalue()

        return StreamingResponse(
            rows(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="esf-projekt.csv"'},
        )

    @router.get("/projekt/{project_id:path}", response_class=HTMLResponse)
    def project_page(request: Request, project_id: str) -> Response:
        raw = store.get_json(project_id) if len(project_id) <= 512 else None
        if raw is None:
            return render("not_found.html", status=404, project_id=project_id[:200])
        rec = Record.from_json(json.loads(raw))
        if not show_personal:
            rec = Redactor().redact(rec)
        chosen = (request.query_params.get("theme") or "")[:128]
        all_themes = [*rec.themes, *rec.theme_candidates]
        theme = next((t for t in all_themes if t.id == chosen), None)
        evidence = sorted(theme.evidence, key=lambda e: e.start) if theme else []
        segs = segments(
            rec.text,
            entities=[(e.start, e.end, e.label) for e in rec.entities],
            evidence=[(e.start, e.end) for e in evidence],
            anchors=[(s.start, f"avsnitt-{i}") for i, s in enumerate(rec.sections, 1)],
        )
        md = rec.to_json()["metadata"]
        metadata = [
            (METADATA_LABELS.get(k, k), _metadata_value(k, v)) for k, v in md.items() if v not in (None, [], "")
        ]
        similar_items: list[dict] = []
        index = index_or_none()
        if index is not None:
            try:
                similar_items = similar(
                    lambda n, f: index.query_ids([rec.id], k=n, filters=f), ProjectFilter(), {rec.id}
                )
            except KeyError:  # not (yet) in the index
                similar_items = []
            except Exception as exc:  # noqa: BLE001 - the rest of the page is still useful
                log.warning("similar projects for %r failed: %s", rec.id, exc)
        mine = {t.id for t in rec.themes}
        for it in similar_items:
            it["shared"] = [t for t in it["themes"] if t["id"] in mine]
        counts: dict[str, int] = {}
        for e in rec.entities:
            counts[e.label] = counts.get(e.label, 0) + 1
        return render(
            "project.html",
            rec=rec,
            metadata=metadata,
            segments=segs,
            theme=theme,
            evidence=evidence,
            chosen=chosen,
            similar=similar_items,
            has_index=index is not None,
            file_name=file_name(rec.source),
            record_json=json.dumps(rec.to_json(), ensure_ascii=False, indent=2),
            entity_counts=counts,
        )

    app.include_router(router)
    app.mount("/assets", StaticFiles(directory=str(HERE / "static")), name="web-assets")


# ----------------------------------------------------------------------------- charts


def _chart(key: str, title: str, rows: list[dict], wq: WebQuery) -> dict:
    """A theme × (region | year) table of bars; every cell links to the filtered list."""
    cols = sorted({r[key] for r in rows if r[key] is not None}, key=lambda v: str(v).casefold())
    labels: dict[str, str] = {}
    totals: dict[str, int] = {}
    cells: dict[tuple[str, Any], int] = {}
    for r in rows:
        if r[key] is None:
            continue
        labels[r["theme_id"]] = r["label"]
        totals[r["theme_id"]] = totals.get(r["theme_id"], 0) + int(r["count"])
        cells[(r["theme_id"], r[key])] = int(r["count"])
    top = max(cells.values(), default=1)
    themes = sorted(labels, key=lambda t: (-totals[t], labels[t]))
    grid = []
    for tid in themes:
        row = []
        for c in cols:
            n = cells.get((tid, c), 0)
            over = {"theme": tid, "sida": 1}
            over.update({"region": c} if key == "region" else {"start_year": c, "period_from": "", "period_to": ""})
            row.append(
                {
                    "count": n,
                    "pct": round(100 * n / top) if top else 0,
                    "href": "/?" + wq.params(**over) if n else None,
                    "col": c,
                }
            )
        grid.append({"id": tid, "label": labels[tid], "cells": row})
    return {
        "key": key,
        "title": title,
        "cols": cols,
        "rows": grid,
        "col_head": "Region" if key == "region" else "Startår",
    }
