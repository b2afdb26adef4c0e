"""Word (.docx), OpenDocument (.odt) and RTF input (issue 15, item 1)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from conftest import CORPUS
from docx import Document
from odf.opendocument import OpenDocumentText
from odf.table import Table, TableCell, TableColumn, TableRow
from odf.text import H, LineBreak, List, ListItem, P

from pipeline.ingest import IngestError, read_document

TEXT_DOCS = sorted(p.name for p in CORPUS.glob("*.txt"))


def _blocks(text: str) -> list[tuple[str, str]]:
    """(kind, line) for each non-blank line: a short line before a long one is a heading."""
    lines = [ln for ln in text.split("\n") if ln.strip()]
    out = []
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        heading = len(line) < 40 and not line.endswith((":", ".")) and len(nxt) > 60
        out.append(("h" if heading else "p", line))
    return out


def write_docx(text: str, path: Path, title: str | None = None) -> Path:
    """A Word document as a person would type it: one paragraph per line, headings styled."""
    doc = Document()
    for kind, line in _blocks(text):
        doc.add_heading(line, level=2) if kind == "h" else doc.add_paragraph(line)
    if title:
        doc.core_properties.title = title
    doc.save(path)
    return path


def write_odt(text: str, path: Path) -> Path:
    doc = OpenDocumentText()
    for kind, line in _blocks(text):
        doc.text.addElement(H(outlinelevel=2, text=line) if kind == "h" else P(text=line))
    doc.save(str(path))
    return path


@pytest.fixture(scope="module")
def spine_nlp():
    from pipeline.config import load_config
    from pipeline.pipeline import Pipeline

    cfg = load_config()
    cfg["pipeline"]["stages"] = ["clean", "metadata", "sections"]
    return Pipeline(cfg)


def _sections(rec):
    return [(s.key, s.heading, " ".join(rec.text[s.start : s.end].split())) for s in rec.sections]


@pytest.mark.parametrize("name", TEXT_DOCS)
@pytest.mark.parametrize("fmt", ["docx", "odt"])
def test_office_version_of_a_corpus_document_gives_the_same_record(spine_nlp, tmp_path, name, fmt):
    src = CORPUS / name
    writer = write_docx if fmt == "docx" else write_odt
    office = writer(src.read_text(encoding="utf-8"), tmp_path / f"{src.stem}.{fmt}")
    ref, rec = spine_nlp.process_file(src), spine_nlp.process_file(office)
    assert rec.format == fmt
    assert rec.metadata == ref.metadata
    assert rec.title == ref.title
    assert rec.sections and _sections(rec) == _sections(ref)


DOC_TEXT = """Projektnamn: Gröna jobb i skärgården
Projektnummer: 2022/00731
Projektägare: Värmdö kommun
Kontaktperson: Tove Lindqvist
Projektperiod: 2022-09-01 - 2025-08-31
"""


def test_docx_tables_headings_lists_and_line_breaks(tmp_path, spine_nlp):
    doc = Document()
    doc.add_heading("Gröna jobb i skärgården", level=1)
    table = doc.add_table(rows=0, cols=2)
    for line in DOC_TEXT.strip().split("\n"):
        label, value = line.split(": ")
        row = table.add_row().cells
        row[0].text, row[1].text = label, value
    doc.add_heading("Bakgrund", level=2)
    p = doc.add_paragraph("Många unga i skärgården saknar arbete under vinterhalvåret.")
    p.add_run().add_break()
    p.add_run("Företagen har svårt att hitta personal med rätt utbildning.")
    doc.add_heading("Syfte", level=2)
    doc.add_paragraph("Att ge unga en väg in i det gröna näringslivet genom praktik och kurser.")
    doc.add_paragraph("Praktik på lokala företag", style="List Bullet")
    grid = doc.add_table(rows=2, cols=3)
    for r, vals in enumerate([("Aktivitet", "Deltagare", "Period"), ("Båtkurs", "24", "Våren 2023")]):
        for c, v in enumerate(vals):
            grid.rows[r].cells[c].text = v
    doc.core_properties.title = "Gröna jobb"
    path = tmp_path / "ansokan.docx"
    doc.save(path)

    raw = read_document(path)
    assert raw.format == "docx" and raw.title_hint == "Gröna jobb"
    assert "Projektnummer: 2022/00731\nProjektägare: Värmdö kommun" in raw.text
    assert "vinterhalvåret.\nFöretagen" in raw.text  # a line break inside a paragraph
    assert "Aktivitet | Deltagare | Period\nBåtkurs | 24 | Våren 2023" in raw.text
    assert raw.text.index("Bakgrund") < raw.text.index("Syfte") < raw.text.index("Praktik på lokala")

    rec = spine_nlp.process_file(path)
    md = rec.metadata
    assert (md.project_number, md.owner, md.contact_person) == ("2022/00731", "Värmdö kommun", "Tove Lindqvist")
    assert str(md.period_start) == "2022-09-01"
    assert [s.key for s in rec.sections][:2] == ["background", "purpose"]


def test_odt_tables_lists_and_line_breaks(tmp_path):
    doc = OpenDocumentText()
    doc.text.addElement(H(outlinelevel=1, text="Gröna jobb i skärgården"))
    table = Table(name="Fakta")
    table.addElement(TableColumn(numbercolumnsrepeated=2))
    for line in DOC_TEXT.strip().split("\n"):
        label, value = line.split(": ")
        row = TableRow()
        for v in (label, value):
            cell = TableCell()
            cell.addElement(P(text=v))
            row.addElement(cell)
        table.addElement(row)
    doc.text.addElement(table)
    doc.text.addElement(H(outlinelevel=2, text="Bakgrund"))
    p = P(text="Många unga i skärgården saknar arbete under vinterhalvåret.")
    p.addElement(LineBreak())
    p.addText("Företagen har svårt att hitta personal.")
    doc.text.addElement(p)
    lst = List()
    item = ListItem()
    item.addElement(P(text="Praktik på lokala företag"))
    lst.addElement(item)
    doc.text.addElement(lst)
    path = tmp_path / "ansokan.odt"
    doc.save(str(path))

    raw = read_document(path)
    assert raw.format == "odt"
    assert "Projektnummer: 2022/00731\nProjektägare: Värmdö kommun" in raw.text
    assert "vinterhalvåret.\nFöretagen" in raw.text
    assert raw.text.endswith("Praktik på lokala företag")


RTF = (
    rb"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Calibri;}}"
    rb"{\b Projekt\'e4gare:} Gotlands kommun\par "
    rb"Projektnummer: 2021/00412\par\par "
    rb"Bakgrund\par "
    rb"P\'e5 \'f6n finns f\u228?rre arbetstillf\'e4llen f\'f6r unga under vintern.\par "
    rb"\trowd\cellx2000\cellx4000 Region:\cell Gotland\cell\row "
    rb"\trowd\cellx2000\cellx4000 Kontaktperson\cell Nils Ek\cell\row }"
)


def test_rtf_text_and_swedish_letters(tmp_path, spine_nlp):
    path = tmp_path / "rapport.rtf"
    path.write_bytes(RTF)
    raw = read_document(path)
    assert raw.format == "rtf"
    assert "Projektägare: Gotlands kommun" in raw.text
    assert "På ön finns färre arbetstillfällen för unga under vintern." in raw.text
    assert "Region: Gotland\n\nKontaktperson: Nils Ek" in raw.text  # table rows
    rec = spine_nlp.process_file(path)
    assert rec.metadata.project_number == "2021/00412" and rec.metadata.owner == "Gotlands kommun"


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    "name,data,kind",
    [
        ("trasig.docx", b"PK\x03\x04 not really a zip", "corrupt_docx"),
        ("text.docx", "Det här är bara text med fel filändelse.".encode(), "corrupt_docx"),
        ("tom_zip.docx", _zip({"hej.txt": b"hej"}), "corrupt_docx"),
        ("halv.docx", _zip({"[Content_Types].xml": b"<Types", "word/document.xml": b"<w:document"}), "corrupt_docx"),
        ("trasig.odt", b"PK\x03\x04\x14\x00garbage", "corrupt_odt"),
        ("tom_zip.odt", _zip({"mimetype": b"application/vnd.oasis.opendocument.text"}), "corrupt_odt"),
        ("fel.rtf", "Ingen RTF-rubrik här.".encode(), "corrupt_rtf"),
        ("gammal.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "unsupported_type"),
        ("losenord.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "corrupt_docx"),
    ],
)
def test_broken_office_files_get_a_clear_error(tmp_path, name, data, kind):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(IngestError) as exc:
        read_document(path)
    assert exc.value.kind == kind and exc.value.message
    if name.endswith(".doc") or name == "losenord.docx":
        assert "as .docx" in exc.value.message  # says what to do


def test_empty_docx_is_empty_not_internal(tmp_path):
    path = tmp_path / "tom.docx"
    Document().save(path)
    with pytest.raises(IngestError) as exc:
        read_document(path)
    assert exc.value.kind == "empty"


def test_office_files_in_a_folder_are_processed(tmp_path):
    import json

    from pipeline.config import load_config
    from pipeline.runner import run

    inp = tmp_path / "in"
    inp.mkdir()
    body = "En mening som är tillräckligt lång för att bli ett eget stycke i dokumentet."
    write_docx(f"Bakgrund\n{body}", inp / "a.docx")
    write_odt(f"Syfte\n{body}", inp / "b.odt")
    (inp / "c.rtf").write_bytes(RTF)
    cfg = load_config()
    cfg["pipeline"]["stages"] = ["clean", "metadata", "sections"]
    run([inp], tmp_path / "out", cfg, quiet=True)
    records = [json.loads(ln) for ln in (tmp_path / "out" / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(r["format"] for r in records) == ["docx", "odt", "rtf"]


def test_docx_content_controls_of_a_template_are_read(tmp_path):
    """Application templates put answers in content controls (w:sdt): their text is read."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    doc = Document()
    doc.add_paragraph("Ansökan om stöd")
    sdt = parse_xml(
        f"<w:sdt {nsdecls('w')}><w:sdtPr/><w:sdtContent>"
        "<w:p><w:r><w:t>Projektägare: Sala kommun</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>Syftet är att fler unga ska få sommarjobb i kommunen.</w:t></w:r></w:p>"
        "</w:sdtContent></w:sdt>"
    )
    doc.element.body.insert(1, sdt)
    doc.add_paragraph("Sista stycket.")
    path = tmp_path / "mall.docx"
    doc.save(path)
    text = read_document(path).text
    assert text.split("\n\n") == [
        "Ansökan om stöd",
        "Projektägare: Sala kommun",
        "Syftet är att fler unga ska få sommarjobb i kommunen.",
        "Sista stycket.",
    ]
