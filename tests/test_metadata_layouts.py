"""Metadata from the layouts real documents use: bare label lines (print layout), ESF+ 2021-2027
pages, label runs on one line (PDF transcripts), and prose. All examples are written for these
tests (invented projects, people and figures)."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.metadata import MetadataExtractor
from pipeline.metadata import normalise as n
from pipeline.metadata.extract import plausible
from pipeline.record import Metadata


@pytest.fixture(scope="module")
def ex():
    return MetadataExtractor.from_files("configs/labels.yaml", "configs/regions.yaml")


def meta(ex, text):
    return ex.extract(text)[0]


# -- 1. label and value on separate lines, no colon ------------------------------------------------

PRINT_PAGE = """Logotyp på utskrifter

Broar till jobb

Programområde
2.1 Förbättrade möjligheter för arbetslösa
Region
Sydsverige
Projektägare
Kommunalförbundet Österlen
Projektnummer
2017/00812
Planerat antal deltagare
140
Projektperiod
2017-09-01-2020-08-31
Total projektbudget
8 415 200 kr
Beviljat ESF-stöd
4 207 600 kr
Kontaktperson
Maja Lindqvist
E-post
maja.lindqvist@osterlen.example.se

Sammanfattning

Projektet ska stödja arbetslösa vuxna på Österlen att närma sig arbetsmarknaden.
"""


def test_print_layout_label_lines_without_colons(ex):
    m = meta(ex, PRINT_PAGE)
    assert m.owner == "Kommunalförbundet Österlen"
    assert m.project_number == "2017/00812"
    assert m.planned_participants == 140
    assert (m.period_start, m.period_end) == (dt.date(2017, 9, 1), dt.date(2020, 8, 31))
    assert (m.total_budget_sek, m.esf_support_sek) == (8_415_200, 4_207_600)
    assert (m.contact_person, m.email) == ("Maja Lindqvist", "maja.lindqvist@osterlen.example.se")
    assert m.programme_area == "2.1 Förbättrade möjligheter för arbetslösa"
    assert m.region == "Sydsverige"


def test_print_layout_value_survives_cleaning():
    """A bare count under its label is the label's value, not a stray page number."""
    from pipeline.clean import Cleaner
    from pipeline.record import Record

    rec = Record(id="x", source="x.txt", sha256="0" * 64, format="txt", text=PRINT_PAGE.replace("140", "30"))
    cleaned = Cleaner({})(rec).text
    assert "Planerat antal deltagare\n30" in cleaned


def test_bare_heading_alone_is_not_a_label(ex):
    """A lone heading 'Projektägare' over a sentence is not a form: nothing is taken from it."""
    text = (
        "Nyheter om projektet\n\nProjektägare\nVi som arbetar i projektet träffas varje vecka.\n\n"
        "Region\nHär kommer en lång mening om regionen och dess arbetsmarknad som inte är ett värde."
    )
    m = meta(ex, text)
    assert m.owner is None and m.region is None


# -- 2. ESF+ 2021-2027 pages --------------------------------------------------------------------------

ESF_PLUS = """24-105-S07 - Vägen framåt

Diarienummer:
24-105-S07
Namn:
Vägen framåt
Startdatum:
2025-02-01
Slutdatum:
2027-12-31
Land som berörs:
Sverige
Berörd fond:
ESF+
Program CCI:
2021SE05SFPR
Projektägare organisationsnummer:
2120002114
Projektägare:
TRANÅSBYGDENS SAMORDNINGSFÖRBUND
Unionens medfinansieringsgrad:
40%
Programområde:
A
Specifikt mål:
A1B
Sekundärtema - Motverka barnfattigdom:
Ja
Sekundärtema - Jämställdhet i arbetslivet:
Nej
Region:
Småland och öarna
NUTS-2 kod:
SE21
Stödmottagare postnr:
57381
Stödmottagare ort:
TRANÅS
Interventionstyp:
138
Antal deltagare:
260
Insats av strategisk betydelse:
Nej
"""


