"""Ingest: bytes on disk -> raw text plus format, with clear errors (see :mod:`pipeline.ingest.read`)."""

from ..errors import IngestError
from .read import (
    DEFAULT_MAX_BYTES,
    SUFFIXES,
    UNSUPPORTED_HINTS,
    RawDocument,
    check_size,
    detect_format,
    format_of,
    parse_bytes,
    read_document,
    sha256_of,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "SUFFIXES",
    "UNSUPPORTED_HINTS",
    "IngestError",
    "RawDocument",
    "check_size",
    "detect_format",
    "format_of",
    "parse_bytes",
    "read_document",
    "sha256_of",
]
