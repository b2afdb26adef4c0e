"""The web view (pipeline.web) through FastAPI's TestClient: every page renders, filters,
pagination, highlighting, escaping of hostile text, redaction, CSV, similar projects."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from store_fixtures import make_store_url, replicated_records, store_params

from pipeline.api import create_app
from pipeline.record import Entity, Evidence, Metadata, Record, Section, Theme
from pipeline.store import ProjectFilter, open_store
from pipeline.web.highlight import segments
from pipeline.web.views import file_name

shared = pytest.mark.shared
N = 30


class FakeIndex:
    """Word-overlap scores over the records; ignores filters (the web view re-checks them)."""

    def __init__(self, records):
        self.words = {r.id: set(re.findall(r"\w{4,}", r.text.casefold())) for r in records}

    def _rank(self, words, k):
        scored = [{"id": rid, "score": len(words & w) / (len(words | w) or 1)} for rid, w in self.words.items()]
        scored.sort(key=lambda x: (-x["score"], x["id"]))
        return scored[:k]

    def query_ids(self, ids, k=10, filters=None):
        return [[x for x in self._rank(self.words[i], k + 1) if x["id"] != i][:k] for i in ids]

    def query_text(self, text, k=10, filters=None):
        return self._rank(set(re.findall(r"\w{4,}", text.casefold())), k)


@pytest.fixture(scope="module")
def records():
    return list(replicated_records(N))


@pytest.fixture(scope="module")
def store(records, tmp_path_factory):
    st = open_store(tmp_path_factory.mktemp("web") / "store.sqlite")
    st.upsert_many(records)
    yield st
    st.close()


@pytest.fixture(scope="module")
def client(store, records):
    return TestClient(create_app(store, index=FakeIndex(records)))


@pytest.fixture(scope="module")
def client_personal(store, records):
    return TestClient(create_app(store, index=FakeIndex(records), show_personal=True))


def result_ids(page: str, section: str = "hits") -> list[str]:
    """Project ids linked from the result list of one section of a search page."""
    m = re.search(rf'<section class="{section}".*?</section>', page, re.DOTALL)
    assert m, f"no {section} section"
    return [html.unescape(x) for x in re.findall(r'<h3><a href="/projekt/([^"]+)">', m.group(0))]


def ids_of(recs) -> set[str]:
    return {r.id for r in recs}


# ----------------------------------------------------------------------------- pages


@shared
def test_every_page_renders_in_swedish(client, records):
    rec = next(r for r in records if r.themes)
    for url in ("/", "/?q=kommun", "/oversikt", f"/projekt/{rec.id}", f"/projekt/{rec.id}?theme={rec.themes[0].id}"):
        r = client.get(url)
        assert r.status_code == 200, url
        assert r.headers["content-type"].startswith("text/html")
        assert '<html lang="sv">' in r.text and 'href="#innehall"' in r.text and 'id="innehall"' in r.text
        assert 'href="/assets/style.css"' in r.text
    assert client.get("/assets/style.css").status_code == 200
    r = client.get("/projekt/finns-inte")
    assert r.status_code == 404 and "Projektet finns inte" in r.text
    # the API keeps its paths
    assert client.get("/projects", params={"limit": 1}).json()["total"] == N
    assert client.get("/docs").status_code == 200


@shared
@pytest.mark.parametrize("kind", store_params())
def test_pages_on_each_backend(kind, tmp_path, request, records):
    """SQLite always; PostgreSQL too when PIPELINE_TEST_PG_URL is set (CI): every page and
    every filter kind, including free text (each backend's full-text search) and start year."""
    recs = records[:12]
    with open_store(make_store_url(kind, tmp_path, request)) as st:
        st.upsert_many(recs)
        c = TestClient(create_app(st, index=FakeIndex(recs)))
        rec = next(r for r in recs[5:] if r.themes and r.metadata.region)
        year = rec.metadata.period_start.year
        params = {
            "theme": rec.themes[0].id,
            "region": rec.metadata.region,
            "start_year": year,
            "period_from": year,
            "min_budget": 1,
            "owner": rec.metadata.owner[:6],
        }
        page = c.get("/", params=params)
        assert page.status_code == 200 and rec.id in result_ids(page.text)
        want = set(st.ids(ProjectFilter(q="kommun")))
        assert set(result_ids(c.get("/", params={"q": "kommun"}).text)) == want and want
        assert c.get("/oversikt").status_code == 200
        assert c.get(f"/projekt/{rec.id}", params={"theme": rec.themes[0].id}).status_code == 200
        rows = list(csv.DictReader(io.StringIO(c.get("/export.csv", params=params).content.decode("utf-8-sig"))))
        assert rec.id in {r["id"] for r in rows}


@shared
def test_every_control_has_a_label(client, records):
    for url in ("/", "/oversikt", f"/projekt/{records[0].id}"):
        page = client.get(url).text
        ids = re.findall(r'<(?:input|select)[^>]* id="([^"]+)"', page)
        assert ids, url
        for i in ids:
            assert f'<label for="{i}"' in page, (url, i)


@shared
def test_filters_match_the_records(client, records):
    rec = next(r for r in records[5:] if r.themes and r.metadata.region)
    theme, region = rec.themes[0].id, rec.metadata.region
    want = ids_of(r for r in records if r.metadata.region == region and theme in {t.id for t in r.themes})
    page = client.get("/", params={"theme": theme, "region": region}).text
    assert set(result_ids(page)) == want and want
    # the form shows the query back (the URL holds it)
    assert f'<option value="{theme}" selected>' in page and f"<option selected>{region}</option>" in page

    lo, hi = 2_000_000, 9_000_000
    want = ids_of(
        r for r in records if r.metadata.total_budget_sek is not None and lo <= r.metadata.total_budget_sek <= hi
    )
    got = set(result_ids(client.get("/", params={"min_budget": "2 000 000", "max_budget": hi}).text))
    assert got == want and 0 < len(want) < N

    want = ids_of(
        r
        for r in records
        if r.metadata.period_start
        and r.metadata.period_start <= date(2012, 12, 31)
        and r.metadata.period_end >= date(2012, 1, 1)
    )
    got = set(result_ids(client.get("/", params={"period_from": "2012", "period_to": "2012"}).text))
    assert got == want and 0 < len(want) < N

    owner = records[7].metadata.owner
    want = ids_of(r for r in records if r.metadata.owner and owner.casefold() in r.metadata.owner.casefold())
    assert set(result_ids(client.get("/", params={"owner": owner}).text)) == want

    want = ids_of(r for r in records if r.metadata.period_start and r.metadata.period_start.year == 2010)
    assert set(result_ids(client.get("/", params={"start_year": "2010"}).text)) == want and want


@shared
def test_programme_area_filter(client, records):
    areas = {r.metadata.programme_area for r in records if r.metadata.programme_area}
    assert areas
    area = min(areas)
    page = client.get("/", params={"programme_area": area}).text
    assert set(result_ids(page)) == ids_of(r for r in records if r.metadata.programme_area == area)
    assert f"<option selected>{html.escape(area)}</option>" in page


@shared
def test_free_text_finds_matches_and_similar_projects(client, store, records):
    word = "nyanlända"
    page = client.get("/", params={"q": word}).text
    # the store decides what matches (full-text search); the page shows exactly that
    want = set(store.ids(ProjectFilter(q=word)))
    assert set(result_ids(page)) == want
    assert want >= ids_of(r for r in records if word in r.text.casefold().split()) and want
    similar = result_ids(page, "similar")
    assert similar and "Likhet" in page
    # the similar list obeys the filters, too
    region = records[6].metadata.region
    page = client.get("/", params={"q": word, "region": region}).text
    by_id = {r.id: r for r in records}
    assert all(by_id[i].metadata.region == region for i in result_ids(page, "similar"))


@shared
def test_pagination_keeps_the_query(client, records):
    first = client.get("/").text
    assert len(result_ids(first)) == 20 and "Sida 1 av 2" in first
    assert 'href="/?sida=2" rel="next"' in first
    second = client.get("/", params={"sida": 2}).text
    assert len(result_ids(second)) == N - 20 and 'rel="prev"' in second and 'rel="next"' not in second
    assert set(result_ids(first)).isdisjoint(result_ids(second))
    filtered = client.get("/", params={"q": "kommun", "min_budget": 1}).text
    if "Sida 1 av" in filtered and 'rel="next"' in filtered:
        assert re.search(r'href="/\?q=kommun&amp;min_budget=1&amp;sida=2" rel="next"', filtered)
    assert result_ids(client.get("/", params={"sida": 99}).text) == []


@shared
def test_bad_values_give_a_message_not_an_error(client):
    r = client.get("/", params={"period_from": "igår", "min_budget": "mycket", "sida": "x", "start_year": "20"})
    assert r.status_code == 200
    assert 'role="alert"' in r.text and "Period från" in r.text and "Lägsta budget" in r.text
    assert len(result_ids(r.text)) == 20  # the bad filters are dropped
    r = client.get("/", params={"period_from": "2020", "period_to": "2010"})
    assert r.status_code == 200 and "slutar före" in r.text
    assert client.get("/", params={"q": "x" * 5000}).status_code == 200


@shared
def test_theme_filter_names_a_theme(client, records):
    rec = next(r for r in records if r.themes)
    theme = rec.themes[0]
    want = ids_of(r for r in records if theme.id in {t.id for t in r.themes})
    # a label (any case) is read as its id, and the form shows it chosen
    page = client.get("/", params={"theme": theme.label.upper()}).text
    assert set(result_ids(page)) == want and f'<option value="{theme.id}" selected>' in page
    assert 'role="alert"' not in page
    # a theme that does not exist is said so, with the nearest one, and not used
    page = client.get("/", params={"theme": theme.id[:-1] + "x"}).text
    assert 'role="alert"' in page and "inget tema heter" in page and f"menade du {html.escape(theme.label)}" in page
    assert len(result_ids(page)) == 20
    page = client.get("/oversikt", params={"theme": "qqqqqq"}).text
    assert "inget tema heter" in page and "menade du" not in page
    # a download is not silently widened: it says what it could not use
    r = client.get("/export.csv", params={"theme": "qqqqqq"})
    assert r.status_code == 400 and "inget tema heter" in r.text and r.headers["content-type"].startswith("text/plain")
    r = client.get("/export.csv", params={"min_budget": "mycket"})
    assert r.status_code == 400 and "Lägsta budget" in r.text
    rows = list(
        csv.DictReader(io.StringIO(client.get("/export.csv", params={"theme": theme.label}).text.lstrip("\ufeff")))
    )
    assert {row["id"] for row in rows} == want


# ----------------------------------------------------------------------------- project page


def doctext_marks(page: str) -> tuple[str, set[int], dict[str, set[int]]]:
    """The plain text of the page's document text, the character positions inside an
    evidence ``<mark>``, and per entity label the positions inside its ``<span>``."""
    body = page.split('class="doctext"', 1)[1].split(">", 1)[1].split("</section>", 1)[0].rsplit("</div>", 1)[0]
    plain, pos, marked, ents = [], 0, set(), {}
    in_mark, label = False, None
    for tok in re.split(r"(<[^>]+>)", body):
        if tok.startswith("<mark"):
            in_mark = True
        elif tok == "</mark>":
            in_mark = False
        elif tok.startswith('<span class="ent ent-'):
            label = tok.split("ent-", 1)[1].split('"', 1)[0]
        elif tok == "</span>":
            label = None
        elif not tok.startswith("<"):
            t = html.unescape(tok)
            span = range(pos, pos + len(t))
            if in_mark:
                marked.update(span)
            if label:
                ents.setdefault(label, set()).update(span)
            plain.append(t)
            pos += len(t)
    return "".join(plain), marked, ents


@shared
def test_project_page_highlights_entities_and_chosen_theme_evidence(client_personal, records):
    rec = next(r for r in records if r.themes and r.themes[0].evidence and any(e.label == "ORG" for e in r.entities))
    text, marked, ents = doctext_marks(client_personal.get(f"/projekt/{rec.id}").text)
    assert text == rec.text  # the whole cleaned text, in order
    assert not marked  # no theme chosen: no evidence highlighted
    for label in {e.label for e in rec.entities}:
        want = {i for e in rec.entities if e.label == label for i in range(e.start, e.end)}
        assert ents[label] <= want and ents[label]

    theme = rec.themes[0]
    page = client_personal.get(f"/projekt/{rec.id}", params={"theme": theme.id}).text
    text, marked, _ = doctext_marks(page)
    assert text == rec.text
    assert marked == {i for e in theme.evidence for i in range(e.start, e.end)}
    assert 'id="belagg-1"' in page and '<a href="#belagg-1">' in page
    assert "aria-current" in page.split('class="chips"')[1].split("</ul>")[0]
    # an unknown theme: a message, nothing highlighted
    page = client_personal.get(f"/projekt/{rec.id}", params={"theme": "okand"}).text
    assert not doctext_marks(page)[1] and "inget tema med id" in page


@shared
def test_project_page_facts_similar_and_json(client_personal, records):
    rec = records[0]
    page = client_personal.get(f"/projekt/{rec.id}").text
    assert f"<code>{html.escape(file_name(rec.source))}</code>" in page
    assert rec.source.startswith("seeds/") and "seeds/" not in page.split("Källfil")[1].split("</tr>")[0]
    assert html.escape(rec.metadata.owner) in page and "Projektägare" in page
    assert html.escape(rec.summary[:60]) in page
    for s in rec.sections:
        assert html.escape(s.heading) in page
    aside = page.split('<aside class="similar"')[1]
    links = [html.unescape(x) for x in re.findall(r'href="/projekt/([^"]+)"', aside)]
    assert links and rec.id not in links
    assert "Likhet" in aside and "Gemensamma teman" in aside
    mine = {t.label for t in rec.themes}
    by_id = {r.id: r for r in records}
    for shared_cell, other in zip(re.findall(r"<dt>Gemensamma teman</dt><dd>(.*?)</dd>", aside), links):
        expect = [t.label for t in by_id[other].themes if t.label in mine]
        assert shared_cell == (", ".join(expect) if expect else "inga")
    js = html.unescape(page.split('<pre class="json" tabindex="0">')[1].split("</pre>")[0])
    assert json.loads(js)["id"] == rec.id


def test_file_name_never_shows_the_folder():
    assert file_name("/home/analyst/docs/projekt.txt") == "projekt.txt"
    assert file_name(r"C:\Users\analyst\projekt.pdf") == "projekt.pdf"
    assert file_name("projekt.html") == "projekt.html"


@shared
def test_without_an_index_the_pages_say_so(store, records):
    c = TestClient(create_app(store))
    assert "Inget likhetsindex" in c.get(f"/projekt/{records[0].id}").text
    page = c.get("/", params={"q": "kommun"}).text
    assert "Inget likhetsindex" in page and result_ids(page)


# ----------------------------------------------------------------------------- personal data


@shared
def test_personal_data_hidden_unless_show_personal(client, client_personal, records):
    rec = next(r for r in records if r.metadata.email and r.metadata.contact_person)
    hidden = client.get(f"/projekt/{rec.id}").text
    shown = client_personal.get(f"/projekt/{rec.id}").text
    for value in (rec.metadata.email, rec.metadata.contact_person):
        assert html.escape(value) in shown
        assert html.escape(value) not in hidden and value not in hidden
    assert "[E-POST]" in hidden and "Personuppgifter (kontaktpersoner" in hidden
    csv_hidden = client.get("/export.csv").text
    csv_shown = client_personal.get("/export.csv").text
    assert rec.metadata.email not in csv_hidden and rec.metadata.email in csv_shown


# ----------------------------------------------------------------------------- overview and CSV


@shared
def test_overview_cells_link_to_the_filtered_list(client, records):
    page = client.get("/oversikt").text
    assert page.count('<table class="bars">') == 2
    cells = re.findall(r'<a href="(/\?[^"]+)" aria-label="[^"]*: (\d+) projekt">', page)
    assert cells
    for href, n in cells[:6] + cells[-6:]:
        listed = client.get(html.unescape(href)).text
        assert re.search(rf"<p class=\"count\" role=\"status\">{n} projekt", listed), href
    # the overview obeys the filter
    region = records[8].metadata.region
    page = client.get("/oversikt", params={"region": region}).text
    want = sum(1 for r in records if r.metadata.region == region)
    assert f"{want} projekt i urvalet" in page


@shared
def test_csv_of_the_current_filter(client, store, records):
    region = records[9].metadata.region
    r = client.get("/export.csv", params={"region": region, "q": "kommun"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    want = set(store.ids(ProjectFilter(q="kommun", region=region)))
    assert {row["id"] for row in rows} == want and want
    assert {"themes", "total_budget_sek", "region"} <= set(rows[0])


@shared
def test_csv_pseudonyms_are_consistent_across_rows(client, records):
    """As export --redact-personal: one person, one pseudonym in every row; two people, two."""
    rows = {
        row["id"]: row for row in csv.DictReader(io.StringIO(client.get("/export.csv").content.decode("utf-8-sig")))
    }
    by_names: dict[frozenset, set] = {}
    for r in records:
        names = frozenset(e.text for e in r.entities if e.label == "PER")
        if names:
            persons = rows[r.id]["persons"]
            assert all(t.startswith("[PERSON-") for t in persons.split("; ")) and not any(n in persons for n in names)
            by_names.setdefault(names, set()).add(persons)
    assert len(by_names) > 1
    # rows of records that name the same people carry the same pseudonyms; other people other ones
    assert all(len(v) == 1 for v in by_names.values())
    assert len({next(iter(v)) for v in by_names.values()}) == len(by_names)


# ----------------------------------------------------------------------------- hostile text


EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _hostile_record() -> Record:
    text = f'Rubrik {EVIL}\nSyfte\nVi arbetar med jämställdhet {EVIL} i Ort<b>stad</b> med Kalle "Anka".\n'
    s = text.index("Vi arbetar")
    e = text.index("\n", s)
    org = text.index("Ort<b>")
    return Record(
        id='evil-"><svg onload=alert(1)>',
        source=f"/home/analys/{EVIL}.txt",
        sha256="0" * 64,
        format="txt",
        title=f"Projekt {EVIL}",
        text=text,
        metadata=Metadata(
            owner=f"Ägare {EVIL}",
            region=f"Region {EVIL}",
            programme_area=EVIL,
            total_budget_sek=1000,
            period_start=date(2020, 1, 1),
            period_end=date(2021, 1, 1),
        ),
        sections=[Section(key="purpose", heading=f"Syfte {EVIL}", start=text.index("Syfte"), end=len(text))],
        entities=[
            Entity(text="Ort<b>stad</b>", label="LOC", start=org, end=org + len("Ort<b>stad</b>")),
            Entity(text="x", label='ORG" onmouseover="alert(1)', start=0, end=6),
        ],
        themes=[
            Theme(
                id='jam"><script>',
                label=f"Jäm {EVIL}",
                score=0.9,
                evidence=[Evidence(text=text[s:e], start=s, end=e, section="purpose")],
            )
        ],
        summary=f"Sammanfattning {EVIL}",
        pipeline_version="test",
    )


def test_hostile_text_is_escaped_everywhere(tmp_path):
    rec = _hostile_record()
    with open_store(tmp_path / "s.sqlite") as st:
        st.upsert(rec)
        for show in (False, True):
            c = TestClient(create_app(st, index=FakeIndex([rec]), show_personal=show))
            pages = [
                c.get("/", params={"q": "arbetar"}).text,
                c.get("/", params={"q": EVIL}).text,
                c.get("/oversikt").text,
                c.get(f"/projekt/{rec.id}").text,
                c.get(f"/projekt/{rec.id}", params={"theme": rec.themes[0].id}).text,
                c.get(f"/projekt/{EVIL}").text,
            ]
            for page in pages:
                assert "<script>" not in page and "<img" not in page and "<svg" not in page and "<b>" not in page
                assert 'onmouseover="' not in page
            assert "&lt;script&gt;" in pages[3] and "Ort&lt;b&gt;stad&lt;/b&gt;" in pages[3]
            assert '<mark class="ev"' in pages[4]  # the evidence is still highlighted
            assert "Projekt &lt;script&gt;" in pages[0]


# ----------------------------------------------------------------------------- segments


def test_segments_cover_the_text_and_resolve_overlaps():
    text = "Arbetsförmedlingen i Umeå samverkar."
    ents = [(0, 18, "ORG"), (21, 25, "LOC"), (0, 10, "PER"), (30, 99, "LOC"), (5, 5, "ORG")]
    segs = segments(text, ents, evidence=[(15, 30), (-5, 3)], anchors=[(21, "a1"), (len(text), "slut")])
    assert "".join(s.text for s in segs) == text
    # the longer of two overlapping entities wins; spans are clipped to the text; empty ones ignored
    assert [(s.text, s.label, s.evidence) for s in segs] == [
        ("Arb", "ORG", 2),
        ("etsförm", "ORG", None),
        ("edlin", "ORG", None),
        ("gen", "ORG", 1),
        (" i ", None, 1),
        ("Umeå", "LOC", 1),
        (" samv", None, 1),
        ("erkar.", "LOC", None),
        ("", None, None),
    ]
    assert [s.anchors for s in segs] == [["belagg-2"], [], [], ["belagg-1"], [], ["a1"], [], [], ["slut"]]


def test_segments_of_plain_text():
    assert [(s.text, s.label, s.evidence) for s in segments("Ingen markering.")] == [("Ingen markering.", None, None)]
    assert segments("") == []
