"""Fixtures for the store / export / API tests.

Records are built from the real seed documents (``../shared/seeds``) with
simple regexes — enough metadata, sections, entities (incl. PER), themes with
evidence and a summary to exercise the registry side. Nothing of the seeds'
text is copied into the repository.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from pipeline.record import Entity, EntitySummary, Evidence, Metadata, Record, Section, Theme

ROOT = Path(__file__).resolve().parent.parent
SEEDS = (ROOT / ".." / "shared" / "seeds").resolve()

PG_ENV = "PIPELINE_TEST_PG_URL"

_FIELDS = {
    "owner": r"Projektägare:?\s*\n?([^\n]+)",
    "contact_person": r"Kontaktperson:?\s*\n?([^\n]+)",
    "email": r"E-post:?\s*\n?([^\s]+@[^\s]+)",
    "phone": r"Telefonnummer:?\s*\n?([0-9][0-9 \-]+[0-9])",
    "region": r"Region:?\s*\n?([^\n]+)",
    "project_number": r"Projektnummer:?\s*\n?([^\n]+)",
    "programme_area": r"Programområde:?\s*\n?([^\n]+)",
}
_HEADINGS = {"Sammanfattning": "summary", "Bakgrund": "background", "Syfte": "purpose", "Målsättning": "goals"}
_THEMES = {
    "kompetensforsorjning": ("Kompetensförsörjning", r"kompetensförsörjning|kompetensutveckling"),
    "jamstalldhet": ("Jämställdhet", r"jämställ"),
    "integration": ("Integration", r"nyanlända|integration|invandr"),
    "samverkan": ("Samverkan", r"samverka"),
}
_REGIONS = ["Västsverige", "Östra Mellansverige", "Norra Mellansverige", "Övre Norrland", "Skåne-Blekinge"]
_PER_RE = re.compile(
    r"\b([A-ZÅÄÖ][a-zåäöé]+(?:-[A-ZÅÄÖ][a-zåäöé]+)? [A-ZÅÄÖ][a-zåäöé]+(?: [A-ZÅÄÖ][a-zåäöé]+)?), [a-zåäö]"
)
_ORG_RE = re.compile(r"\b(Arbetsförmedlingen|Länsstyrelsen[ A-ZÅÄÖa-zåäö]*?|[A-ZÅÄÖ][a-zåäö]+ kommun)\b")


def seed_paths() -> list[Path]:
    paths = sorted(SEEDS.glob("*.txt"))
    assert paths, f"no seed documents in {SEEDS}"
    return paths


def record_from_text(doc_id: str, text: str, source: str, variant: int = 0) -> Record:
    """A plausible Record for ``text``; ``variant`` > 0 perturbs ids and fields
    (used to replicate the seeds into large stores)."""
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    md: dict = {}
    for key, pat in _FIELDS.items():
        m = re.search("(?m)^" + pat, text)
        if m and m.group(1).strip() and m.group(1).strip().lower() != "saknas":
            md[key] = m.group(1).strip()
    m = re.search(r"Projektperiod:?\s*\n?(\d{4}-\d\d-\d\d)\s*(?:till|-)\s*(\d{4}-\d\d-\d\d)", text)
    if m:
        md["period_start"], md["period_end"] = date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
    m = re.search(r"Total projektbudget:?\s*\n?([\d \xa0]+\d)", text)
    if m:
        md["total_budget_sek"] = int(re.sub(r"\D", "", m.group(1)))
    m = re.search(r"Beviljat ESF-stöd:?\s*\n?([\d \xa0]+\d)", text)
    if m:
        md["esf_support_sek"] = int(re.sub(r"\D", "", m.group(1)))
    if variant:
        md["region"] = _REGIONS[variant % len(_REGIONS)]
        md["owner"] = f"{md.get('owner', 'Organisation')} {variant % 50}"
        md["total_budget_sek"] = 500_000 + (variant * 7919) % 20_000_000
        y = 2008 + variant % 14
        md["period_start"], md["period_end"] = date(y, 1 + variant % 12, 1), date(y + 1 + variant % 3, 6, 30)
    md.setdefault("municipalities", None)

    sections = []
    heads = [(m.start(), m.end(), m.group(1)) for m in re.finditer(r"(?m)^({})$".format("|".join(_HEADINGS)), text)]
    for i, (s, _e, h) in enumerate(heads):
        end = heads[i + 1][0] if i + 1 < len(heads) else len(text)
        sections.append(Section(key=_HEADINGS[h], heading=h, start=s, end=end))

    ents: list[Entity] = []
    for m in _PER_RE.finditer(text):
        ents.append(Entity(text=m.group(1), label="PER", start=m.start(1), end=m.end(1)))
    if md.get("contact_person"):
        for m in re.finditer(re.escape(md["contact_person"]), text):
            ents.append(Entity(text=m.group(0), label="PER", start=m.start(), end=m.end(), source="metadata"))
    for m in _ORG_RE.finditer(text):
        ents.append(Entity(text=m.group(1), label="ORG", start=m.start(1), end=m.end(1), source="gazetteer"))
    if md.get("region"):
        for m in re.finditer(re.escape(md["region"]), text):
            ents.append(Entity(text=m.group(0), label="LOC", start=m.start(), end=m.end()))
    ents.sort(key=lambda e: (e.start, e.end))
    counts: dict = {}
    for e in ents:
        counts[(e.text, e.label)] = counts.get((e.text, e.label), 0) + 1
    entity_counts = [EntitySummary(text=t, label=lab, count=n) for (t, lab), n in counts.items()]

    def section_of(pos: int):
        for s in sections:
            if s.start <= pos < s.end:
                return s.key
        return None

    themes, cands = [], []
    for i, (tid, (label, pat)) in enumerate(_THEMES.items()):
        hits = list(re.finditer(pat, text, re.IGNORECASE))
        if variant and (variant + i) % 3 == 0:
            hits = hits[:1]
        if not hits:
            continue
        ev = []
        for h in hits[:3]:
            s = max(0, text.rfind(".", 0, h.start()) + 1)
            e = text.find(".", h.end())
            e = len(text) if e < 0 else e + 1
            s = min(s, h.start())
            ev.append(Evidence(text=text[s:e], start=s, end=e, section=section_of(h.start())))
        score = min(1.0, 0.3 + 0.1 * len(hits))
        (themes if len(hits) > 1 else cands).append(Theme(id=tid, label=label, score=round(score, 3), evidence=ev))
    # evidence that quotes the contact lines (so redaction must reach evidence, too)
    if md.get("email") and themes:
        i = text.find(md.get("contact_person") or md["email"])
        j = text.find("\n", text.find(md["email"]) + 1)
        if 0 <= i < j:
            themes[0].evidence.append(Evidence(text=text[i:j], start=i, end=j, section=None))

    title = next((ln.strip() for ln in text.splitlines() if ln.strip() and "Logotyp" not in ln), None)
    summary_src = " ".join(text[s.start : s.end] for s in sections if s.key == "summary")[:300] or text[:300]
    contact = ", ".join(md[k] for k in ("contact_person", "email", "phone") if md.get(k))
    summary = " ".join(summary_src.split()) + (f" Kontakt: {contact}." if contact else "")
    base_id = md.get("project_number") or doc_id  # like the pipeline: ids may contain "/"
    rid = base_id if not variant else f"{base_id}-{variant:05d}"
    return Record(
        id=rid,
        source=source,
        sha256=sha if not variant else hashlib.sha256(f"{sha}{variant}".encode()).hexdigest(),
        format="txt",
        title=title if not variant else f"{title} #{variant}",
        text=text,
        metadata=Metadata(**md),
        sections=sections,
        entities=ents,
        entity_counts=entity_counts,
        themes=themes,
        theme_candidates=cands,
        summary=summary,
        pipeline_version="test",
    )


def build_seed_records() -> list[Record]:
    out = []
    for p in seed_paths():
        text = p.read_text(encoding="utf-8")
        out.append(record_from_text(p.stem.split("_", 1)[1], text, f"seeds/{p.name}"))
    return out


def replicated_records(n: int) -> Iterator[Record]:
    """``n`` records: the seeds, then perturbed copies (distinct ids, regions, budgets, periods)."""
    texts = [(p.stem.split("_", 1)[1], p.read_text(encoding="utf-8"), f"seeds/{p.name}") for p in seed_paths()]
    for i in range(n):
        doc_id, text, source = texts[i % len(texts)]
        yield record_from_text(doc_id, text, source, variant=0 if i < len(texts) else i)


# ----------------------------------------------------------------------------- store params


def store_params() -> list:
    """sqlite always; postgresql when PIPELINE_TEST_PG_URL is set. In CI (CI=true) a
    missing URL is an error, not a skip."""
    params = [pytest.param("sqlite", id="sqlite")]
    if os.environ.get(PG_ENV) or os.environ.get("CI", "").lower() == "true":
        params.append(pytest.param("postgresql", id="postgresql"))
    return params


def require_pg_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f'CI=true but {PG_ENV} is not set: run `eval "$(.ci/postgres.sh)"` first')
        pytest.skip(f"{PG_ENV} not set")  # not reached: param only added when set
    return url


def pg_schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


class PgSchema:
    """A throw-away PostgreSQL schema; the store URL points at it via search_path."""

    def __init__(self, base_url: str):
        from sqlalchemy import create_engine, text

        self.base = base_url
        self.name = "t_" + uuid.uuid4().hex[:12]
        url = base_url.replace("postgresql://", "postgresql+psycopg://", 1)
        self._engine = create_engine(url)
        with self._engine.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{self.name}"'))
        self._text = text
        self.url = pg_schema_url(base_url, self.name)

    def drop(self) -> None:
        with self._engine.begin() as c:
            c.execute(self._text(f'DROP SCHEMA "{self.name}" CASCADE'))
        self._engine.dispose()


def make_store_url(kind: str, tmp_path: Path, request) -> str:
    """A fresh, empty store location of ``kind`` (cleaned up at test end)."""
    if kind == "sqlite":
        return str(tmp_path / f"store-{uuid.uuid4().hex[:6]}.sqlite")
    schema = PgSchema(require_pg_url())
    request.addfinalizer(schema.drop)
    return schema.url


@pytest.fixture(params=store_params())
def store_kind(request) -> str:
    return request.param


@pytest.fixture
def store_url_factory(store_kind, tmp_path, request):
    return lambda: make_store_url(store_kind, tmp_path, request)


@pytest.fixture
def store_url(store_url_factory) -> str:
    return store_url_factory()


@pytest.fixture(scope="session")
def seeds() -> list[Record]:
    return build_seed_records()
