"""Cleaning on the real seeds: furniture out, every content paragraph kept."""

from __future__ import annotations

import dataclasses
import re

import pytest
from conftest import seed_path

from pipeline.clean import CleanRules, clean_text
from pipeline.clean.rules import normalise

FURNITURE = [
    "Logotyp på utskrifter",
    "In English",
    "Storlek: px",
    "Starta visningen från sidan",
    'Download "',
    "Transkript",
    "Lär dig mer",
    "Information med anledning av covid-19",
    "Uppdaterad information",
    "information (1)",
    "[Skriv text]",
    "Den här hemsidan använder cookies",
]


@pytest.fixture(scope="module")
def rules():
    return CleanRules.from_files("configs/clean.yaml", "configs/labels.yaml")


@pytest.fixture(scope="module")
def short_rules(rules):
    """The rules with tables of contents removed whatever follows them (short test texts)."""
    return dataclasses.replace(rules, toc_min_following=0)


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def _content_paragraphs(raw: str, stop: str | None = None) -> list[str]:
    if stop:
        raw = raw[: raw.index(stop)]
    paras = [p.strip() for p in re.split(r"\n\s*\n", raw)]
    # Long paragraphs are content; strip PDF page numbers glued to both ends.
    out = []
    for p in paras:
        p = re.sub(r"^\d{1,3} ", "", p)
        p = re.sub(r" \d{1,3}$", "", p)
        lines = p.split("\n")
        if "cookies" in p:
            continue  # the cookie notice is furniture
        if re.match(r"(?i)innehåll(sförteckning)?\b", p):
            continue  # the table of contents is removed
        if len(p.split()) >= 12 and sum(len(x) < 60 for x in lines) <= len(lines) // 2:
            out.append(p)  # prose, not a label block or a list
    return out


@pytest.mark.shared
@pytest.mark.parametrize(
    "seed,stop",
    [("000", None), ("001", None), ("002", "VERKSAMHETSPLAN OCH BUDGET 2013"), ("003", None), ("004", None)],
)
def test_seed_furniture_removed_and_content_kept(rules, seed, stop):
    raw = seed_path(seed).read_text(encoding="utf-8")
    text = clean_text(raw, rules)
    for f in FURNITURE:
        assert f not in text, f"furniture {f!r} left in seed {seed}"
    assert not re.search(r"^\s*Läs mer\s*$", text, re.M), "stand-alone 'Läs mer' link left"
    assert not re.search(r"(?<!:\n)^\d{1,3}$", text, re.M), "page number line left"
    flat = _norm(text)
    paras = _content_paragraphs(raw, stop)
    assert paras
    for p in paras:
        assert _norm(normalise(p)) in flat, f"content paragraph lost in seed {seed}: {p[:80]!r}"


@pytest.mark.shared
def test_read_more_list_of_unrelated_documents_removed(rules):
    text = clean_text(seed_path("002").read_text(encoding="utf-8"), rules)
    for unrelated in [
        "VERKSAMHETSPLAN OCH BUDGET",
        "14 sätt att jobba jämt",
        "Matchning Södertörn",
        "karriärvägledning.se.nu",
    ]:
        assert unrelated not in text
    assert text.rstrip().endswith("Länsstyrelsen Västernorrland, Härnösand Tel")
    # Page numbers glued to page text are removed, the page text is kept.
    assert "\nBakgrund Projektet Kompetenslyftet" in text
    assert "4 Bakgrund" not in text


@pytest.mark.shared
def test_news_lead_duplicate_dropped_but_closing_sentence_kept(rules):
    text = clean_text(seed_path("004").read_text(encoding="utf-8"), rules)
    assert text.count("Hösten 2008 drog lågkonjunkturen") == 1
    assert "Läs mer om VästKraft i vår Projektbank" in text


@pytest.mark.shared
def test_glued_labels_repaired(rules):
    text = clean_text(seed_path("000").read_text(encoding="utf-8"), rules)
    assert "Beviljat ESF-stöd: 4 374 500 kr" in text
    assert "Programområde: Programområde 1 Kompetensförsörjning" in text
    assert "E-post: lennart.anderberg@alingsas.se" in text
    text1 = clean_text(seed_path("001").read_text(encoding="utf-8"), rules)
    assert "Projektägare: saknas" in text1


