"""Ingest: bytes on disk -> raw text plus format, with clear errors.

``read_document(path, config)`` returns a :class:`RawDocument` or raises
:class:`IngestError` whose ``kind`` names the failure (``empty``,
``binary``, ``too_large``, ``corrupt_pdf``, ``encrypted_pdf``,
``corrupt_docx``, ``corrupt_odt``, ``corrupt_rtf``, ``unsupported_type``,
``unreadable``). The runner records those in ``errors.jsonl`` and carries on
with the batch.

Formats: plain text, HTML, PDF, Word (``.docx``), OpenDocument text (``.odt``)
and RTF. The old binary Word format (``.doc``) is not read: save it as
``.docx``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from ..errors import IngestError
from .html import html_to_text
from .office import docx_to_text, odt_to_text, rtf_to_text
from .pdf import pdf_to_text
from .text import decode_text

SUFFIXES = {
    ".txt": "txt",
    ".text": "txt",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
    ".odt": "odt",
    ".rtf": "rtf",
}
# Formats people have that are not read, with what to do instead.
UNSUPPORTED_HINTS = {
    ".doc": "the old binary Word format (.doc) is not read; save the file as .docx",
    ".docm": "macro-enabled Word files (.docm) are not read; save the file as .docx",
    ".wpd": "WordPerfect files are not read; save the file as .docx or .odt",
}
_READERS = {"pdf": pdf_to_text, "docx": docx_to_text, "odt": odt_to_text, "rtf": rtf_to_text}
DEFAULT_MAX_BYTES = 25 * 1024 * 1024


@dataclass(frozen=True)
class RawDocument:
    source: str
    sha256: str
    format: str
    text: str
    title_hint: Optional[str] = None


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def detect_format(path: Path) -> str:
    try:
        return SUFFIXES[path.suffix.lower()]
    except KeyError:
        hint = UNSUPPORTED_HINTS.get(path.suffix.lower())
        raise IngestError(
            "unsupported_type",
            hint or f"unsupported file type {path.suffix!r}; expected one of {', '.join(sorted(SUFFIXES))}",
        ) from None


def read_document(path: str | Path, config: dict[str, Any] | None = None) -> RawDocument:
    """Read one file and turn it into text; raise IngestError on bad input."""
    path = Path(path)
    fmt = detect_format(path)
    try:
        check_size(path.stat().st_size, config)
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError("unreadable", f"cannot read file: {exc.strerror or exc}") from exc
    return parse_bytes(data, fmt, str(path))


def check_size(size: int, config: dict[str, Any] | None = None) -> None:
    """Raise ``too_large`` for a document over ``ingest.max_bytes``."""
    max_bytes = int((config or {}).get("max_bytes", DEFAULT_MAX_BYTES))
    if size > max_bytes:
        raise IngestError(
            "too_large",
            f"file is {size / 2**20:.1f} MiB, over the limit of {max_bytes / 2**20:.1f} MiB "
            "(raise ingest.max_bytes in the config to accept it)",
        )


def format_of(name: str) -> str:
    """The format a caller names (``"html"``, ``".htm"``, ``"PDF"``) as ingest knows it."""
    key = "." + name.strip().lower().lstrip(".")
    if key not in SUFFIXES:
        formats = ", ".join(sorted(set(SUFFIXES.values())))
        raise ValueError(f"unknown document format {name!r}; expected one of {formats}")
    return SUFFIXES[key]


def parse_bytes(data: bytes, fmt: str, source: str) -> RawDocument:
    if not data.strip():
        raise IngestError("empty", "file is empty")
    digest = sha256_of(data)
    title = None
    if fmt in _READERS:
        text, title = _READERS[fmt](data, IngestError)
    else:
        text = decode_text(data, IngestError)
        if fmt == "html":
            text, title = html_to_text(text)
    if not text.strip():
        raise IngestError("empty", "no text found in the document")
    return RawDocument(source=source, sha256=digest, format=fmt, text=text, title_hint=title)