def test_esf_plus_page(ex):
    m, title = ex.extract(ESF_PLUS)
    assert title == "Vägen framåt"
    assert m.project_number == "24-105-S07"
    assert (m.period_start, m.period_end) == (dt.date(2025, 2, 1), dt.date(2027, 12, 31))
    assert m.owner == "TRANÅSBYGDENS SAMORDNINGSFÖRBUND"
    assert m.organisation_number == "212000-2114"
    assert (m.fund, m.cci, m.nuts2) == ("ESF+", "2021SE05SFPR", "SE21")
    assert m.secondary_themes == ["Motverka barnfattigdom"]
    assert m.cofinancing_rate == 0.4
    assert (m.programme_area, m.specific_objective) == ("A", "A1B")
    assert m.planned_participants == 260
    assert (m.postcode, m.intervention_type) == ("57381", "138")
    assert m.region == "Småland och öarna"


def test_secondary_themes_all_nej_is_empty_list(ex):
    m = meta(ex, "Sekundärtema - Motverka barnfattigdom:\nNej\nSekundärtema - Social innovation: Nej\n")
    assert m.secondary_themes == []


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2120002114", "212000-2114"),
        ("212000-2114", "212000-2114"),
        ("16212000-2114", "212000-2114"),
        ("2120002115", None),  # check digit does not hold
        ("12345", None),
    ],
)
def test_organisation_number(value, expected):
    assert n.parse_organisation_number(value) == expected


@pytest.mark.parametrize(
    "value,expected",
    [("ESF+", "ESF+"), ("esf +", "ESF+"), ("Europeiska socialfonden", "ESF"), ("ESF", "ESF"), ("Regionalfonden", None)],
)
def test_fund(value, expected):
    assert n.parse_fund(value) == expected


# -- label runs on one line (transcripts, report headers) ----------------------------------------------


def test_labels_run_together_on_one_line(ex):
    text = (
        "Slutrapport Framtidsvägen\n"
        "Framtidsvägen ESF diarienummer 2016/00377 Projektägare: Hylte kommun Datum: "
        "Uppgiftslämnare: Sven Ek Projektägare: Karin Holm Kontaktuppgifter: e-post: sven.ek@hylte.example.se "
        "tfn: 0345-180 00\n"
        "Projektperiod: 2016-02-01 2018-01-31 Ort: Hyltebruk\n"
    )
    m = meta(ex, text)
    assert m.owner == "Hylte kommun"  # the first statement, not the signatory further on
    assert m.contact_person == "Sven Ek"
    assert (m.email, m.phone) == ("sven.ek@hylte.example.se", "0345-180 00")
    assert (m.period_start, m.period_end) == (dt.date(2016, 2, 1), dt.date(2018, 1, 31))
    assert m.project_number == "2016/00377"


def test_title_ends_before_the_fields_of_a_cover_page(ex):
    """A report's cover page as a PDF's text layer gives it: the first line runs on into fields
    whose values stand further down."""
    text = (
        "Slutrapport Brobygget. Projektperiod: Diarienummer: Anna Berg, projektledare\n\n"
        "Innehåll Sammanfattning 3 Bakgrund 4\n\n"
        "Projektet har drivits av Exempelby kommun.\n"
    )
    assert ex.extract(text)[1] == "Slutrapport Brobygget"
    plain = "Brobygget: en väg till arbete\n\nProjektet har drivits av Exempelby kommun.\n"
    assert ex.extract(plain)[1] == "Brobygget: en väg till arbete"  # no field label: kept whole


@pytest.mark.parametrize(
    "first, title",
    [
        ("Brobygget - Svenska ESF", "Brobygget"),  # the site's name after a web page's title
        ("Vägen in | ESF-rådet", "Vägen in"),
        ("Slutrapport Brobygget. Sammanfattning", "Slutrapport Brobygget"),  # a heading the text layer ran into
        # a cover page's date and authors (and their address)
        (
            "Utvärdering av Brobygget Delrapport 1. April 2019 Anna Berg, Nils Ek Exempelgatan 1",
            "Utvärdering av Brobygget Delrapport 1",
        ),
        ("Brobygget slutrapport juni 2014 Anna Berg Nils Ek", "Brobygget slutrapport"),
        # a cover page's kind in capitals after the title
        ("Digitalt lärande i vården 2016–2018 SLUTRAPPORT I ESF-PROJEKT DILÄR", "Digitalt lärande i vården 2016–2018"),
        ("Brobygget Slutrapport", "Brobygget Slutrapport"),  # a report word in the title itself stays
        # a date in a headline is not a cover page's
        ("Brobygget startar i juni 2024", "Brobygget startar i juni 2024"),
        ("Nytt projekt från mars 2024 i Exempelby kommun", "Nytt projekt från mars 2024 i Exempelby kommun"),
    ],
)
def test_title_ends_before_the_furniture_after_it(ex, first, title):
    assert ex.extract(f"{first}\n\nProjektet har drivits av Exempelby kommun sedan 2019.\n")[1] == title


