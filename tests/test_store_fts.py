"""Full-text search in the store (``ProjectFilter.q``): SQLite FTS5 and PostgreSQL ``swedish``
full-text search, both backends (PostgreSQL when PIPELINE_TEST_PG_URL is set; always in CI).
The documents are sentences written for these tests."""

# ruff: noqa: F811  (fixtures are imported from store_fixtures and named as test arguments)
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text
from store_fixtures import store_kind, store_params, store_url, store_url_factory  # noqa: F401  (fixtures)

from pipeline.record import Evidence, Metadata, Record, Theme
from pipeline.store import ProjectFilter, open_store
from pipeline.store import schema as S
from pipeline.store.core import MAX_FTS_TERMS, fts_terms


def _rec(
    rid: str,
    title: str,
    body: str,
    region: str = "Västsverige",
    area: str | None = None,
    themes: tuple[str, ...] = (),
    owner: str = "Exempelby kommun",
) -> Record:
    return Record(
        id=rid,
        source=f"{rid}.txt",
        sha256=hashlib.sha256((rid + title + body).encode()).hexdigest(),
        format="txt",
        title=title,
        text=f"{title}\n\n{body}",
        metadata=Metadata(owner=owner, region=region, programme_area=area, project_name=title),
        themes=[
            Theme(id=t, label=t.capitalize(), score=0.8, evidence=[Evidence(text=title, start=0, end=len(title))])
            for t in themes
        ],
        summary=body.split(".")[0] + ".",
    )


DOCS = [
    _rec(
        "2019/00101",
        "Vägen in",
        "Projektet stödjer nyanlända kvinnor att hitta praktik i vården. Deltagarna får språkstöd under hela året.",
        themes=("integration",),
        area="Programområde 2",
    ),
    _rec(
        "2019/00102",
        "Digitala verktyg",
        "Äldre medarbetare i industrin får kompetensutveckling i digitala verktyg.",
        region="Stockholm",
        themes=("kompetensforsorjning",),
        area="Programområde 1",
    ),
    _rec(
        "2019/00103",
        "Unga i glesbygd",
        "Ungdomar utan gymnasieexamen i glesbygden får coachning och praktik. "
        "Nyanländas föräldrar bjuds in till informationsträffar.",
        region="Övre Norrland",
        themes=("unga", "integration"),
        area="Programområde 2",
    ),
    _rec(
        "2019/00104",
        "Jämställd arbetsplats",
        "Chefer utbildas i jämställdhet och likabehandling på arbetsplatsen.",
        region="Stockholm",
        themes=("jamstalldhet",),
        area="Programområde 1",
    ),
]


def _ids(st, **flt) -> list[str]:
    return [x["id"] for x in st.list_projects(ProjectFilter.of(**flt), limit=100)[1]]


@pytest.fixture
def st(store_url):
    s = open_store(store_url)
    s.upsert_many(DOCS)
    yield s
    s.close()


def test_terms_are_words_only():
    assert fts_terms("nyanländas") == [("nyanländas", "nyanländ", True)]
    assert fts_terms('"NEAR(unga* OR" ) -vården') == [
        ("near", "near", True),
        ("unga", "ung", True),
        ("or", "or", False),
        ("vården", "vård", True),
    ]
    assert fts_terms("och i att") == [] and fts_terms("  ()*\"'^:") == [] and fts_terms(None) == []
    assert len(fts_terms(" ".join(f"ord{i}" for i in range(100)))) == MAX_FTS_TERMS


def test_inflected_forms_match(st):
    # "nyanländas" (genitive) finds "nyanlända" and "Nyanländas"; "ungdomarna" finds "Ungdomar"
    assert sorted(_ids(st, q="nyanländas")) == ["2019/00101", "2019/00103"]
    assert _ids(st, q="ungdomarna") == ["2019/00103"]
    assert _ids(st, q="VÅRDEN") == ["2019/00101"]
    assert _ids(st, q="jämställdheten") == ["2019/00104"]
    assert _ids(st, q="kompetens") == ["2019/00102"]  # prefix of a compound: "kompetensutveckling"
    assert _ids(st, q="praktik glesbygd") == ["2019/00103"]  # every word must occur
    assert st.count(q="nyanlända") == 2 and sorted(st.ids(q="nyanlända")) == ["2019/00101", "2019/00103"]
    assert _ids(st, q="Exempelby") and len(_ids(st, q="Exempelby")) == 4  # the owner is searched, too


