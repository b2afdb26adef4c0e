"""Sections on the seeds: right keys and boundaries."""

from __future__ import annotations

import pytest

from pipeline.sections import SectionSplitter

EXPECTED = {
    "000": [
        ("summary", "Sammanfattning", "och dess näringsliv."),
        ("background", "Bakgrund", "sitt sammanhang i övrigt (samhället)."),
        ("purpose", "Syfte", "samt reell kompetens."),
        ("goals", "Målsättning", 'att "alla är med".'),
        ("accessibility", "Tillgänglighet för personer med funktionsnedsättning", "för personer med funktionshinder."),
        ("gender_equality", "Jämställdhetsintegrering", "fler män i stadskärnan."),
        ("transnational", "Transnationellt samarbete", "-"),
        ("municipalities", "Kommun", "• Öckerö"),
    ],
    "001": [
        ("summary", "Sammanfattning", "i Hallstahammars kommun."),
        ("background", "Bakgrund", "medarbetare med låg utbildning."),
        ("purpose", "Syfte", "förändringar i arbetslivet."),
        ("goals", "Målsättning", "i Hallstahammars kommun."),
        ("expected_effects", "Förväntade mätbara effekter", "minska trögheten på arbetsmarknaden."),
        (
            "accessibility",
            "Tillgänglighet för personer med funktionsnedsättning",
            "tillgänglighet och funktionshinder.",
        ),
        ("participants", "Deltagande aktörer", "• TPC Components AB"),
        ("municipalities", "Kommun", "• Hallstahammar"),
    ],
    "003": [
        ("purpose", "Syfte", "som underlag för dessa."),
        ("goals", "Mål", "arbetsmarknaden kommer i arbete."),
        ("background", "Bakgrund", "innefattar projektets målgrupp 2684 anställda."),
        ("background", "Kartläggning av nuläget", "skapa beredskap för ett gott mottagande."),
        ("organisation", "Projektets organisering", "ledning ansvarig för projektet."),
        ("implementation", "Projektfaser", "organisations- och strukturell nivå."),
        ("evaluation", "Uppföljning och utvärdering", "arbetsmarknaden på sina arbetsplatser."),
    ],
    "004": [
        ("other", "I krisens hjulspår", "vi är redo att gå vidare!"),
        ("other", "Fleraktörsprojekt", "och nya samarbetsformer."),
        ("other", "Kreativ kommunikation", "löpande informationsinsatser."),
        ("evaluation", "Följeforskning", "projektets webbplats www.vastkraft.org."),
    ],
    # A PDF transcript (one line per page) whose page headings are lost: one is run into the
    # text, the others come back from its table of contents where that gives a page number.
    "002": [
        ("background", "Bakgrund", "Projektet pågår perioden"),
        ("purpose", "Syfte med konferensen", "prioriteringar inför det fortsatta arbetet."),
        ("other", "Inledande anföranden Sten-Olov Altin, länsråd", "olika aktiviteter i kommunerna."),
        ("other", "Solveig Hellquist, projektledare", "frågor inte är någon dagslända."),
        ("other", "Kommunerna har ordet Härnösand", "egennytta för alla bör eftersträvas."),
        ("other", "Kramfors", "där roller och mandat är tydliga."),
        ("other", "Sollefteå", "Länsstyrelsen Västernorrland, Härnösand Tel"),
    ],
}


@pytest.mark.shared
@pytest.mark.parametrize("seed", sorted(EXPECTED))
def test_seed_sections(seed_records, seed):
    rec = seed_records[seed]
    got = [(s.key, s.heading) for s in rec.sections]
    assert got == [(k, h) for k, h, _ in EXPECTED[seed]]
    for sec, (_, heading, tail) in zip(rec.sections, EXPECTED[seed]):
        body = rec.text[sec.start : sec.end]
        assert body.startswith(heading), body[:60]
        assert body.endswith(tail), body[-60:]
    # Sections are ordered and do not overlap.
    for a, b in zip(rec.sections, rec.sections[1:]):
        assert a.end <= b.start


@pytest.fixture(scope="module")
def splitter():
    return SectionSplitter.from_file("configs/sections.yaml", "configs/labels.yaml")


def test_heading_with_text_on_same_line_and_pdf_without_blank_lines(splitter):
    text = "Projekt X\n\nSyfte: Att ge unga jobb.\n\nMål: Hälften ska få arbete.\n\nBakgrund\nArbetslösheten är hög."
    assert [(s.key, s.heading) for s in splitter.split(text)] == [
        ("purpose", "Syfte"),
        ("goals", "Mål"),
        ("background", "Bakgrund"),
    ]
    pdf_like = "Slutrapport\nSammanfattning\nProjektet gav resultat.\nGenomförande\nVi gjorde saker."
    assert [s.key for s in splitter.split(pdf_like, title="Slutrapport")] == ["summary", "implementation"]


def test_labels_are_not_headings(splitter):
    text = "Titel\n\nKommun:\nAlingsås\n\nRegion:\nVästsverige\n\nSammanfattning\n\nText här om projektet."
    assert [s.key for s in splitter.split(text)] == ["summary"]