@pytest.mark.parametrize(
    "line,expected",
    [
        ("ProjektfasGenomförande", "Projektfas: Genomförande"),
        ("Total projektbudget12 000 kr", "Total projektbudget: 12 000 kr"),
        ("RegionSmåland och öarna", "Region: Småland och öarna"),
        ("Regionens arbete fortsätter", "Regionens arbete fortsätter"),  # an ordinary word, not a label
        ("Region Skåne deltar", "Region Skåne deltar"),
        ("Telefonnummer08-123 45 67", "Telefonnummer: 08-123 45 67"),
    ],
)
def test_glue_repair_generalises(rules, line, expected):
    assert (
        clean_text(f"Titel\n\n{line}\n\nEn vanlig mening om projektet som är lång nog.", rules).split("\n\n")[1]
        == expected
    )


def test_generic_furniture_variants(rules):
    raw = (
        "Logotyper för utskrift\n\nVi använder cookies för att webbplatsen ska fungera. Genom att fortsätta "
        "godkänner du detta.\n\nAcceptera\n\nStäng\n\nAnmäl dig till vårt webbinarium om ESF+ den 3 maj!\n\n"
        "Projekt Gröna jobb\n\nProjektet ger unga i Kiruna praktik inom besöksnäringen.\n\nSida 2 av 5\n\n"
        "• punkt ett\n● punkt två\n-punkt tre"
    )
    text = clean_text(raw, rules)
    assert text.split("\n\n")[0] == "Projekt Gröna jobb"
    assert "cookies" not in text and "webbinarium" not in text and "Sida 2" not in text
    assert "• punkt ett\n• punkt två\n• punkt tre" in text


def test_unicode_and_whitespace_normalised(rules):
    raw = "Titel\n\nJa\u0308mtland   och\u00a0Ha\u0308rjedalen med\u00adverkar.\r\nNy rad\t här."
    text = clean_text(raw, rules)
    assert "Jämtland och Härjedalen medverkar." in text
    assert "\r" not in text and "\t" not in text


def test_read_more_links_inside_text_do_not_cut_content(rules):
    raw = (
        "Nyhet om projektet\n\nFörsta stycket handlar om unga i Boden som får praktik.\n\nLäs mer\n\n"
        "Andra stycket handlar om handledare på arbetsplatserna i Boden.\n\nLäs mer\n\n"
        "Tredje stycket beskriver resultaten efter ett år med många fler ord i.\n\n"
        "Fjärde stycket avslutar artikeln med en kommentar från projektledaren."
    )
    text = clean_text(raw, rules)
    assert "Läs mer" not in text
    for part in ("Första stycket", "Andra stycket", "Tredje stycket", "Fjärde stycket"):
        assert part in text


@pytest.mark.shared
def test_seed_report_table_of_contents_removed(rules):
    text = clean_text(seed_path("002").read_text(encoding="utf-8"), rules)
    assert not re.search(r"(?im)^innehåll", text)
    assert "syfte... 4" not in text and "Kramfors...8" not in text
    assert text.split("\n\n")[3].startswith("Bakgrund Projektet")  # page 4, its page number gone too


REPORT_PAGES = [
    "Slutrapport för projektet Gröna spår i Bergslagen",
    "{toc}",
    "Sammanfattning Projektet har gett fyrtio unga en väg in i skogsnäringen genom praktik och kurser.",
    "Bakgrund Många unga i Bergslagen saknar gymnasieexamen och har svårt att få sitt första jobb.",
    "Resultat Trettio av deltagarna hade arbete eller studerade ett halvår efter projektet.",
]