@pytest.mark.parametrize(
    "heading, name",
    [
        ("Brobygget. Utvärdering/följeforskning Delrapport 2", "Brobygget"),
        ("#vägenin Unga till arbete 2016-2019 Slutrapport", "#vägenin Unga till arbete"),
        ("Extern utvärdering av projektet Brobygget", "Brobygget"),
        ("Slutrapport genomförande", None),  # a report word and a phase: no name
        ("Exempelby får 3 miljoner till unga", None),  # a headline is not a report's title
    ],
)
def test_a_report_without_a_name_in_its_text_is_named_by_its_title(ex, heading, name):
    text = f"{heading}\n\nUnga vuxna har fått stöd av handledare i tre år och många har fått arbete.\n"
    meta, title = ex.extract(text)
    assert meta.project_name == name and title == heading


def test_a_document_without_a_title_is_titled_by_the_project_name(ex):
    """A news item that opens with a long paragraph and states the project's name further on."""
    text = (
        "Exempelby kommun deltar i ett tvåårigt projekt finansierat av Europeiska socialfonden med syfte att "
        "stärka unga vuxnas väg till arbete. Genom att utbilda handledare hoppas man åstadkomma långsiktig "
        "förändring, och arbetet börjar redan i höst med en stor träff i kommunhuset.\n\n"
        "Projektet, som har fått namnet ”Vägen in”, består av två delar.\n"
    )
    meta, title = ex.extract(text)
    assert meta.project_name == "Vägen in" and title == "Vägen in"


def test_owner_value_ends_at_the_sentence(ex):
    m = meta(
        ex, "Projektägare: Länsstyrelsen i Gävleborg, Enheten för integration. Övriga parter är kommunerna i länet.\n"
    )
    assert m.owner == "Länsstyrelsen i Gävleborg, Enheten för integration"


# -- 3. prose -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence,owner",
    [
        ("Projektet drivs av Hylte kommun i samarbete med Arbetsförmedlingen.", "Hylte kommun"),
        ("Projektägare är Samordningsförbundet Västra Skaraborg.", "Samordningsförbundet Västra Skaraborg"),
        ("Folkhögskolan Gränsland är huvudman för projektet.", "Folkhögskolan Gränsland"),
        ("Piteå kommun har fått 4,5 miljoner kronor från Europeiska socialfonden för projektet.", "Piteå kommun"),
        ("Satsningen är möjlig eftersom Härnösands stift har tilldelats 12 miljoner kronor från ESF.", None),
        ("Arbetet leds av Cecilia Ström på Region Gotland som driver projektet.", "Region Gotland"),
        ("Bakom satsningen står Coompanion Gävleborg.", "Coompanion Gävleborg"),
        ("Förstudien genomförs i regi av Sollefteå kommun.", "Sollefteå kommun"),
        ("Det är Bodens kommuns projekt Ny start som ska ge stöd till unga i hela länet.", "Bodens kommun"),
        (
            "Inledning Vetlanda kommun har i samverkan mellan socialtjänsten, Arbetsförmedlingen och Försäkringskassan "
            "ansökt om och beviljats medel från Europeiska socialfonden.",
            "Vetlanda kommun",
        ),
        (
            "IMpuls var ett projekt med RFSU som projektägare. Det togs fram av Riksförbundet för sexuell "
            "upplysning (RFSU) som också var projektägare.",
            "Riksförbundet för sexuell upplysning (RFSU)",
        ),
    ],
)
def test_owner_in_prose(ex, sentence, owner):
    assert meta(ex, sentence).owner == owner


