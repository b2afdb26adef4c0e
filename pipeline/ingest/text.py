"""Decode bytes to str: UTF-8 first, then the legacy Windows/Latin-1 encodings
that Swedish text exported from older systems uses; reject binary junk."""

from __future__ import annotations

_CONTROL = set(range(0, 32)) - {9, 10, 12, 13}


def looks_binary(data: bytes, sample: int = 8192) -> bool:
    head = data[:sample]
    if b"\x00" in head and not (head.startswith((b"\xff\xfe", b"\xfe\xff"))):
        return True
    controls = sum(1 for b in head if b in _CONTROL)
    return controls > max(8, len(head) // 50)


def decode_text(data: bytes, error_cls) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise error_cls("encoding", f"invalid UTF-16 text: {exc.reason}") from exc
    if looks_binary(data):
        raise error_cls("binary", "file looks binary (control bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Swedish legacy text is cp1252 (a superset of Latin-1 for printable chars);
    # bytes cp1252 leaves undefined fall back to Latin-1.
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if _mostly_unprintable(text):
        raise error_cls("encoding", "text could not be decoded as UTF-8, cp1252 or Latin-1")
    return text


def _mostly_unprintable(text: str) -> bool:
    sample = text[:8192]
    if not sample:
        return False
    bad = sum(1 for ch in sample if not (ch.isprintable() or ch in "\n\r\t\f"))
    return bad > len(sample) // 20