@pytest.mark.parametrize(
    "toc",
    [
        "Innehåll Sammanfattning... 3 Bakgrund... 4 Resultat... 5",
        "Innehållsförteckning Sammanfattning 3 Bakgrund och behov 4 Genomförande 4-5 Resultat 5 Bilagor 7",
        "INNEHÅLLSFÖRTECKNING 1. Sammanfattning 3 2. Bakgrund 4 2.1 Målgrupp 4 3. Resultat 5",
    ],
)
def test_one_line_table_of_contents_of_a_pdf_transcript_removed(rules, short_rules, toc):
    pages = [f"{i} {p}" for i, p in enumerate([p.format(toc=toc) for p in REPORT_PAGES], start=1)]
    text = clean_text("\n\n".join(pages), short_rules)
    assert text.split("\n\n") == [p.format(toc="") for p in REPORT_PAGES if p != "{toc}"]
    # in a short excerpt the table of contents may be all there is of the chapters: kept
    assert toc in clean_text("\n\n".join(pages), rules)
    # a whole report goes on long enough to hold them: removed
    rest = "Trettio av fyrtio deltagare hade arbete eller studerade ett halvår efter projektet. " * 8
    text = clean_text("\n\n".join(pages + [f"{i} {rest}" for i in range(6, 12)]), rules)
    assert toc.split()[0] not in text and REPORT_PAGES[3] in text


def test_table_of_contents_continued_on_the_next_page_removed(short_rules):
    raw = (
        "Utvärdering av Gröna spår\n\n"
        "Innehåll Inledning 3 Uppdraget 4 Metod 6 Deltagarna 8 Handledarna 11\n\n"
        "Resultat för deltagarna 14 Resultat för företagen 17 Slutsatser 21 Bilagor 24\n\n"
        "Inledning Utvärderingen har följt projektet under tre år och bygger på intervjuer och enkäter."
    )
    assert clean_text(raw, short_rules).split("\n\n") == [
        "Utvärdering av Gröna spår",
        "Inledning Utvärderingen har följt projektet under tre år och bygger på intervjuer och enkäter.",
    ]


def test_table_of_contents_as_heading_and_entry_lines_removed(rules):
    raw = (
        "Slutrapport\n\nInnehåll\nSammanfattning .......... 3\nBakgrund .......... 4\n1.2 Syfte 5\n\n"
        "Sammanfattning\nProjektet gav fyrtio unga praktik i skogsnäringen under två år."
    )
    assert clean_text(raw, rules).split("\n\n") == [
        "Slutrapport",
        "Sammanfattning\nProjektet gav fyrtio unga praktik i skogsnäringen under två år.",
    ]


@pytest.mark.parametrize(
    "para",
    [
        "Innehållet i utbildningen bestämdes tillsammans med företagen 2019 och 2020 i tre steg, 4 dagar var.",
        "Innehåll Kursen omfattar 12 veckor. Deltagarna läser 3 moduler. Sedan följer 6 veckors praktik hos 4 företag.",
        "Sammanfattning... 3 Bakgrund... 4 Resultat... 5",  # entries without a heading are kept (excerpts)
    ],
)
def test_content_that_only_looks_like_a_table_of_contents_is_kept(rules, para):
    raw = f"Rapport om Gröna spår\n\n{para}\n\nEn vanlig mening om projektet som är lång nog att vara innehåll."
    assert para in clean_text(raw, rules)


def test_page_numbers_stripped_when_the_table_of_contents_page_is_dropped(short_rules):
    raw = (
        "1 Slutrapport Gröna spår i Bergslagen 2023\n\n"
        "2 Innehåll Sammanfattning... 3 Bakgrund... 3 Resultat... 4\n\n"
        "3 Sammanfattning Projektet har gett fyrtio unga en väg in i skogsnäringen genom praktik. 3"
    )
    assert clean_text(raw, short_rules).split("\n\n") == [
        "Slutrapport Gröna spår i Bergslagen 2023",
        "Sammanfattning Projektet har gett fyrtio unga en väg in i skogsnäringen genom praktik.",
    ]


TRANSCRIPT = [
    "1 Dokumentation av konferensen Gröna spår i Bergslagen",
    "2 Innehåll Bakgrund... 3 Skogsbolagen har ordet... 4 Ljusnarsberg... 5 Avslutning",
    "3 Bakgrund Projektet Gröna spår har gett fyrtio unga i Bergslagen praktik i skogsnäringen. 3",
    "4 Anna Berg, personalchef, berättade att skogsbolagen behöver fler maskinförare de närmaste åren. 4",
    "5 Per Holm, rektor, beskrev hur skolan i Ljusnarsberg ordnade körkortsutbildning för eleverna. 5",
]