def test_heading_that_only_starts_like_a_label_is_a_heading(splitter):
    text = (
        "Titel\n\nKommun\nAlingsås och Lerum, två kommuner i länet.\n\n"
        "Kommunerna berättar\nFem kommuner beskrev sitt arbete med unga under konferensen."
    )
    assert [(s.key, s.heading) for s in splitter.split(text)] == [
        ("municipalities", "Kommun"),
        ("other", "Kommunerna berättar"),
    ]


def test_numbered_report_headings_but_not_numbered_list_items(splitter):
    text = (
        "Slutrapport Gröna spår\n"
        "1. Bakgrund\nMånga unga i Bergslagen lämnar gymnasiet utan examen och har svårt att få arbete.\n"
        "2. Syfte och mål\nAtt ge fyrtio unga en väg in i skogsnäringen genom praktik och kurser.\n"
        "Målen var:\n1. Fyrtio deltagare\n2. Trettio i arbete\n3. Tio företag som tar emot praktikanter\n"
        "2.3 Resultat\nTrettio av fyrtio deltagare hade arbete eller studerade ett halvår efter projektet.\n"
        "4 LÄRDOMAR FÖR FRAMTIDEN\nHandledarnas tid på arbetsplatserna var avgörande för resultaten.\n"
        "Projektet fick 36 miljoner kronor\nav Europeiska socialfonden, vilket räckte till fyra kommuner i länet."
    )
    got = [(s.key, s.heading) for s in splitter.split(text, title="Slutrapport Gröna spår")]
    assert got == [
        ("background", "1. Bakgrund"),
        ("purpose", "2. Syfte och mål"),
        ("expected_effects", "2.3 Resultat"),
        ("other", "4 LÄRDOMAR FÖR FRAMTIDEN"),
    ]
    for sec in splitter.split(text):
        assert text[sec.start : sec.end].startswith(sec.heading)


def test_heading_run_into_a_pdf_page_line(splitter):
    page = (
        "Bakgrund Projektet Gröna spår är en satsning mellan fyra kommuner i Bergslagen och skogsbolagen i "
        "länet för att fler unga ska få arbete. Projektet pågår under tre år Syfte med projektet Att ge "
        "fyrtio unga en väg in i skogsnäringen genom praktik, körkort och kurser i säkerhet. Vi har också "
        "arbetat med förväntade resultat som mäts varje halvår."
    )
    secs = splitter.split(f"Slutrapport\n\n{page}")
    assert [(s.key, s.heading) for s in secs] == [("background", "Bakgrund"), ("purpose", "Syfte med projektet")]
    text = f"Slutrapport\n\n{page}"
    assert text[secs[1].start :].startswith("Syfte med projektet Att ge")
    assert text[secs[0].start : secs[0].end].endswith("under tre år")
    # a lower-case mention ("förväntade resultat som") is not a heading
    assert len(splitter.split(page.replace("Syfte med projektet", "syfte med projektet"))) == 1


def test_long_pdf_report_gets_sections_and_no_table_of_contents(tmp_path):
    """A report PDF (built here with fpdf2) with a dotted table of contents and numbered headings."""
    from fpdf import FPDF

    from pipeline.config import load_config
    from pipeline.pipeline import Pipeline

    pdf = FPDF()

    def para(text, size=11, style=""):
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")

    headings = ["1. Bakgrund", "2. Syfte och mål", "2.1 Målgrupp", "3 Resultat", "Lärdomar för framtiden"]
    bodies = [
        "Många unga i Bergslagen lämnar gymnasiet utan examen och har svårt att få sitt första arbete. ",
        "Syftet var att ge fyrtio unga en väg in i skogsnäringen genom praktik, körkort och kurser. ",
        "Unga mellan 18 och 24 år som varken arbetar eller studerar, i fyra kommuner i norra Bergslagen. ",
        "Trettio av fyrtio deltagare hade arbete eller studerade ett halvår efter avslutat deltagande. ",
        "Handledarnas tid på arbetsplatserna var avgörande och måste finnas med i budgeten från början. ",
    ]
    pdf.add_page()
    para("Slutrapport Gröna spår i Bergslagen", 18, "B")
    pdf.add_page()
    para("Innehåll", 14, "B")
    for n, h in zip([3, 3, 4, 4, 5], headings):
        para(f"{h} {'.' * 30} {n}")
    pdf.add_page()
    for h, b in zip(headings, bodies):
        para(h, 13, "B")
        para(b * 3)
    path = tmp_path / "slutrapport.pdf"
    pdf.output(str(path))

    cfg = load_config()
    cfg["pipeline"]["stages"] = ["clean", "metadata", "sections"]
    rec = Pipeline(cfg).process_file(path)
    assert "Innehåll" not in rec.text and "....." not in rec.text
    assert [(s.key, s.heading) for s in rec.sections] == [
        ("background", "1. Bakgrund"),
        ("purpose", "2. Syfte och mål"),
        ("other", "2.1 Målgrupp"),
        ("expected_effects", "3 Resultat"),
        ("other", "Lärdomar för framtiden"),
    ]
    for sec, body in zip(rec.sections, bodies):
        assert body.strip() in " ".join(rec.text[sec.start : sec.end].split())
