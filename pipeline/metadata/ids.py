"""Stable record ids: the project number when stated, else slug(title) + short hash."""

from __future__ import annotations

import re
import unicodedata
from typing import Optional


def slugify(text: str, max_len: int = 48) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return slug[:max_len].rstrip("-") or "dokument"


def make_id(project_number: Optional[str], title: Optional[str], sha256: str) -> str:
    if project_number:
        return project_number
    return f"{slugify(title or 'dokument')}-{sha256[:8]}"