@pytest.mark.parametrize(
    "sentence",
    [
        "Svenska ESF-rådet är projektägare för utlysningen.",  # a funder
        "Anna Berg driver projektet med stort engagemang.",  # a person
        "Länsstyrelsen är huvudman och samordnare.",  # no name: one of many
        "Kommunerna Boden och Luleå har beviljats 9 miljoner kronor från ESF.",  # two owners
        "Projektet drivs gemensamt av Region Norrbotten och Luleå tekniska universitet.",
        "Projektet drivs av Nordkalk och Boliden.",  # two organisations
        "Badhuset i Åmål drivs av Åmåls Fritidsbolag.",  # not the project
        "Lekebergs kommun har fått ett kulturpris från EU för sitt bibliotek.",  # a prize, not a grant
        "Vägen Vidare har beviljats 4 miljoner kronor från ESF.",  # a name without an organisation word
    ],
)
def test_not_an_owner(ex, sentence):
    assert meta(ex, sentence).owner is None


def test_project_name_is_not_its_owner(ex):
    text = "Framtidsskolan Norr\n\nFramtidsskolan Norr har fått 3 miljoner kronor från Europeiska socialfonden."
    assert meta(ex, text).owner is None
    assert meta(ex, "Nyheter\n\n" + text.split("\n\n")[1]).owner == "Framtidsskolan Norr"


@pytest.mark.parametrize(
    "sentence,field",
    [
        ("Utlysningen pågår från 1 mars 2019 till 30 april 2019 och projekt kan söka.", "period_start"),
        ("Anmälan till konferensen om projektet är öppen till den 15 maj 2019.", "period_end"),
        ("300 personer ska delta i konferensen i Umeå.", "planned_participants"),
        ("För pressfrågor, kontakta Eva Sund, presschef, 070-111 22 33.", "contact_person"),
    ],
)
def test_not_the_projects(ex, sentence, field):
    assert getattr(meta(ex, sentence), field) is None


def test_owner_saknas_stops_prose(ex):
    m = meta(ex, "Projektägare: saknas\n\nFöreningen Framtid står som projektägare och samordnare.")
    assert m.owner is None


@pytest.mark.parametrize(
    "sentence,esf,total",
    [
        ("ESF-rådet har beviljat 25 miljoner kronor till projektet.", 25_000_000, None),
        (
            "Projektet får 7,4 mkr i stöd från Europeiska socialfonden, med en total budget på 15 miljoner kronor.",
            7_400_000,
            15_000_000,
        ),
        ("För projektet, som pågår i tre år, är det 3,2 miljoner som har beviljats från ESF.", 3_200_000, None),
        (
            "Budgeten uppgick till 18 miljoner kronor och med stöd från ESF om 8,6 miljoner kronor.",
            8_600_000,
            18_000_000,
        ),
        ("Europeiska socialfonden delar ut sex miljoner kronor till Tierps kommun.", 6_000_000, None),
        ("Kommunen sökte 30 miljoner kronor från ESF men beviljades 22 miljoner kronor från ESF.", 22_000_000, None),
        (
            "Försöksverksamheten får 2 miljoner kronor från ESF.",
            2_000_000,
            None,
        ),  # 'sök' inside a word is no application
        ("Projektet får omkring sex miljoner kronor från Europeiska socialfonden.", None, None),  # hedged
        ("Totalt fördelade ESF 84 miljoner kronor till tolv olika projekt i regionen.", None, None),  # not this project
        ("Svenska ESF-rådet har beviljat 55 miljoner kronor till projekt i Mellersta Norrland.", None, None),
        ("Mässan har en budget på 12 miljoner kronor i år.", None, None),  # not a project's budget
        (
            "Omsorgen fick ett bidrag på 2,4 miljoner kronor av Europeiska socialfonden till ett projekt om språk.",
            2_400_000,
            None,
        ),
        ("Fakta: EU-stöd genom Europeiska socialfonden, 9 miljoner kronor.", 9_000_000, None),
        ("Planen godkändes av ESF som gav oss de 11 miljoner projektet kostat.", 11_000_000, 11_000_000),
        ("Den totala budgeten uppgår till 25 miljoner varav ESF bidrar med 47%.", None, 25_000_000),
        (
            "Projektet har beviljats 3,2 miljoner kronor i ESF-stöd och kostar totalt 6,4 miljoner kronor.",
            3_200_000,
            6_400_000,
        ),
    ],
)
def test_money_in_prose(ex, sentence, esf, total):
    m = meta(ex, sentence)
    assert (m.esf_support_sek, m.total_budget_sek) == (esf, total)


