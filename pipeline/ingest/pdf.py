"""PDF -> text with pypdf, one block per page; clear errors for broken files.

Encrypted PDFs: one that opens with the empty user password (owner-password only,
RC4 or AES; AES needs the ``cryptography`` package) is decrypted and read; one
that needs a password fails with ``encrypted_pdf``.
"""

from __future__ import annotations

import io
import logging
from typing import Optional

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, PyPdfError

logging.getLogger("pypdf").setLevel(logging.ERROR)


def pdf_to_text(data: bytes, error_cls) -> tuple[str, Optional[str]]:
    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise error_cls("corrupt_pdf", "not a PDF file (no %PDF header)")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except DependencyError as exc:  # AES without the cryptography package
                raise error_cls("encrypted_pdf", f"PDF is encrypted and cannot be decrypted here: {exc}") from exc
            except Exception as exc:  # pypdf raises several types here
                raise error_cls("encrypted_pdf", "PDF is encrypted and cannot be read") from exc
            if opened == PasswordType.NOT_DECRYPTED:
                raise error_cls("encrypted_pdf", "PDF is protected by a password (encrypted); it cannot be read")
        pages = [(page.extract_text() or "") for page in reader.pages]
        title = None
        try:
            meta = reader.metadata
            title = (meta.title or None) if meta else None
        except Exception:  # broken metadata is not fatal
            title = None
    except error_cls:
        raise
    except (FileNotDecryptedError, DependencyError) as exc:
        raise error_cls("encrypted_pdf", f"PDF is encrypted and cannot be read: {exc}") from exc
    except (
        PdfReadError,
        PyPdfError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        RecursionError,
        OSError,
    ) as exc:
        raise error_cls("corrupt_pdf", f"cannot parse PDF: {exc}") from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text.strip():
        raise error_cls("empty", "PDF has no extractable text (scanned images?)")
    return text, (title.strip() if title and title.strip() else None)