def test_ranking_more_matches_and_title_first(st):
    st.upsert(
        _rec(
            "2019/00105",
            "Praktik, praktik",
            "Praktik på arbetsplatser: praktikplatser och praktikanter, praktik varje vecka.",
        )
    )
    ranked = st.list_projects(ProjectFilter(q="praktik"), limit=10)[1]
    assert ranked[0]["id"] == "2019/00105"
    assert [x["rank"] for x in ranked] == sorted((x["rank"] for x in ranked), reverse=True)
    assert {x["id"] for x in ranked} == {"2019/00101", "2019/00103", "2019/00105"}
    # a word in the title outranks the same word once in the body
    st.upsert(_rec("2019/00106", "Coachning för alla", "Ett projekt om stöd."))
    assert _ids(st, q="coachning")[0] == "2019/00106"
    # without q: ordered by id, no rank
    plain = st.list_projects(ProjectFilter(), limit=3)[1]
    assert [x["id"] for x in plain] == ["2019/00101", "2019/00102", "2019/00103"] and "rank" not in plain[0]


def test_filters_combine_with_text(st):
    assert _ids(st, q="praktik", region="övre norrland") == ["2019/00103"]
    assert _ids(st, q="praktik", theme="unga") == ["2019/00103"]
    assert sorted(_ids(st, q="praktik", programme_area="PROGRAMOMRÅDE 2")) == ["2019/00101", "2019/00103"]
    assert _ids(st, q="praktik", programme_area="programområde 1") == []
    assert _ids(st, programme_area="programområde 1") == ["2019/00102", "2019/00104"]
    total, items = st.list_projects(ProjectFilter.of(q="nyanlända", region="Västsverige"), limit=1)
    assert total == 1 and items[0]["id"] == "2019/00101"
    total, items = st.list_projects(ProjectFilter.of(q="praktik"), limit=1, offset=1)
    assert total == 2 and len(items) == 1
    rows = st.theme_counts(ProjectFilter.of(q="nyanländas"), by=())
    assert {r["theme_id"]: r["count"] for r in rows} == {"integration": 2, "unga": 1}
    assert st.programme_areas() == ["Programområde 1", "Programområde 2"]


@pytest.mark.parametrize(
    "store_kind",
    [p for p in store_params() if p.id == "postgresql"]
    or [pytest.param("postgresql", marks=pytest.mark.skip(reason="PostgreSQL only: set PIPELINE_TEST_PG_URL"))],
)
def test_postgresql_ranks_closer_matches_first(st, store_kind):
    """PostgreSQL's cover density: the words next to each other rank above the same words far
    apart (SQLite's bm25 counts matches, not their distance; so PostgreSQL only)."""
    filler = " ".join(["Projektet arbetar med stöd och vägledning."] * 12)
    st.upsert(_rec("2021/00001", "Långt isär", f"Robotar i lagret. {filler} Lagret får sensorer."))
    st.upsert(_rec("2021/00002", "Nära", f"Robotar och sensorer i lagret. {filler}"))
    assert _ids(st, q="robotar sensorer") == ["2021/00002", "2021/00001"]


