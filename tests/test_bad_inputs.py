"""Bad documents get a clear error (and never stop a batch)."""

from __future__ import annotations

import json
import os

import pytest

from pipeline.ingest import IngestError, read_document
from pipeline.runner import run


def _write(tmp_path, name, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize(
    "name,data,kind",
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"  \n\n\t ", "empty"),
        ("junk.txt", os.urandom(4096).replace(b"\n", b"\x00") + b"\x00" * 64, "binary"),
        ("junk.html", b"\x00\x01\x02\x03" * 500, "binary"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\nthis is not a pdf body", "corrupt_pdf"),
        ("fake.pdf", b"Hej, jag heter inte PDF.", "corrupt_pdf"),
        ("notes.docx", b"PK\x03\x04", "corrupt_docx"),
        ("notes.doc", b"\xd0\xcf\x11\xe0" + b"\x00" * 64, "unsupported_type"),
    ],
)
def test_bad_file_gets_clear_error(tmp_path, name, data, kind):
    with pytest.raises(IngestError) as exc:
        read_document(_write(tmp_path, name, data))
    assert exc.value.kind == kind
    assert exc.value.message  # a human-readable explanation


def test_legacy_swedish_encodings_decode_correctly(tmp_path):
    text = "Projektägare: Länsstyrelsen Västernorrland\nRegion: Mellersta Norrland\n\nÅtgärder för ökad sysselsättning."
    for enc in ("cp1252", "latin-1", "utf-8", "utf-16"):
        doc = read_document(_write(tmp_path, f"doc-{enc}.txt", text.encode(enc)))
        assert "Västernorrland" in doc.text and "Åtgärder för ökad" in doc.text, enc
        assert "Ã" not in doc.text


def test_cp1252_specific_characters(tmp_path):
    doc = read_document(_write(tmp_path, "quotes.txt", "”Västernorrland” – ett län".encode("cp1252")))
    assert doc.text == "”Västernorrland” – ett län"


def test_html_scripts_styles_and_broken_markup(tmp_path, spine):
    html = (
        "<html><head><title>Sidtitel</title><style>p {color:red}</style>"
        "<script>var kakor = 'Vi använder cookies';</script></head><body>"
        "<div id='cookie-banner'>Vi använder cookies. <button>Godkänn</button></div>"
        "<nav><ul><li><a href='/'>Hem</a></li><li>Projektbanken</li></ul></nav>"
        "<h1>Unga i Gävle</h1><p>Projektet ger unga <b>praktik i vården<p>Och stöd från coacher."
        "<table><tr><td>Region:</td><td>Norra Mellansverige</td></tr></table>"
        "<!-- kommentar --><footer>© Svenska ESF-rådet</footer>"
    )
    rec = spine.process_file(_write(tmp_path, "page.html", html.encode("utf-8")))
    assert rec.title == "Unga i Gävle"
    assert "Projektet ger unga praktik i vården" in rec.text
    assert "Och stöd från coacher." in rec.text
    for junk in ("color:red", "var kakor", "cookies", "Godkänn", "Projektbanken", "kommentar", "©"):
        assert junk not in rec.text
    assert rec.metadata.region == "Norra Mellansverige"


def test_html_declared_latin1(tmp_path, spine):
    html = "<html><head><meta charset='iso-8859-1'></head><body><h1>Västerås</h1><p>Åtgärder i Örebro län för unga.</p></body></html>"
    rec = spine.process_file(_write(tmp_path, "latin.html", html.encode("latin-1")))
    assert "Åtgärder i Örebro län" in rec.text


