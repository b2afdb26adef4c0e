#!/usr/bin/env python3
"""Build the sample PDF ``corpus/konferens_gransloest_foretagande.pdf``.

The PDF imitates a text-based (not scanned) conference documentation of an ESF project
(title page, Innehåll, Bakgrund, speaker sections, page numbers in the footer).
All people, organisations and numbers in it are invented.

Requirements
------------
* fpdf2 (``pip install fpdf2``; installed in the repo's .venv)
* A Unicode TrueType font: DejaVu Sans, regular and bold, i.e.
  ``/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf`` and
  ``/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf``
  (Debian/Ubuntu package ``fonts-dejavu-core``). Other locations can be
  given with the environment variable ``DEJAVU_DIR``. The font is embedded.

Usage::

    python scripts/make_corpus_pdf.py            # writes corpus/konferens_gransloest_foretagande.pdf
    python scripts/make_corpus_pdf.py OUT.pdf    # writes OUT.pdf

The output is deterministic (fixed creation date), so re-running the script
gives a byte-identical file.
"""

from __future__ import annotations

import datetime as _dt
import os
import sys
from pathlib import Path

from fpdf import FPDF

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "corpus" / "konferens_gransloest_foretagande.pdf"
FONT_DIR = Path(os.environ.get("DEJAVU_DIR", "/usr/share/fonts/truetype/dejavu"))
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"

TITLE = "Gränslöst företagande"
SUBTITLE = "Kvinnors företagande på landsbygden i Jämtland och Trøndelag"
RUNNING_HEAD = "Gränslöst företagande – dokumentation av konferens"