def test_ranked_pages_partition_the_matches(st):
    """Pages of a ranked query, with and without other filters, together give every match once,
    and the total counts them all."""
    for i in range(7):
        st.upsert(
            _rec(
                f"2020/{i:05d}",
                f"Praktik {i}",
                "Praktik och handledning. " * (i % 3 + 1),
                region="Stockholm" if i % 2 else "Västsverige",
            )
        )
    for flt in ({"q": "praktik"}, {"q": "praktik", "region": "stockholm"}, {"q": "praktik handledning"}):
        everything = st.list_projects(ProjectFilter.of(**flt), limit=100)
        pages = [st.list_projects(ProjectFilter.of(**flt), limit=3, offset=o) for o in range(0, 15, 3)]
        assert all(total == everything[0] for total, _ in pages)
        assert [x["id"] for _, items in pages for x in items] == [x["id"] for x in everything[1]]
        assert everything[0] == len(everything[1]) == st.count(**flt)
        assert st.list_projects(ProjectFilter.of(**flt), limit=3, offset=50) == (everything[0], [])


HOSTILE = [
    '"',
    "'",
    '""',
    "*",
    "**",
    "nyan*",
    "NEAR(nyanlända vården)",
    "NEAR",
    "nyanlända NEAR vården",
    "AND",
    "OR NOT",
    "(",
    ")",
    "((nyanlända",
    "nyanlända))",
    "{title}: vården",
    "title:vården",
    "body : x",
    "^vården",
    "-vården",
    "vården -",
    "a & b | !c",
    "a <-> b",
    "'nyanlända':*",
    "\\",
    "%_",
    "\x00",
    "nyan\x00lända",
    "och i att det",
    "🙂",
    "²³",
    "ß",
    "x" * 5000,
    " ".join(["vården"] * 500),
    "'; DROP TABLE projects; --",
    "1=1",
    "2019/00101",
]