def test_cofinancing_in_prose(ex):
    assert meta(ex, "Den totala budgeten uppgår till 25 miljoner varav ESF bidrar med 47%.").cofinancing_rate == 0.47


@pytest.mark.parametrize(
    "sentence,start,end",
    [
        ("Projektet pågår från 1 augusti 2016 till 31 december 2017.", dt.date(2016, 8, 1), dt.date(2017, 12, 31)),
        ("Projektperioden är 15 augusti 2016–31 december 2017.", dt.date(2016, 8, 15), dt.date(2017, 12, 31)),
        ("Satsningen kommer att pågå från den 1 september i år till 31 december 2022.", None, dt.date(2022, 12, 31)),
        ("Projektet pågår till den 28 februari 2023.", None, dt.date(2023, 2, 28)),
        ("Projektet startade den 3 mars 2019 och pågick i två år.", dt.date(2019, 3, 3), None),
        ("Projektet pågick mellan 1 mars 2016 och 28 februari 2019.", dt.date(2016, 3, 1), dt.date(2019, 2, 28)),
        (
            "Bild på deltagare\n\nLyftet Norr\n\n2022-03-01 till 2023-02-28. Projektet Lyftet Norr ska ...",
            dt.date(2022, 3, 1),
            dt.date(2023, 2, 28),
        ),
        (
            "Projektet startar i januari 2024 och pågår under 2024 och 2025.",
            None,
            None,
        ),  # months and years are no dates
    ],
)
def test_period_in_prose(ex, sentence, start, end):
    m = meta(ex, sentence)
    assert (m.period_start, m.period_end) == (start, end)


@pytest.mark.parametrize(
    "sentence,count",
    [
        ("340 deltagare ska delta i projektets aktiviteter.", 340),
        ("25 ungdomar kommer att delta i projektet.", 25),
        ("Projektet var tänkt att omfatta 150 personer under hela projekttiden.", 150),
        ("Projektet riktar sig till 90 unga som varken arbetar eller studerar.", 90),
        ("Omkring 60 personer kommer att få möjlighet att delta.", None),  # hedged
        ("I slutet av projektet hade 412 deltagare deltagit i aktiviteterna.", None),  # actual, not planned
        ("Målet var att 25 personer skulle få anställning.", None),  # an outcome target
    ],
)
def test_planned_participants_in_prose(ex, sentence, count):
    assert meta(ex, sentence).planned_participants == count


@pytest.mark.parametrize(
    "sentence,munis",
    [
        (
            "Projektet genomförs i kommunerna Simrishamn, Sjöbo, Tomelilla och Ystad.",
            ["Simrishamn", "Sjöbo", "Tomelilla", "Ystad"],
        ),
        ("Kommunerna Nora och Lindesberg har beviljats fem miljoner kronor till projektet.", ["Nora", "Lindesberg"]),
        (
            "Projektet drivs av de samordningsförbund som verkar i Kiruna, Gällivare och Pajala kommuner.",
            ["Kiruna", "Gällivare", "Pajala"],
        ),
        ("Ung framtid fanns i Kiruna, Gällivare och Pajala.", ["Kiruna", "Gällivare", "Pajala"]),
        (
            "Region Norrbotten driver projektet tillsammans med Kiruna, Gällivare och Pajala.",
            ["Kiruna", "Gällivare", "Pajala"],
        ),
        ("Verksamheten fanns i Kiruna och Pajala.", None),  # two places: too few
        (
            "Fem kommuner har deltagit i projektet: Tranås, Eksjö stad, Aneby, Nässjö och Vetlanda.",
            ["Tranås", "Eksjö", "Aneby", "Nässjö", "Vetlanda"],
        ),
        (
            "I Kalix, Överkalix och Haparanda arbetar kommunerna tillsammans med Arbetsförmedlingen.",
            ["Kalix", "Överkalix", "Haparanda"],
        ),
        ("Styrgruppen har representanter från kommunerna Simrishamn och Ystad.", None),  # not about the project
        ("Projektet genomförs i kommunerna Simrishamn och Österlenby.", None),  # not all municipalities
    ],
)
def test_municipalities_in_prose(ex, sentence, munis):
    assert meta(ex, sentence).municipalities == munis