def test_lost_page_headings_restored_from_the_table_of_contents(short_rules):
    rules = short_rules
    text = clean_text("\n\n".join(TRANSCRIPT), rules)
    assert text.split("\n\n")[1:] == [
        "Bakgrund Projektet Gröna spår har gett fyrtio unga i Bergslagen praktik i skogsnäringen.",  # has its heading
        "Skogsbolagen har ordet\nAnna Berg, personalchef, berättade att skogsbolagen behöver fler maskinförare "
        "de närmaste åren.",
        "Ljusnarsberg\nPer Holm, rektor, beskrev hur skolan i Ljusnarsberg ordnade körkortsutbildning för eleverna.",
    ]
    # a page that does not name its entry near the start (the numbers disagree) gets nothing
    other = TRANSCRIPT[:4] + ["5 Per Holm, rektor, beskrev hur skolan ordnade körkortsutbildning för eleverna. 5"]
    assert "Ljusnarsberg\n" not in clean_text("\n\n".join(other), rules)
    # and the config can turn it off
    off = dataclasses.replace(rules, toc_headings=False)
    assert "Skogsbolagen har ordet" not in clean_text("\n\n".join(TRANSCRIPT), off)


def test_restored_headings_become_sections(spine_with_text):
    more = [
        f"{i} Eleverna fick också prova på att planera gallring tillsammans med skogsbolagens planerare. " * 6
        for i in range(6, 12)
    ]  # the rest of the report
    rec = spine_with_text("\n\n".join(TRANSCRIPT + more))
    assert [(s.key, s.heading) for s in rec.sections] == [
        ("background", "Bakgrund"),
        ("other", "Skogsbolagen har ordet"),
        ("other", "Ljusnarsberg"),
    ]


@pytest.fixture
def spine_with_text(tmp_path):
    from pipeline.config import load_config
    from pipeline.pipeline import Pipeline

    cfg = load_config()
    cfg["pipeline"]["stages"] = ["clean", "metadata", "sections"]
    nlp = Pipeline(cfg)

    def run(text: str):
        path = tmp_path / "rapport.txt"
        path.write_text(text, encoding="utf-8")
        return nlp.process_file(path)

    return run


def test_download_wrapper_keeps_the_quoted_document_text(rules):
    text = (
        'Download "Slutrapport Projekt Vägen vidare. Projektperiod: 2010-03-01 2012-02-29 '
        'Diarienummer: 2010-3020099"\n\nProjektet har arbetat med unga arbetslösa i tre kommuner.\n\nDownload pdf'
    )
    out = clean_text(text, rules)
    assert "Download" not in out
    assert out.startswith("Slutrapport Projekt Vägen vidare. Projektperiod: 2010-03-01 2012-02-29")
    assert "Diarienummer: 2010-3020099" in out


def test_document_host_viewer_furniture_removed_and_page_text_kept_once(rules):
    """Document-hosting sites wrap a report in their viewer: save-as and upload/view/download
    buttons, an embed box, and each page's text behind "Page N:" (often the same snippet)."""
    snippet = "Vägen vidare har gett unga arbetslösa i tre kommuner praktik och handledning under två år"
    text = (
        "Slutrapport Vägen vidare\n\nSave this PDF as:\nWORD PNG TXT JPG\n\n"
        "• Upload\nothers\n\n• View\n\n• Download\n\nEmbed Size (px)\n\nCitation preview\n\n"
        f"Page 1: {snippet}\n\nProjektet drevs av Exempelby kommun.\n\nPage 2: {snippet}\n\n"
        "Page 3: Deltagarna fick stöd av en coach."
    )
    out = clean_text(text, rules)
    for furniture in ("Save this", "WORD PNG", "Upload", "others", "View", "Download", "Embed", "Citation", "Page "):
        assert furniture not in out, (furniture, out)
    assert out.count(snippet) == 1 and "Deltagarna fick stöd av en coach." in out
    assert out.startswith("Slutrapport Vägen vidare\n\n")
