from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..common import load_yaml
from ..record import Section

_WORD_CHARS = r"[A-Za-zÅÄÖåäöÉé]"
# "1. Bakgrund", "2.3 Resultat", "4 METOD": a section number, then a capitalised title
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.? +([A-ZÅÄÖÉ].*)$")


@dataclass(frozen=True)
class SectionSplitter:
    headings: dict[str, str]  # heading (lower) -> key
    inline_re: re.Pattern  # heading run into the first sentence of a paragraph
    labels: tuple[str, ...]  # metadata labels (never section headings when followed by a value)
    max_words: int
    max_chars: int
    midline_re: Optional[re.Pattern] = None  # a multi-word heading inside a PDF page line
    midline_min_chars: int = 200
    numbered_max_words: int = 8

    @classmethod
    def from_file(cls, path: str | Path, labels_path: str | Path) -> SectionSplitter:
        cfg = load_yaml(path)
        headings = {h.lower(): key for key, hs in cfg["sections"].items() for h in hs}
        strong = sorted((h for h, k in headings.items() if k != "other" and len(h) > 3), key=len, reverse=True)
        inline_re = re.compile(r"^(" + "|".join(re.escape(h) for h in strong) + r")(?= (?-i:[A-ZÅÄÖ]))", re.I)
        labels = tuple(lab.lower() for spec in load_yaml(labels_path)["fields"].values() for lab in spec["labels"])
        g = cfg.get("generic_heading", {})
        pdf = cfg.get("pdf_headings", {})
        midline_re = None
        if pdf.get("midline", True):
            # Capitalised as a heading ("Syfte med konferensen"), after a word or a sentence
            # end, before a capitalised word: "... perioden Syfte med konferensen Konferensen ..."
            multi = [h for h in strong if " " in h]
            alts = "|".join(f"(?-i:{re.escape(h[0].upper())})(?i:{re.escape(h[1:])})" for h in multi)
            midline_re = re.compile(r"(?<=[a-zåäö0-9,.!?)\]] )(" + alts + r")(?= [A-ZÅÄÖ][a-zåäö])")
        return cls(
            headings,
            inline_re,
            labels,
            int(g.get("max_words", 6)),
            int(g.get("max_chars", 60)),
            midline_re,
            int(pdf.get("midline_min_chars", 200)),
            int(pdf.get("numbered_max_words", 8)),
        )

    def split(self, text: str, title: Optional[str] = None) -> list[Section]:
        starts: list[tuple[int, str, str]] = []  # (offset, key, heading)
        offset = 0
        lines = text.split("\n")
        # Texts with blank-line paragraphs put a blank line before headings;
        # PDF extractions often have no blank lines at all.
        paragraphed = text.count("\n\n") * 12 >= len(lines)
        prev_blank = True
        for i, line in enumerate(lines):
            stripped = line.strip()
            hit = self._heading(stripped, lines, i, prev_blank, paragraphed, title) if stripped else None
            if hit:
                key, heading = hit
                starts.append((offset + (len(line) - len(line.lstrip())), key, heading))
            if self.midline_re is not None and len(stripped) >= self.midline_min_chars:
                lead = len(line) - len(line.lstrip())
                for m in self.midline_re.finditer(stripped):
                    if hit and m.start() == 0:
                        continue
                    starts.append((offset + lead + m.start(), self.headings[m.group(1).lower()], m.group(1)))
            prev_blank = not stripped
            offset += len(line) + 1
        starts.sort(key=lambda t: t[0])
        sections = []
        for j, (start, key, heading) in enumerate(starts):
            end = starts[j + 1][0] if j + 1 < len(starts) else len(text)
            while end > start and text[end - 1].isspace():
                end -= 1
            sections.append(Section(key=key, heading=heading, start=start, end=end))
        return sections

    def _heading(
        self, line: str, lines: list[str], i: int, prev_blank: bool, paragraphed: bool, title: Optional[str]
    ) -> Optional[tuple[str, str]]:
        # Without blank-line paragraphs, a heading follows a finished sentence.
        prev = lines[i - 1].rstrip() if i else ""
        boundary = prev_blank or (not paragraphed and prev[-1:] in (".", "!", "?", ":", "”", '"'))
        if not paragraphed and not boundary and self.headings.get(line.rstrip(":").strip().lower()):
            boundary = True  # a known heading right after a title line
        prev_blank = boundary
        bare = line.rstrip(":").strip()
        low = bare.lower()
        if low in self.headings and prev_blank:
            # "Kommun" / "Region" etc. are also metadata labels: only a heading
            # when it stands alone (not "Label: value" / "Label:" + value line).
            if line.endswith(":") and low in self.labels:
                return None
            return self.headings[low], bare
        # "Syfte: Att skapa ..." -- heading and text on one line.
        if ":" in line and prev_blank:
            head, _, rest = line.partition(":")
            if head.lower().strip() in self.headings and rest.strip() and head.lower().strip() not in self.labels:
                return self.headings[head.lower().strip()], head.strip()
        # "Bakgrund Projektet Kompetenslyftet ..." -- heading glued to a paragraph.
        if prev_blank and len(line) > 80:
            m = self.inline_re.match(line)
            if m:
                return self.headings[m.group(1).lower()], m.group(1)
        numbered = self._numbered(line, lines, i, title)
        if numbered:
            return numbered
        if self._generic(line, lines, i, boundary, title):
            return "other", bare
        return None

    def _numbered(self, line: str, lines: list[str], i: int, title: Optional[str]) -> Optional[tuple[str, str]]:
        """ "1. Bakgrund", "2.3 Resultat och effekter", "4 METOD": a numbered heading of a
        report, on its own line, followed by a longer line that is not the next item of a
        numbered list."""
        m = _NUMBERED.match(line)
        if not m or i == 0 or (title and line == title):
            return None
        if "." not in m.group(1) and int(m.group(1)) > 20:
            return None  # "36 miljoner till ...": a figure, not a section number
        words = m.group(2).rstrip(":").strip()
        if (
            len(words.split()) > self.numbered_max_words
            or len(line) > 90
            or words[-1] in ".,;!?"
            or any(ch.isdigit() for ch in words)
            or words.startswith("•")
        ):
            return None
        prev = next((ln for ln in reversed(lines[max(0, i - 3) : i]) if ln.strip()), "")
        if prev.rstrip().endswith(":"):
            return None  # the value of a "Label:" line
        nxt = next((ln.strip() for ln in lines[i + 1 : i + 3] if ln.strip()), "")
        if len(nxt) <= len(line) or _NUMBERED.match(nxt) or nxt.startswith("•"):
            return None
        return self.headings.get(words.lower(), "other"), line.rstrip(":").strip()

    def _generic(self, line: str, lines: list[str], i: int, prev_blank: bool, title: Optional[str]) -> bool:
        if not prev_blank or i == 0 or (title and line == title):
            return False
        if len(line) > self.max_chars or len(line.split()) > self.max_words:
            return False
        if not re.match(_WORD_CHARS, line[0]) or not line[0].isupper():
            return False
        if line[-1] in '.,;!?)”"' or ":" in line or line.startswith("•") or any(ch.isdigit() for ch in line):
            return False
        low = line.lower()
        if any(low.startswith(lab) and not low[len(lab) : len(lab) + 1].isalpha() for lab in self.labels):
            return False
        prev = next((ln for ln in reversed(lines[max(0, i - 3) : i]) if ln.strip()), "")
        if prev.rstrip().endswith(":"):
            return False  # the value of a "Label:" line
        nxt = next((ln for ln in lines[i + 1 : i + 3] if ln.strip()), "")
        return len(nxt) > len(line) and not nxt.startswith("•")
