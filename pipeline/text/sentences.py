"""Swedish sentence splitting with character offsets: the one splitter of the pipeline.

The cleaned text keeps the document's lines (headings, label lines, bullets,
paragraph lines), so every non-blank line is at least one unit, and a line is
cut further at sentence ends: ``.``, ``!``, ``?`` or ``…`` (optionally followed by
a closing quote or bracket), white space, then something that can start a
sentence (an upper-case letter or digit, possibly after an opening quote,
bracket, dash or bullet). No cut after a known abbreviation (``bl.a.``, ``t.ex.``,
``ca.``) or an initial (``A. Svensson``).

Offsets refer to the text given (plus ``base``), so ``text[s.start:s.end] ==
s.text`` for ``base=0``; a leading bullet mark is not part of a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# Lower-cased, without the final period: "bl.a." -> "bl.a".
ABBREVIATIONS = frozenset(
    {
        "bl.a",
        "t.ex",
        "m.m",
        "s.k",
        "d.v.s",
        "dvs",
        "ca",
        "osv",
        "etc",
        "resp",
        "jfr",
        "m.fl",
        "kl",
        "nr",
        "st",
        "t.o.m",
        "fr.o.m",
        "p.g.a",
        "pga",
        "f.d",
        "o.s.v",
        "e.d",
        "mfl",
        "inkl",
        "exkl",
        "tel",
        "fr",
        "ang",
        "enl",
        "tf",
        "vd",
        "forts",
        "bil",
        "kap",
        "prop",
        "sek",
        "mkr",
        "tkr",
    }
)

_LINE_RE = re.compile(r"[^\n]+")
_PARA_RE = re.compile(r"(?:[^\n]|\n(?![ \t\u00a0]*\n))+")
_BULLET_RE = re.compile(r"[ \t\u00a0]*(?:[-–—•*·▪►●◦](?=\s)|\d{1,2}[.)](?=\s)|[a-z][)](?=\s))[ \t\u00a0]*")
_END_RE = re.compile(r"[.!?…][\"”’»)\]]*(?P<gap>\s+)(?=[\"“”«'(–—\-•*]?\s*[A-ZÅÄÖÉÜ0-9])")


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    text: str


def lines(text: str, base: int = 0) -> Iterator[tuple[int, str]]:
    """(offset, line) for every non-blank line, the line as written (no strip)."""
    for m in _LINE_RE.finditer(text):
        if m.group().strip():
            yield base + m.start(), m.group()


def paragraphs(text: str, base: int = 0) -> Iterator[tuple[int, str]]:
    """(offset, paragraph) for every run of lines between blank lines, stripped of outer white space."""
    for m in _PARA_RE.finditer(text):
        chunk = m.group()
        stripped = chunk.strip()
        if stripped:
            yield base + m.start() + (len(chunk) - len(chunk.lstrip())), stripped


def _is_abbreviation(line: str, start: int, cut: int) -> bool:
    """Does ``line[start:cut]`` end with a known abbreviation or an initial and its period?"""
    if cut - start < 2 or line[cut - 1] != ".":
        return False
    k = max(line.rfind(" ", start, cut - 1), line.rfind("\t", start, cut - 1), line.rfind("\u00a0", start, cut - 1))
    token = line[max(k + 1, start) : cut - 1].lstrip("(\"“«'").lower()
    return token in ABBREVIATIONS or (len(token) == 1 and token.isalpha())


def split_sentences(text: str, base: int = 0) -> list[Sentence]:
    """Sentences of ``text`` in order, with offsets (``base`` added: pass the offset of
    ``text`` in the record's text to get record offsets)."""
    out: list[Sentence] = []
    for m in _LINE_RE.finditer(text):
        line = m.group()
        if not line.strip():
            continue
        bullet = _BULLET_RE.match(line)
        cur = bullet.end() if bullet else 0
        for end in _END_RE.finditer(line, cur):
            cut = end.start("gap")
            if _is_abbreviation(line, cur, cut):
                continue
            _emit(out, line, cur, cut, m.start() + base)
            cur = end.end()
        _emit(out, line, cur, len(line), m.start() + base)
    return out


def _emit(out: list[Sentence], line: str, a: int, b: int, offset: int) -> None:
    piece = line[a:b]
    stripped = piece.strip()
    if stripped:
        s = offset + a + (len(piece) - len(piece.lstrip()))
        out.append(Sentence(s, s + len(stripped), stripped))