def test_contact_block_in_any_order(ex):
    text = (
        "Projektet hjälper unga till arbete.\n\nKontakt\n\nandreas.holm@kommun.example.se\n"
        "Andreas Holm\nProjektledare\n070-123 45 67\n"
    )
    m = meta(ex, text)
    assert (m.contact_person, m.email, m.phone) == ("Andreas Holm", "andreas.holm@kommun.example.se", "070-123 45 67")


def test_press_contact_is_not_the_project_contact(ex):
    text = "Projektet avslutades i våras.\n\nFör mer information\nPer Nyström\nper.nystrom@kommun.example.se\n"
    assert meta(ex, text).contact_person is None


def test_label_with_parenthesis(ex):
    m = meta(ex, "Projektfakta\n\nProjektets totala budget (inklusive medfinansiering): 12 400 000 kronor\n")
    assert m.total_budget_sek == 12_400_000


def test_contact_in_prose_with_role(ex):
    assert meta(ex, "Kontakta gärna projektledaren Nils Ek om du vill veta mer.").contact_person == "Nils Ek"


def test_contact_in_prose(ex):
    m = meta(
        ex,
        "För mer information, kontakta Lena Borg, projektledare, 0910-73 50 00 eller lena.borg@skelleftea.example.se.",
    )
    assert (m.contact_person, m.phone, m.email) == ("Lena Borg", "0910-73 50 00", "lena.borg@skelleftea.example.se")


def test_prose_never_overrides_labels(ex):
    text = "Projektägare: Umeå kommun\n\nProjektet drivs av Västerbottens museum."
    assert meta(ex, text).owner == "Umeå kommun"


@pytest.mark.parametrize(
    "text", ["Projektnummer: 2019/00133\n", "Diarienummer: 2009-3010442\n", "Dnr 23-044-S02 gäller ansökan.\n"]
)
def test_project_number_forms(ex, text):
    assert meta(ex, text).project_number in ("2019/00133", "2009-3010442", "23-044-S02")


# -- issue 14 item 11: bounded, plausible values ------------------------------------------------------


def test_giant_owner_line_is_rejected(ex):
    text = "Projektägare: " + "Norrbyns utvecklingsförening " * 70_000 + "\nRegion: Stockholm\n"
    assert len(text) > 1_900_000
    m = meta(ex, text)
    assert m.owner is None
    assert m.region == "Stockholm"


@pytest.mark.parametrize(
    "field,value,ok",
    [
        ("owner", "Hylte kommun", True),
        ("owner", "x" * 201, False),
        ("contact_person", "[email protected]", False),
        ("contact_person", "Eva Lind", True),
        ("contact_person", "Ring 070-123 45 67", False),
        ("esf_support_sek", 4_000_000, True),
        ("esf_support_sek", 10**13, False),
        ("total_budget_sek", 1, False),
        ("planned_participants", 10**7, False),
        ("municipalities", ["Ale"] * 401, False),
        ("municipalities", ["Ale", "x" * 300], False),
        ("project_number", "2019/00133", True),
    ],
)
def test_plausible(field, value, ok):
    assert plausible(field, value) is ok


def test_bounded_values_in_metadata(ex):
    text = "Kontaktperson: " + "Eva " * 50 + "\nKommuner: " + ", ".join(["Ale"] * 500) + "\n"
    m = meta(ex, text)
    assert m.contact_person is None and m.municipalities is None
    assert isinstance(m, Metadata)