# --------------------------------------------------------------------------
# Content. Each section: (heading, [paragraphs]); a paragraph starting with
# "• " is rendered as a bullet, "FACT:" lines as a small fact block.
# "PAGEBREAK" forces a new page before the section.
# --------------------------------------------------------------------------
SECTIONS: list[tuple[str, list[str], bool]] = [
    (
        "Bakgrund",
        [
            "FACT:Projektnummer: 2017/00612",
            "FACT:Projektägare: Företagsforum Jämtland ekonomisk förening",
            "FACT:Projektperiod: 2018-01-15 – 2020-06-30",
            "FACT:Region: Mellersta Norrland",
            "FACT:Medverkande kommuner: Berg, Krokom, Strömsund och Åre",
            "Projektet Gränslöst företagande är en satsning på kvinnor som driver eller vill starta "
            "företag på landsbygden i Jämtlands län. Projektet finansieras av Europeiska socialfonden "
            "och drivs i samarbete med en partnerorganisation i Trøndelag i Norge. Under projekttiden "
            "har 164 kvinnor deltagit i rådgivning, nätverksträffar och utbildningar inom affärsutveckling, "
            "prissättning, digital försäljning och export till grannlandet.",
            "Bakgrunden är att andelen företag som drivs av kvinnor är betydligt lägre än andelen som drivs "
            "av män, trots att kvinnor i länet i genomsnitt har högre utbildning. Kvinnor som driver företag "
            "på landsbygden möter dessutom särskilda hinder: långa avstånd till rådgivning, svårare att få "
            "krediter och få förebilder i de traditionellt mansdominerade branscherna.",
        ],
        False,
    ),
    (
        "Syfte med konferensen",
        [
            "Konferensen samlade 86 deltagare: företagare, rådgivare, tjänstepersoner från kommunerna och "
            "representanter för de norska samarbetspartnerna. Syftet var att redovisa vad projektet har "
            "uppnått hittills, att låta deltagarna själva beskriva hinder och möjligheter och att samla "
            "idéer inför det sista projektåret. Dokumentationen återger anförandena i sammandrag.",
        ],
        False,
    ),
    (
        "Inledning – Karin Olausson, projektledare",
        [
            "Karin Olausson, projektledare för Gränslöst företagande, inledde dagen med att konstatera att "
            "intresset har varit större än väntat. Målet var 120 deltagare, men redan efter ett och ett halvt "
            "år var fler än 150 kvinnor inskrivna. – Det visar att behovet finns. Det handlar inte om att "
            "kvinnor saknar idéer, utan om att stödsystemen inte har varit byggda för dem, sade hon.",
            "Hon lyfte fram tre erfarenheter: att rådgivningen måste komma till företagarna och inte tvärtom, "
            "att nätverken mellan deltagarna har varit minst lika viktiga som utbildningarna och att samarbetet "
            "över riksgränsen har öppnat nya marknader för flera av företagen.",
        ],
        True,
    ),
    (
        "Ingrid Solheim, rådgivare, Bygdeutvikling Trøndelag",
        [
            "Ingrid Solheim berättade om hur landsbygdsföretagandet stöds på den norska sidan av gränsen. "
            "I Trøndelag har kommunerna sedan flera år gemensamma företagslotsar som hjälper nya företagare "
            "genom hela kedjan från affärsidé till första faktura. – Vi har lärt oss av er hur man bygger nätverk "
            "mellan företagarna, och ni har kunnat använda våra kontakter inom turism och livsmedel, sade hon.",
            "Under projekttiden har tre gemensamma studieresor genomförts och elva svenska företag har fått "
            "sina första kunder i Norge. Ingrid Solheim pekade också på hindren: tullregler, olika momssystem "
            "och krav på norsk företagsregistrering gör att många små företag drar sig för att sälja över gränsen.",
        ],
        False,
    ),
    (
        "Företagarpanelen",
        [
            "Tre deltagare i projektet delade med sig av sina erfarenheter i ett samtal som leddes av Karin Olausson.",
            "• Maria Jonsson driver ett gårdsmejeri utanför Krokom och säljer i dag ost till restauranger i både "
            "Åre och Trondheim. Hon beskrev mentorskapet i projektet som avgörande för att våga anställa.",
            "• Amal Yousef startade en cateringfirma i Strömsund för två år sedan. För henne var kurserna i "
            "bokföring och livsmedelshygien viktigast, liksom kontakten med andra kvinnor som driver företag.",
            "• Lena Persson-Ek är fjällguide i Åre och har utvecklat paketresor tillsammans med en norsk "
            "samarbetspartner. – Utan projektet hade jag aldrig hittat rätt kontakter på andra sidan gränsen.",
        ],
        False,
    ),
    (
        "Transnationellt samarbete",
        [
            "Anders Falk från Falk & Berg Utvärdering AB, som följeutvärderar projektet, redovisade en "
            "första analys av det transnationella samarbetet. Utbytet med Trøndelag har gett projektet nya "
            "metoder, bland annat en modell för gemensam rådgivning där en svensk och en norsk rådgivare "
            "träffar företagaren tillsammans. Utvärderingen visar att 70 procent av deltagarna som tagit del "
            "av de gränsöverskridande aktiviteterna anser att de har fått konkret nytta för sitt företag.",
            "Samtidigt pekade han på att samarbetet är personberoende. – Om de gemensamma metoderna ska leva "
            "vidare behöver de förankras hos kommunerna och i de ordinarie näringslivsorganisationerna på båda "
            "sidor av gränsen, sade Anders Falk.",
        ],
        False,
    ),
    (
        "Avslutande ord",
        [
            "Karin Olausson avslutade konferensen med att sammanfatta dagens viktigaste medskick: "
            "rådgivningen ska fortsätta att vara flexibel och komma till företagarna, det gemensamma "
            "arbetet med Trøndelag ska dokumenteras i en handbok, och kommunerna ska inbjudas att ta över "
            "ansvaret för nätverksträffarna efter projekttiden. Under våren 2020 genomförs en sista "
            "studieresa och en avslutande konferens i Trondheim.",
        ],
        False,
    ),
]

CREDITS = "Text och sammanställning: Företagsforum Jämtland. Foto: Elin Strand."


class ConferencePDF(FPDF):
    def header(self) -> None:  # noqa: D401 - fpdf hook
        if self.page_no() == 1:
            return
        self.set_font("DejaVu", "", 8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 6, RUNNING_HEAD, align="R", new_x="LMARGIN", new_y="NEXT")
        self.ln(4)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        if self.page_no() == 1:
            return
        self.set_y(-15)
        self.set_font("DejaVu", "", 9)
        self.cell(0, 10, str(self.page_no()), align="C")


