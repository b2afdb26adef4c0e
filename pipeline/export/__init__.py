"""Exports of the project store: one row per project plus long-format tables.

``export_store(store, fmt, out, filters, redact_personal)`` writes

- ``jsonl``: ``OUT`` with one full record per line (the ``records.jsonl`` schema;
  re-importable with ``Store.import_jsonl``);
- ``csv`` / ``parquet``: ``OUT`` with one row per project (:data:`PROJECT_COLUMNS`,
  list-valued fields joined with ``"; "``), plus ``<stem>_themes.<ext>``
  (:data:`THEME_COLUMNS`, one row per project × theme) and ``<stem>_entities.<ext>``
  (:data:`ENTITY_COLUMNS`, one row per project × distinct entity) beside it.

CSV files are UTF-8 with a byte-order mark so spreadsheet programs show å, ä, ö.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Optional

from ..record import Record
from .redact import Redactor

FORMATS = ("jsonl", "csv", "parquet")
SEP = "; "

# (name, arrow type name) — arrow types used by the parquet writer
PROJECT_COLUMNS: list[tuple[str, str]] = [
    ("id", "string"),
    ("title", "string"),
    ("project_number", "string"),
    ("project_name", "string"),
    ("owner", "string"),
    ("region", "string"),
    ("programme_area", "string"),
    ("specific_objective", "string"),
    ("phase", "string"),
    ("intervention_type", "string"),
    ("period_start", "date"),
    ("period_end", "date"),
    ("esf_support_sek", "int"),
    ("total_budget_sek", "int"),
    ("planned_participants", "int"),
    ("cofinancing_rate", "float"),
    ("municipalities", "string"),
    ("participating_organisations", "string"),
    ("postcode", "string"),
    ("organisation_number", "string"),
    ("fund", "string"),
    ("nuts2", "string"),
    ("cci", "string"),
    ("secondary_themes", "string"),
    ("contact_person", "string"),
    ("email", "string"),
    ("phone", "string"),
    ("themes", "string"),
    ("theme_labels", "string"),
    ("theme_candidates", "string"),
    ("organisations", "string"),
    ("persons", "string"),
    ("locations", "string"),
    ("section_keys", "string"),
    ("summary", "string"),
    ("source", "string"),
    ("format", "string"),
    ("sha256", "string"),
    ("schema_version", "string"),
    ("pipeline_version", "string"),
]
THEME_COLUMNS: list[tuple[str, str]] = [
    ("project_id", "string"),
    ("kind", "string"),
    ("rank", "int"),
    ("theme_id", "string"),
    ("label", "string"),
    ("score", "float"),
    ("evidence_count", "int"),
    ("evidence", "string"),
    ("evidence_sections", "string"),
]
ENTITY_COLUMNS: list[tuple[str, str]] = [
    ("project_id", "string"),
    ("label", "string"),
    ("text", "string"),
    ("count", "int"),
]


def _join(values: Iterable[Any]) -> Optional[str]:
    vals = [str(v) for v in values if v not in (None, "")]
    return SEP.join(vals) if vals else None


def entity_summary(record: Record) -> list[tuple[str, str, int]]:
    """(label, text, count) per distinct entity: ``entity_counts`` if filled, else counted
    from ``entities``; ordered by label then descending count."""
    if record.entity_counts:
        items = [(e.label, e.text, e.count) for e in record.entity_counts]
    else:
        c = Counter((e.label, e.text) for e in record.entities)
        items = [(lab, txt, n) for (lab, txt), n in c.items()]
    return sorted(items, key=lambda x: (x[0], -x[2], x[1]))


def project_row(record: Record) -> dict[str, Any]:
    md = record.metadata
    ents = entity_summary(record)
    by_label = lambda *labels: _join(t for lab, t, _ in ents if lab.upper() in labels)  # noqa: E731
    row = dict(
        id=record.id,
        title=record.title,
        project_number=md.project_number,
        project_name=md.project_name,
        owner=md.owner,
        region=md.region,
        programme_area=md.programme_area,
        specific_objective=md.specific_objective,
        phase=md.phase,
        intervention_type=md.intervention_type,
        period_start=md.period_start,
        period_end=md.period_end,
        esf_support_sek=md.esf_support_sek,
        total_budget_sek=md.total_budget_sek,
        planned_participants=md.planned_participants,
        cofinancing_rate=md.cofinancing_rate,
        municipalities=_join(md.municipalities or []),
        participating_organisations=_join(md.participating_organisations or []),
        postcode=md.postcode,
        organisation_number=md.organisation_number,
        fund=md.fund,
        nuts2=md.nuts2,
        cci=md.cci,
        secondary_themes=_join(md.secondary_themes or []),
        contact_person=md.contact_person,
        email=md.email,
        phone=md.phone,
        themes=_join(t.id for t in record.themes),
        theme_labels=_join(t.label for t in record.themes),
        theme_candidates=_join(t.id for t in record.theme_candidates),
        organisations=by_label("ORG"),
        persons=by_label("PER", "PERSON"),
        locations=by_label("LOC"),
        section_keys=_join(dict.fromkeys(s.key for s in record.sections)),
        summary=record.summary,
        source=record.source,
        format=record.format,
        sha256=record.sha256,
        schema_version=record.schema_version,
        pipeline_version=record.pipeline_version,
    )
    assert list(row) == [c for c, _ in PROJECT_COLUMNS]
    return row


def theme_rows(record: Record) -> list[dict[str, Any]]:
    rows = []
    for kind, items in (("assigned", record.themes), ("candidate", record.theme_candidates)):
        for rank, t in enumerate(items, 1):
            rows.append(
                dict(
                    project_id=record.id,
                    kind=kind,
                    rank=rank,
                    theme_id=t.id,
                    label=t.label,
                    score=t.score,
                    evidence_count=len(t.evidence),
                    evidence=" | ".join(" ".join(e.text.split()) for e in t.evidence) or None,
                    evidence_sections=_join(dict.fromkeys(e.section for e in t.evidence if e.section)),
                )
            )
    return rows


def entity_rows(record: Record) -> list[dict[str, Any]]:
    return [dict(project_id=record.id, label=lab, text=txt, count=n) for lab, txt, n in entity_summary(record)]


# ----------------------------------------------------------------------------- writers


def _csv_value(v: Any) -> Any:
    if v is None:
        return ""
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


class _CsvWriter:
    def __init__(self, path: Path, columns: list[tuple[str, str]]):
        self.fh = open(path, "w", encoding="utf-8-sig", newline="")
        self.w = csv.DictWriter(self.fh, fieldnames=[c for c, _ in columns])
        self.w.writeheader()

    def write(self, rows: list[dict]) -> None:
        self.w.writerows({k: _csv_value(v) for k, v in r.items()} for r in rows)

    def close(self) -> None:
        self.fh.close()


class _ParquetWriter:
    def __init__(self, path: Path, columns: list[tuple[str, str]]):
        import pyarrow as pa
        import pyarrow.parquet as pq

        types = {"string": pa.string(), "int": pa.int64(), "float": pa.float64(), "date": pa.date32()}
        self.pa = pa
        self.schema = pa.schema([(c, types[t]) for c, t in columns])
        self.w = pq.ParquetWriter(str(path), self.schema)
        self.buf: list[dict] = []

    def write(self, rows: list[dict]) -> None:
        self.buf.extend(rows)
        if len(self.buf) >= 2000:
            self.flush()

    def flush(self) -> None:
        if self.buf:
            self.w.write_table(self.pa.Table.from_pylist(self.buf, schema=self.schema))
            self.buf = []

    def close(self) -> None:
        self.flush()
        self.w.close()


def side_paths(out: Path, fmt: str) -> tuple[Path, Path]:
    ext = "csv" if fmt == "csv" else "parquet"
    return out.with_name(f"{out.stem}_themes.{ext}"), out.with_name(f"{out.stem}_entities.{ext}")


def write_records(records: Iterable[Record], fmt: str, out: str | Path) -> dict[str, Any]:
    """Write ``records`` in ``fmt`` to ``out`` (+ long tables for csv/parquet).
    Returns ``{"rows": n, "files": [paths]}``."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    if fmt == "jsonl":
        with open(out, "w", encoding="utf-8") as fh:
            for r in records:
                fh.write(json.dumps(r.to_json(), ensure_ascii=False) + "\n")
                n += 1
        return {"rows": n, "files": [str(out)]}
    themes_path, entities_path = side_paths(out, fmt)
    W = _CsvWriter if fmt == "csv" else _ParquetWriter
    writers = [W(out, PROJECT_COLUMNS), W(themes_path, THEME_COLUMNS), W(entities_path, ENTITY_COLUMNS)]
    try:
        for r in records:
            writers[0].write([project_row(r)])
            writers[1].write(theme_rows(r))
            writers[2].write(entity_rows(r))
            n += 1
    finally:
        for w in writers:
            w.close()
    return {"rows": n, "files": [str(out), str(themes_path), str(entities_path)]}


def export_store(
    store: Any, fmt: str, out: str | Path, *, redact_personal: bool = False, **filters: Any
) -> dict[str, Any]:
    """Export the records of ``store`` matching ``filters`` (see ``ProjectFilter``)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    records: Iterator[Record] = store.iter_records(**filters)
    if redact_personal:
        # First pass: every person name in the exported set, so a name found in one
        # record is also removed where NER missed it in another.
        red = Redactor()
        for r in store.iter_records(**filters):
            red.add_record(r)
        records = (red.redact(r) for r in records)
    return write_records(records, fmt, out)


__all__ = [
    "ENTITY_COLUMNS",
    "FORMATS",
    "PROJECT_COLUMNS",
    "THEME_COLUMNS",
    "Redactor",
    "entity_rows",
    "export_store",
    "project_row",
    "theme_rows",
    "write_records",
]
