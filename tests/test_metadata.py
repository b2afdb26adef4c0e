"""Metadata on the seeds (exact values) and on other layouts."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.metadata import MetadataExtractor
from pipeline.metadata import normalise as n

SEED_000 = {
    "owner": "Alingsås Futurum",
    "contact_person": "Lennart Anderberg",
    "email": "lennart.anderberg@alingsas.se",
    "phone": "0322 616901",
    "programme_area": "Programområde 1 Kompetensförsörjning",
    "phase": "Genomförande",
    "esf_support_sek": 4374500,
    "total_budget_sek": 4374500,
    "period_start": "2008-06-19",
    "period_end": "2010-02-05",
    "region": "Västsverige",
}
SEED_001 = {
    "contact_person": "Håkan Freijd",
    "email": "hakan@mtnab.com",
    "phone": "0220-12623",
    "programme_area": "Programområde 1 Kompetensförsörjning",
    "phase": "Förprojektering",
    "esf_support_sek": 1126379,
    "total_budget_sek": 1126379,
    "period_start": "2009-01-01",
    "period_end": "2009-05-01",
    "region": "Östra Mellansverige",
    "municipalities": ["Hallstahammar"],
    "participating_organisations": [
        "A.G Johanson Metallfabrik AB",
        "Finnveden Bulten Hallstahammar",
        "Hammarhälsan AB",
        "IDÈ-bild i Hallstahammar AB",
        "TPC Components AB",
    ],
}
SEED_003 = {
    "project_number": "2017/00434",
    "owner": "Avesta kommun, Kommunkansliet",
    "region": "Norra Mellansverige",
    "planned_participants": 2589,
    "period_start": "2018-02-01",
    "period_end": "2021-02-28",
    "total_budget_sek": 9142455,
    "esf_support_sek": 4297371,
    "contact_person": "Birgitta Hägg",
    "email": "birgitta.hagg@avesta.se",
    "postcode": "77481",
    "programme_area": "1",
    "specific_objective": "1.1",
    "cofinancing_rate": 0.5,
    "intervention_type": "117",
}


@pytest.mark.shared
@pytest.mark.parametrize(
    "seed,expected,title,name,rid",
    [
        ("000", SEED_000, "En resa för Alingsås", "En resa för Alingsås", None),
        ("001", SEED_001, "HP3", "HP3", None),
        ("003", SEED_003, "Vilka är vi?", "Vilka är vi?", "2017/00434"),
        (
            "002",
            {},
            "Dokumentation av konferens. Kompetenslyftet strategisk kompetensförsörjning för tillväxt",
            # the conference report's title is not the project's name; its prose names the project
            "Kompetenslyftet Strategisk kompetensförsörjning för tillväxt",
            None,
        ),
        ("004", {}, "Västkraft", "VästKraft", None),
    ],
)
def test_seed_metadata_exact(seed_records, seed, expected, title, name, rid):
    rec = seed_records[seed]
    meta = rec.to_json()["metadata"]
    assert meta.pop("project_name", None) == name
    munis = meta.pop("municipalities", None)
    exp = dict(expected)
    exp_munis = exp.pop("municipalities", None)
    assert meta == exp
    if seed == "000":
        assert munis is not None and len(munis) == 55 and munis[:3] == ["Ale", "Alingsås", "Bengtsfors"]
        assert munis[-1] == "Öckerö"
    else:
        assert munis == exp_munis
    assert rec.title == title
    if rid:
        assert rec.id == rid
    else:
        assert rec.id.endswith(rec.sha256[:8])


@pytest.mark.shared
def test_owner_saknas_is_not_an_owner(seed_records):
    assert seed_records["001"].metadata.owner is None


@pytest.fixture(scope="module")
def extractor():
    return MetadataExtractor.from_files("configs/labels.yaml", "configs/regions.yaml")


def test_title_is_the_line_that_heads_the_field_block(extractor):
    """A site banner above the project's name ("12 maj - Seminarium ...") is not the title: on a project
    page the name heads the block of labelled fields. A single label in running text is no block."""
    page = (
        "12 maj - Seminarium om arbetsmarknaden i Norrbotten\n\nLäs mer och anmäl dig.\n\n"
        "Framtidsbron\n\nProgramområde: Programområde 2 Ökat arbetskraftsutbud\nProjektfas: Genomförande\n"
        "Projektägare: Luleå kommun\nRegion: Övre Norrland\n\nSammanfattning\n\nProjektet stöttar unga."
    )
    meta, title = extractor.extract(page)
    assert title == "Framtidsbron"
    assert meta.owner == "Luleå kommun"
    prose = "Konferens om vägar till arbete\n\nProjektägare: Luleå kommun. Dagen handlade om unga och jobb."
    assert extractor.extract(prose)[1] == "Konferens om vägar till arbete"


def test_free_form_report_fields(extractor):
    text = (
        "Slutrapport för projektet Nya vägar\n\n"
        "Projektägare: Samordningsförbundet Norra Bohuslän\n"
        "Projektperiod: 1 januari 2016 – 31 december 2018\n"
        "Total budget: 12,3 miljoner kronor\n"
        "Beviljat stöd från Europeiska socialfonden: 6,1 miljoner kronor\n"
        "Kommuner: Strömstad, Tanum och Sotenäs\n"
        "Kontaktperson: Eva Lind, eva.lind@exempel.se, 0522-123 45\n\n"
        "Projektet har arbetat med långtidssjukskrivna."
    )
    meta, title = extractor.extract(text)
    assert title == "Slutrapport för projektet Nya vägar"
    assert meta.owner == "Samordningsförbundet Norra Bohuslän"
    assert (meta.period_start, meta.period_end) == (dt.date(2016, 1, 1), dt.date(2018, 12, 31))
    assert meta.total_budget_sek == 12_300_000
    assert meta.esf_support_sek == 6_100_000
    assert meta.municipalities == ["Strömstad", "Tanum", "Sotenäs"]
    assert meta.contact_person == "Eva Lind"
    # The contact line states e-mail and phone too; the region is never guessed.
    assert (meta.email, meta.phone) == ("eva.lind@exempel.se", "0522-123 45")
    assert meta.region is None


def test_values_on_next_line_and_empty_labels(extractor):
    text = "Namn:\nGröna jobb\nStödmottagarens address:\nProgramområde:\n2\nRegion:\nsmåland och öarna\n"
    meta, title = extractor.extract(text)
    assert title == "Gröna jobb"
    assert meta.programme_area == "2"
    assert meta.region == "Småland och öarna"
    assert meta.postcode is None


@pytest.mark.parametrize(
    "value,expected",
    [
        ("4 374 500 kr", 4374500),
        ("9 142 455", 9142455),
        ("12,3 miljoner kronor", 12300000),
        ("1,5 mnkr", 1500000),
        ("3.200.000 SEK", 3200000),
        ("ca 800 tkr", 800000),
        ("okänt", None),
    ],
)
def test_money(value, expected):
    assert n.parse_money(value) == expected


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2008-06-19 till 2010-02-05", (dt.date(2008, 6, 19), dt.date(2010, 2, 5))),
        ("2018-02-01 - 2021-02-28", (dt.date(2018, 2, 1), dt.date(2021, 2, 28))),
        ("15 mars 2019 – 14 mars 2022", (dt.date(2019, 3, 15), dt.date(2022, 3, 14))),
        ("pågår", (None, None)),
    ],
)
def test_period(value, expected):
    assert n.parse_period(value) == expected


@pytest.mark.parametrize(
    "text,name",
    [
        # news: the headline is no name; the prose gives it after a cue
        (
            "Kommunen får fem miljoner\n\nSocialfonden har beviljat pengar till arbetsmarknadsprojektet Nya Steg 2.0. "
            "Nya Steg 2.0 ska nå 80 unga.",
            "Nya Steg 2.0",
        ),
        (
            "Fler jobb i skogslänet\n\nProjektet har fått namnet ”Från skog till jobb” och pågår i tre år.",
            "Från skog till jobb",
        ),
        ("Lokala vägar\n\nSatsningen kallas Vägen framåt i Tierp och startar i mars.", "Vägen framåt i Tierp"),
        ("Om oss\n\nBroBygget var ett ESF-finansierat projekt med kommunen som ägare.", "BroBygget"),
        # a run into a place: the document repeats only the name
        (
            "Rapport\n\nESF-projektet Andra steget i Mora startade 2019. Deltagarna i Andra steget fick stöd.",
            "Andra steget",
        ),
        # ... also when the name with the place is repeated too: the name stands alone more often
        (
            "En utvärdering av tre år\n\nInnehåll: Företagsamma unga i Mora, bakgrund\n\n"
            "Jag har lett projektet Företagsamma unga, som startade 2019. Projektet Företagsamma unga i Mora "
            "nådde 40 deltagare. Företagsamma unga hade tre delar.",
            "Företagsamma unga",
        ),
        # names are capitalised words; a name may go on in capitals ("Care For ...")
        ("Nytt projekt\n\nKommunen driver ESF-projekt Care For Newcomers, som startar i maj.", "Care For Newcomers"),
        # an acronym the document spells out is given whole; another name's dash opens a subtitle
        (
            "Fler kvinnor i arbete\n\nANKA – Arbete nu för kvinnor i Ankeby\n\nProjektet ANKA har nått 90 deltagare.",
            "ANKA – Arbete nu för kvinnor i Ankeby",
        ),
        (
            "Ny satsning\n\nKommunen kallar projektet ALMA, som står för ”arbete, lärande, mentorskap”. "
            "ALMA startar i maj.",
            "ALMA – arbete, lärande, mentorskap",
        ),
        (
            "Utvärdering\n\nNya Steg – en utvärdering av tre år\n\nProjektet Nya Steg har nått 90 deltagare.",
            "Nya Steg",
        ),
        # a dash that opens a clause or the site's name spells nothing out
        ("Nyhet\n\nProjektet ANKA - som har pågått i tre år.\nANKA har nått 90 deltagare.", "ANKA"),
        # no cue, no name; "projektet ska" names nothing; the fund is no name
        ("Unga får stöd\n\nKommunen satsar på unga. Projektet ska nå 50 personer.", None),
        ("Nyhet\n\nProjektet Europeiska socialfonden.", None),
    ],
)
def test_project_name_from_prose(extractor, text, name):
    meta, title = extractor.extract(text)
    assert meta.project_name == name
    assert title != name  # the title stays the document's own heading


def test_the_site_name_after_a_heading_is_neither_name_nor_title(extractor):
    meta, title = extractor.extract("ANKA - Svenska ESF-rådet\n\nProjektet ANKA har nått 90 deltagare.")
    assert meta.project_name == "ANKA" and title == "ANKA"


def test_project_name_on_a_project_page_is_its_field_or_heading(extractor):
    fields = "Projektägare: Luleå kommun\nRegion: Övre Norrland\nProjektfas: Genomförande\n"
    page = "Framtidsbron\n\n" + fields + "\nProjektet Bron ska nå unga."
    assert extractor.extract(page)[0].project_name == "Framtidsbron"
    labelled = "Nyhet\n\nProjektnamn: Stegvis\n" + fields + "\nProjektet Bron ska nå unga."
    assert extractor.extract(labelled)[0].project_name == "Stegvis"
    # a heading above the fields is no name: the prose gives it
    report = "Bakgrund\n" + fields + "Projektet Bron är en satsning på unga."
    assert extractor.extract(report)[0].project_name == "Bron"


@pytest.mark.parametrize(
    "furniture",
    [
        "Skip to main content",
        "Gå direkt till innehåll",
        "12 mars 2024 10:15",
        "Artikeln publicerades 12 mars 2024",
        "Pressmeddelande -",
        "LULEÅ",  # a dateline
        "illustration av två personer vid ett bord",  # an image's alt text
    ],
)
def test_title_skips_the_furniture_above_a_headline(extractor, furniture):
    page = f"{furniture}\n\nKommunen får fem miljoner för unga\n\nProjektet Nya Steg ska nå 80 unga i Luleå."
    meta, title = extractor.extract(page)
    assert title == "Kommunen får fem miljoner för unga"
    assert meta.project_name == "Nya Steg"


def test_project_name_reads_only_the_start_of_a_long_text():
    from pipeline.metadata.project_name import MAX_CHARS, find_project_name

    filler = "Kommunen arbetar vidare med frågan. " * (MAX_CHARS // 36 + 1)
    assert find_project_name("Projektet Nya Steg ska nå unga. " + filler * 50) == "Nya Steg"
    assert find_project_name(filler + "Projektet Nya Steg ska nå unga.") is None