def test_huge_file_rejected_quickly(tmp_path):
    big = tmp_path / "huge.txt"
    with open(big, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse 50 MB file
    with pytest.raises(IngestError) as exc:
        read_document(big)
    assert exc.value.kind == "too_large" and "50" in exc.value.message


def test_real_pdf_is_read(spine):
    from conftest import CORPUS

    rec = spine.process_file(CORPUS / "konferens_gransloest_foretagande.pdf")
    assert rec.format == "pdf" and "Gränslöst företagande" in rec.text


def test_batch_goes_on_past_bad_documents(tmp_path):
    from pipeline.config import load_config

    inp = tmp_path / "in"
    inp.mkdir()
    _write(inp, "empty.txt", b"")
    _write(inp, "junk.txt", b"\x00\xff" * 1000)
    _write(inp, "broken.pdf", b"%PDF-1.7 garbage")
    _write(inp, "good.txt", "Projekt Lyftet\n\nSammanfattning\n\nProjektet ger unga i Luleå arbete.".encode())
    with open(inp / "huge.txt", "wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    cfg = load_config()
    cfg["pipeline"]["stages"] = ["clean", "metadata", "sections"]
    summary = run([inp], tmp_path / "out", cfg, jobs=1, quiet=True)
    assert (summary.processed, summary.failed) == (1, 4)
    errors = [json.loads(ln) for ln in (tmp_path / "out" / "errors.jsonl").read_text().splitlines()]
    assert {os.path.basename(e["source"]): e["error"] for e in errors} == {
        "empty.txt": "empty",
        "junk.txt": "binary",
        "broken.pdf": "corrupt_pdf",
        "huge.txt": "too_large",
    }
    records = (tmp_path / "out" / "records.jsonl").read_text().splitlines()
    assert len(records) == 1 and json.loads(records[0])["title"] == "Projekt Lyftet"


# ----------------------------------------------------------------------------- deep HTML, encrypted PDF (issue 14)


@pytest.mark.parametrize("tag", ["div", "section", "span"])
def test_deeply_nested_html_is_read(tmp_path, tag):
    """100,000 nested elements: text out, no RecursionError (the walk is iterative and
    the nesting beyond the depth cap is flattened before parsing)."""
    n = 100_000
    html = f"<html><body><h1>Djupt projekt</h1>{f'<{tag}>ord ' * n}slutet{f'</{tag}>' * n}<p>Efter.</p></body></html>"
    doc = read_document(_write(tmp_path, "deep.html", html.encode()))
    assert doc.text.startswith("Djupt projekt")
    assert doc.text.count("ord") == n and "slutet" in doc.text and doc.text.rstrip().endswith("Efter.")


def test_flatten_deep_keeps_text_and_leaves_normal_pages_alone():
    from pipeline.ingest.html import flatten_deep, html_to_text

    normal = (
        "<html><body>"
        + "<div><p>Ett stycke." * 40
        + "</div>" * 40
        + "<ul>"
        + "<li>punkt" * 2000
        + "</ul></body></html>"
    )
    assert flatten_deep(normal) is normal  # unclosed <p>/<li> do not count as depth
    deep = "<div>a " * 50 + "<b>b</b> " + "</div>" * 50 + "<p>c</p>"
    flat = flatten_deep(deep, max_depth=10)
    assert flat.count("<div>") == 10 and flat.count("</div>") == 10 and "<b>b</b>" not in flat
    assert html_to_text(flat)[0].split() == html_to_text(deep)[0].split()
    assert (
        html_to_text("<dl><dt>Region</dt><dd>Skåne</dd><dt>Ort:</dt><dd>Lund</dd></dl>")[0]
        == "Region:\n\nSkåne\n\nOrt:\n\nLund"
    )  # ":" added once


def _pdf(text: str) -> bytes:
    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def _encrypted(data: bytes, user: str, algorithm: str) -> bytes:
    import io

    from pypdf import PdfReader, PdfWriter

    w = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    w.encrypt(user_password=user, owner_password="agaren", algorithm=algorithm)
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


@pytest.mark.parametrize("algorithm", ["RC4-40", "RC4-128", "AES-128", "AES-256"])
def test_encrypted_pdf(tmp_path, algorithm):
    plain = _pdf("Projektet Vidga ger unga vuxna i Kiruna praktik och stod.")
    locked = _write(tmp_path, "locked.pdf", _encrypted(plain, "hemligt", algorithm))
    with pytest.raises(IngestError) as exc:
        read_document(locked)
    assert exc.value.kind == "encrypted_pdf" and "password" in exc.value.message
    # owner password only (the empty user password opens it): decrypted and read
    opened = read_document(_write(tmp_path, "open.pdf", _encrypted(plain, "", algorithm)))
    assert "Projektet Vidga ger unga vuxna i Kiruna" in opened.text


def test_encrypted_pdf_without_crypto_backend(tmp_path, monkeypatch):
    """AES needs the cryptography package; if pypdf cannot decrypt, say encrypted_pdf."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    def no_backend(self, password):
        raise DependencyError("cryptography>=3.1 is required for AES algorithm")

    monkeypatch.setattr(PdfReader, "decrypt", no_backend)
    data = _encrypted(_pdf("Projektet Vidga i Kiruna."), "", "AES-256")
    with pytest.raises(IngestError) as exc:
        read_document(_write(tmp_path, "aes.pdf", data))
    assert exc.value.kind == "encrypted_pdf" and "cryptography" in exc.value.message
