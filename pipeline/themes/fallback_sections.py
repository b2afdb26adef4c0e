"""Minimal heading-based section finder, used only when ``record.sections`` is empty.

The real sections come from the ``sections`` stage; this fallback keeps the
themes stage useful on records that did not go through it (and in training on
synthetic documents). It recognises the common ESF project-page headings.
"""
from __future__ import annotations

import re

_HEADINGS: list[tuple[str, str]] = [
    ("summary", r"sammanfattning|kort beskrivning|om projektet"),
    ("background", r"bakgrund|b: bakgrund|problemformulering|nuläge|kartläggning av nuläget|inledning"),
    ("purpose", r"syfte|projektets syfte|syfte och mål"),
    ("goals", r"mål|målsättning|projektets mål|mål och målgrupp|måluppfyllelse"),
    ("expected_effects", r"förväntade (mätbara )?effekter|förväntade resultat|resultat|effekter"),
    ("accessibility", r"tillgänglighet.*|tillgänglighetsperspektiv.*"),
    ("gender_equality", r"jämställdhet.*|jämställdhetsintegrering.*"),
    ("transnational", r"transnationell.*"),
    ("municipalities", r"kommun|kommuner|berörda kommuner"),
    ("participants", r"deltagare|målgrupp|deltagande aktörer|målgrupper"),
    ("organisation", r"projektets organisering|organisation|projektorganisation"),
    ("implementation", r"genomförande|projektets genomförande|aktiviteter|projektfaser|metod|arbetssätt|insatser"),
    ("evaluation", r"uppföljning och utvärdering|utvärdering|uppföljning|lärdomar"),
]
_COMPILED = [(k, re.compile(rf"^\s*(?:{p})\s*:?\s*$", re.IGNORECASE)) for k, p in _HEADINGS]


def guess_sections(text: str) -> list:
    from ..record import Section

    marks: list[tuple[int, int, str, str]] = []  # (heading start, body start, key, heading)
    pos = 0
    for line in text.split("\n"):
        start = pos
        pos += len(line) + 1
        s = line.strip()
        if not s or len(s) > 80:
            continue
        for key, rx in _COMPILED:
            if rx.match(s):
                marks.append((start, min(pos, len(text)), key, s.rstrip(":")))
                break
    out = []
    for i, (hs, bs, key, head) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else len(text)
        if end > hs:
            out.append(Section(key=key, heading=head, start=hs, end=end))
    return out
