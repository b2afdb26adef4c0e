"""Sections on the seeds: right keys and boundaries."""
from __future__ import annotations

import pytest

from pipeline.sections import SectionSplitter

EXPECTED = {
    "000": [("summary", "Sammanfattning", "och dess näringsliv."),
            ("background", "Bakgrund", "sitt sammanhang i övrigt (samhället)."),
            ("purpose", "Syfte", "samt reell kompetens."),
            ("goals", "Målsättning", "att \"alla är med\"."),
            ("accessibility", "Tillgänglighet för personer med funktionsnedsättning", "för personer med funktionshinder."),
            ("gender_equality", "Jämställdhetsintegrering", "fler män i stadskärnan."),
            ("transnational", "Transnationellt samarbete", "-"),
            ("municipalities", "Kommun", "• Öckerö")],
    "001": [("summary", "Sammanfattning", "i Hallstahammars kommun."),
            ("background", "Bakgrund", "medarbetare med låg utbildning."),
            ("purpose", "Syfte", "förändringar i arbetslivet."),
            ("goals", "Målsättning", "i Hallstahammars kommun."),
            ("expected_effects", "Förväntade mätbara effekter", "minska trögheten på arbetsmarknaden."),
            ("accessibility", "Tillgänglighet för personer med funktionsnedsättning", "tillgänglighet och funktionshinder."),
            ("participants", "Deltagande aktörer", "• TPC Components AB"),
            ("municipalities", "Kommun", "• Hallstahammar")],
    "003": [("purpose", "Syfte", "som underlag för dessa."),
            ("goals", "Mål", "arbetsmarknaden kommer i arbete."),
            ("background", "Bakgrund", "innefattar projektets målgrupp 2684 anställda."),
            ("background", "Kartläggning av nuläget", "skapa beredskap för ett gott mottagande."),
            ("organisation", "Projektets organisering", "ledning ansvarig för projektet."),
            ("implementation", "Projektfaser", "organisations- och strukturell nivå."),
            ("evaluation", "Uppföljning och utvärdering", "arbetsmarknaden på sina arbetsplatser.")],
    "004": [("other", "I krisens hjulspår", "vi är redo att gå vidare!"),
            ("other", "Fleraktörsprojekt", "och nya samarbetsformer."),
            ("other", "Kreativ kommunikation", "löpande informationsinsatser."),
            ("evaluation", "Följeforskning", "projektets webbplats www.vastkraft.org.")],
    "002": [("background", "Bakgrund", "Länsstyrelsen Västernorrland, Härnösand Tel")],
}


@pytest.mark.shared
@pytest.mark.parametrize("seed", sorted(EXPECTED))
def test_seed_sections(seed_records, seed):
    rec = seed_records[seed]
    got = [(s.key, s.heading) for s in rec.sections]
    assert got == [(k, h) for k, h, _ in EXPECTED[seed]]
    for sec, (_, heading, tail) in zip(rec.sections, EXPECTED[seed]):
        body = rec.text[sec.start:sec.end]
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
        ("purpose", "Syfte"), ("goals", "Mål"), ("background", "Bakgrund")]
    pdf_like = "Slutrapport\nSammanfattning\nProjektet gav resultat.\nGenomförande\nVi gjorde saker."
    assert [s.key for s in splitter.split(pdf_like, title="Slutrapport")] == ["summary", "implementation"]


def test_labels_are_not_headings(splitter):
    text = "Titel\n\nKommun:\nAlingsås\n\nRegion:\nVästsverige\n\nSammanfattning\n\nText här om projektet."
    assert [s.key for s in splitter.split(text)] == ["summary"]