@pytest.mark.parametrize("q", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_never_fails(st, q):
    total, items = st.list_projects(ProjectFilter(q=q), limit=5)
    assert total == st.count(q=q) == len(st.ids(q=q)) >= len(items)
    assert st.theme_counts(ProjectFilter(q=q)) is not None
    if not fts_terms(q):
        assert total == 0  # nothing searchable: no match (not everything)


@pytest.mark.parametrize("value", ["\x00", "a\x00b", "unga\x00"])
def test_nul_in_any_filter_is_no_error(st, value):
    """PostgreSQL refuses NUL in text: every string filter drops it (as writes do) instead of failing."""
    for key in ("theme", "region", "owner", "programme_area", "q"):
        flt = ProjectFilter.of(**{key: value})
        total, items = st.list_projects(flt)
        assert total == st.count(filter=flt) == len(items)
        assert st.theme_counts(flt) is not None
    assert _ids(st, theme=["unga\x00"]) == _ids(st, q="unga\x00") == ["2019/00103"]
    assert _ids(st, theme="\x00") == _ids(st, region="a\x00b") == []


def test_hostile_text_keeps_its_words(st):
    assert _ids(st, q="NEAR(vården") == [] and _ids(st, q="(vården") == ["2019/00101"]
    assert _ids(st, q='"vården"*') == ["2019/00101"] and _ids(st, q="vården -") == ["2019/00101"]


def test_index_follows_upsert_and_delete(st):
    assert _ids(st, q="robotik") == []
    changed = _rec(
        "2019/00102", "Digitala verktyg", "Äldre medarbetare lär sig robotik och automation.", region="Stockholm"
    )
    assert st.upsert(changed) == "updated"
    assert _ids(st, q="robotiken") == ["2019/00102"]
    assert _ids(st, q="kompetensutveckling") == []  # the old text is gone from the index
    assert st.upsert(changed) == "unchanged" and _ids(st, q="robotik") == ["2019/00102"]
    assert st.delete("2019/00102")
    assert _ids(st, q="robotik") == [] and st.count(q="digitala") == 0
    assert st.check() == []


def test_check_sees_a_stale_index(st, store_kind):
    """check() compares the searched text with the stored record."""
    with st.engine.begin() as conn:
        conn.execute(S.search_text.update().where(S.search_text.c.record_id == "2019/00101").values(body="annat"))
    assert any("search_text" in p for p in st.check())


# ----------------------------------------------------------------------------- redacted copy


def test_redacted_copy_is_written_with_the_record(store_url):
    """documents.redacted_json: the record as Redactor().redact makes it, rewritten on every upsert."""
    import json

    from pipeline.export.redact import Redactor

    st = open_store(store_url)
    rec = _rec(
        "2019/00201", "Kontakt", "Projektledare är Karin Lindqvist, karin.lindqvist@exempelby.se, telefon 0123-456 78."
    ).model_copy(
        update={
            "metadata": Metadata(
                owner="Exempelby kommun", contact_person="Karin Lindqvist", email="karin.lindqvist@exempelby.se"
            )
        }
    )
    st.upsert(rec)
    red = st.get_json(rec.id, redacted=True)
    assert json.loads(red) == Redactor().redact(rec).to_json()
    assert "Lindqvist" not in red and "@" not in red and "0123" not in red and "[PERSON-1]" in red
    assert "Lindqvist" in st.get_json(rec.id)  # the record itself is kept whole
    st.upsert(rec.model_copy(update={"title": "Kontakt med Sara Holm", "sha256": "0" * 64}))
    assert "Kontakt med Sara Holm" in st.get_json(rec.id, redacted=True)  # not a person entity: kept
    assert st.check() == []
    st.delete(rec.id)
    assert st.get_json(rec.id, redacted=True) is None
    st.close()


# ----------------------------------------------------------------------------- migrations v2, v3, v4 -> v5


def _downgrade(engine, to: str) -> None:
    """Turn a layout-v5 store into what layout ``to`` (4, 3 or 2) wrote (either backend)."""
    with engine.begin() as c:
        c.execute(text("ALTER TABLE projects DROP COLUMN project_name"))
        c.execute(text(f"UPDATE store_info SET value = '{to}' WHERE key = 'schema_version'"))
        if to == "4":
            return
        c.execute(text("ALTER TABLE documents DROP COLUMN redacted_json"))
        c.execute(text(f"UPDATE store_info SET value = '{to}' WHERE key = 'schema_version'"))
        if to == "3":
            return
        if engine.dialect.name == "sqlite":
            for name in ("search_text_ai", "search_text_ad", "search_text_au"):
                c.execute(text(f"DROP TRIGGER {name}"))
            c.execute(text("DROP TABLE search_fts"))
        c.execute(text("DROP TABLE search_text"))
        c.execute(text("DROP INDEX ix_projects_programme_area_norm"))
        c.execute(text("ALTER TABLE projects DROP COLUMN programme_area_norm"))
        c.execute(text("ALTER TABLE documents ADD COLUMN search_norm TEXT"))
        c.execute(text("UPDATE documents SET search_norm = lower(text)"))


@pytest.mark.parametrize("old", ["2", "3", "4"])
def test_old_store_is_migrated(store_url, old):
    st = open_store(store_url)
    st.upsert_many(DOCS)
    _downgrade(st.engine, old)
    st.close()
    st = open_store(store_url)  # migrates: programme-area column, full-text index, redacted records, project names
    with st.engine.connect() as c:
        assert c.execute(text("SELECT value FROM store_info WHERE key = 'schema_version'")).scalar() == "5"
        names = dict(c.execute(text("SELECT id, project_name FROM projects")).all())
    assert names == {r.id: r.title for r in DOCS}  # filled from the stored records
    assert "Exempelby" in st.get_json("2019/00101", redacted=True)
    assert sorted(_ids(st, q="nyanländas")) == ["2019/00101", "2019/00103"]
    assert _ids(st, programme_area="programområde 1") == ["2019/00102", "2019/00104"]
    assert st.check() == []
    st.upsert(_rec("2019/00107", "Nytt", "Robotik för nyanlända."))
    assert sorted(_ids(st, q="nyanlända")) == ["2019/00101", "2019/00103", "2019/00107"]
    st.close()
    st = open_store(store_url)  # opening again is a no-op
    assert st.count(q="robotik") == 1 and st.check() == []
    st.close()