def _check_fonts() -> None:
    missing = [p for p in (FONT_REGULAR, FONT_BOLD) if not p.is_file()]
    if missing:
        sys.exit(
            "Missing font file(s): "
            + ", ".join(str(p) for p in missing)
            + "\nInstall them with `apt-get install -y fonts-dejavu-core` or set DEJAVU_DIR."
        )


def build(toc_pages: dict[str, int]) -> tuple[ConferencePDF, dict[str, int]]:
    pdf = ConferencePDF(format="A4")
    pdf.set_creation_date(_dt.datetime(2019, 12, 2, 10, 0, 0, tzinfo=_dt.UTC))
    pdf.set_title(f"Dokumentation av konferens. {TITLE}")
    pdf.set_author("Företagsforum Jämtland ekonomisk förening")
    pdf.set_subject(SUBTITLE)
    pdf.set_lang("sv")
    pdf.add_font("DejaVu", "", str(FONT_REGULAR))
    pdf.add_font("DejaVu", "B", str(FONT_BOLD))
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(True, margin=22)

    # --- Page 1: title page ---------------------------------------------
    pdf.add_page()
    pdf.ln(45)
    pdf.set_font("DejaVu", "", 14)
    pdf.cell(0, 10, "Dokumentation av konferens", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("DejaVu", "B", 26)
    pdf.cell(0, 14, TITLE, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 13)
    pdf.multi_cell(0, 8, SUBTITLE, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.set_font("DejaVu", "", 12)
    pdf.cell(0, 8, "Jamtli, Östersund, 14 november 2019", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(60)
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(
        0,
        5,
        "Omslagsbild: Nätverksträff i Hammerdal under projektets första år. "
        "Foto: Elin Strand.\n"
        "Projektet Gränslöst företagande genomförs med stöd från Europeiska socialfonden.",
        align="C",
    )

    # --- Page 2: Innehåll (+ Bakgrund) --------------------------------------------------
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 18)
    pdf.cell(0, 12, "Innehåll", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 11)
    usable = pdf.w - pdf.l_margin - pdf.r_margin
    for heading, _paras, _brk in SECTIONS:
        num = str(toc_pages.get(heading, 0))
        pdf.cell(usable - 12, 8, heading, new_x="RIGHT", new_y="TOP")
        pdf.cell(12, 8, num, align="R", new_x="LMARGIN", new_y="NEXT")

    # --- content: Bakgrund follows the TOC on page 2 ----------------------
    pdf.ln(10)
    collected: dict[str, int] = {}
    first = True
    for heading, paras, page_break in SECTIONS:
        if page_break and not first:
            pdf.add_page()
        elif not first:
            pdf.ln(3)
        first = False
        # keep heading together with at least a few lines of text
        if pdf.get_y() > pdf.h - pdf.b_margin - 30:
            pdf.add_page()
        collected[heading] = pdf.page_no()
        pdf.set_font("DejaVu", "B", 13)
        pdf.multi_cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
        facts = [p[5:] for p in paras if p.startswith("FACT:")]
        if facts:
            pdf.set_font("DejaVu", "", 9.5)
            for fact in facts:
                pdf.multi_cell(0, 5, fact, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        pdf.set_font("DejaVu", "", 10.5)
        for para in paras:
            if para.startswith("FACT:"):
                continue
            if para.startswith("• "):
                pdf.set_x(pdf.l_margin + 4)
                pdf.multi_cell(0, 5.5, para, new_x="LMARGIN", new_y="NEXT")
            else:
                pdf.multi_cell(0, 5.5, para, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)

    pdf.ln(6)
    pdf.set_font("DejaVu", "", 8.5)
    pdf.multi_cell(0, 5, CREDITS, new_x="LMARGIN", new_y="NEXT")
    return pdf, collected


def main(argv: list[str]) -> int:
    _check_fonts()
    out = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    # two passes: the first collects the page of every heading for the TOC
    _, pages = build({})
    pdf, pages2 = build(pages)
    assert pages == pages2, "table of contents changed the layout"
    if not 3 <= pdf.pages_count <= 4:
        raise SystemExit(f"expected 3-4 pages, got {pdf.pages_count}")
    out.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(out))
    print(f"wrote {out} ({pdf.pages_count} pages)")
    for heading, page in pages.items():
        print(f"  p{page}: {heading}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
