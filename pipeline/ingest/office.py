"""Word processor files -> text: ``.docx`` (python-docx), ``.odt`` (odfpy), ``.rtf`` (striprtf).

Each paragraph of the document becomes a paragraph of the text (blank line
between), headings included, in document order; a table becomes one line per
row. A short label paragraph ending in ":" ("Projektnummer:") is kept on the line
above its value, as in the text exports the later stages know. A two-cell row
reads "label: value". Broken files raise ``corrupt_docx`` / ``corrupt_odt`` /
``corrupt_rtf``; the old binary Word format (``.doc``) is not read.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from typing import Optional

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old binary Office files and encrypted OOXML
_LABEL_MAX = 60  # a label paragraph ("Projektägare:") is at most this long


def join_blocks(blocks: Iterable[str]) -> str:
    """Blocks (paragraphs, headings, table rows) -> text with blank-line paragraphs.

    A short block ending in ":" is a label: its value follows on the next line."""
    out: list[str] = []
    glue = False
    for block in blocks:
        block = "\n".join(line.rstrip() for line in block.strip().split("\n"))
        if not block:
            continue
        if glue and out:
            out[-1] += "\n" + block
        else:
            out.append(block)
        glue = len(block) <= _LABEL_MAX and "\n" not in block and block.endswith(":")
    return "\n\n".join(out)


def _row_text(cells: list[str]) -> str:
    cells = [" ".join(c.split()) for c in cells]
    # merged cells repeat their text in python-docx: keep each run once
    dedup = [c for i, c in enumerate(cells) if c and (i == 0 or c != cells[i - 1])]
    if len(dedup) == 2 and len(dedup[0]) <= _LABEL_MAX:
        label, value = dedup
        return f"{label} {value}" if label.endswith(":") else f"{label}: {value}"
    return " | ".join(dedup)


# --------------------------------------------------------------------------- docx


def docx_to_text(data: bytes, error_cls) -> tuple[str, Optional[str]]:
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    if data[:8] == _OLE_MAGIC:
        raise error_cls(
            "corrupt_docx",
            "not a .docx (zip) file but an OLE container: an old binary Word file "
            "renamed, or a password-protected document; save it as .docx without a password",
        )
    try:
        doc = Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise error_cls("corrupt_docx", f"cannot open Word document (.docx): {exc}") from exc
    except Exception as exc:  # lxml / zip layers raise many types on a damaged file
        raise error_cls("corrupt_docx", f"cannot parse Word document (.docx): {exc}") from exc

    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    P, TBL, SDT, SDT_CONTENT = qn("w:p"), qn("w:tbl"), qn("w:sdt"), qn("w:sdtContent")

    def blocks(element, parent) -> Iterable[str]:
        for child in element.iterchildren():
            if child.tag == P:
                yield Paragraph(child, parent).text
            elif child.tag == TBL:
                rows = []
                for row in Table(child, parent).rows:
                    # a cell holding several paragraphs is read as one line
                    rows.append(_row_text([cell.text for cell in row.cells]))
                yield "\n".join(r for r in rows if r)
            elif child.tag == SDT:  # a content control (form field) of a template
                for content in child.iterchildren(SDT_CONTENT):
                    yield from blocks(content, parent)

    try:
        text = join_blocks(blocks(doc.element.body, doc))
        title = (doc.core_properties.title or "").strip() or None
    except Exception as exc:  # a malformed part inside a valid zip
        raise error_cls("corrupt_docx", f"cannot parse Word document (.docx): {exc}") from exc
    return text, title


# --------------------------------------------------------------------------- odt


def odt_to_text(data: bytes, error_cls) -> tuple[str, Optional[str]]:
    from odf import teletype
    from odf.namespaces import DCNS, TABLENS, TEXTNS
    from odf.opendocument import load

    try:
        doc = load(io.BytesIO(data))
        body = doc.text
    except Exception as exc:  # zipfile, xml.sax and KeyError on a damaged file
        raise error_cls("corrupt_odt", f"cannot open OpenDocument text (.odt): {exc}") from exc

    def blocks(node) -> Iterable[str]:
        for child in node.childNodes:
            qname = getattr(child, "qname", None)
            if qname in ((TEXTNS, "p"), (TEXTNS, "h")):
                yield teletype.extractText(child)
            elif qname == (TABLENS, "table"):
                rows = []
                for row in child.getElementsByType(_odf_type("table-row")):
                    cells = [
                        "\n".join(teletype.extractText(p) for p in cell.getElementsByType(_odf_type("p")))
                        for cell in row.childNodes
                        if getattr(cell, "qname", None) == (TABLENS, "table-cell")
                    ]
                    rows.append(_row_text(cells))
                yield "\n".join(r for r in rows if r)
            elif qname is not None:  # lists, list items, sections, frames: descend
                yield from blocks(child)

    try:
        text = join_blocks(blocks(body))
        title = None
        for el in doc.meta.childNodes:
            if getattr(el, "qname", None) == (DCNS, "title"):
                title = teletype.extractText(el).strip() or None
    except Exception as exc:
        raise error_cls("corrupt_odt", f"cannot parse OpenDocument text (.odt): {exc}") from exc
    return text, title


def _odf_type(name: str):
    from odf import table, text

    return {"table-row": table.TableRow, "p": text.P}[name]


# --------------------------------------------------------------------------- rtf

_RTF_CHARSET = re.compile(rb"\\ansicpg(\d+)")


def rtf_to_text(data: bytes, error_cls) -> tuple[str, Optional[str]]:
    from striprtf.striprtf import rtf_to_text as strip

    if not data.lstrip()[:5] == b"{\\rtf":
        raise error_cls("corrupt_rtf", "not an RTF file (no {\\rtf header)")
    m = _RTF_CHARSET.search(data[:2048])
    encoding = f"cp{int(m.group(1))}" if m else "cp1252"
    try:
        "".encode(encoding)
    except LookupError:
        encoding = "cp1252"
    try:
        raw = data.decode("latin-1")  # RTF is 7-bit; \'xx escapes carry the code page
        text = strip(raw, encoding=encoding, errors="replace")
    except Exception as exc:
        raise error_cls("corrupt_rtf", f"cannot parse RTF: {exc}") from exc
    # striprtf ends each table cell with "|": a row reads like a table row of .docx
    lines = [_row_text(line.rstrip("|").split("|")) if line.endswith("|") else line for line in text.split("\n")]
    return join_blocks(lines), None
