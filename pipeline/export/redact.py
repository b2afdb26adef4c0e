"""``--redact-personal``: remove or pseudonymise personal data in records.

What counts as personal:

- ``metadata.contact_person``, ``metadata.email``, ``metadata.phone`` (removed);
- e-mail addresses and Swedish phone numbers anywhere (``[E-POST]``, ``[TELEFON]``);
- names of people: the contact person and every entity labelled ``PER`` (model,
  gazetteer or metadata), replaced by a pseudonym ``[PERSON-n]`` that is stable
  across all records of one export (the same person gets the same n). Each name's
  parts (first/last names, whole words, case-sensitive) are replaced as well, so
  "Germer" alone or "Germers" is caught after "Peter Germer" was found.

Replacements are applied to ``text`` with all character offsets (sections, sentences,
entities, evidence) remapped, and to title, summary, headings, evidence and
entity texts. Over-redaction is preferred to leaks: a first name that is also a
word is replaced wherever it is written with a capital letter.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from typing import Optional

from ..record import Record

EMAIL_TOKEN = "[E-POST]"
PHONE_TOKEN = "[TELEFON]"

# The local part starts a run of its characters and takes all of it (possessive: an at sign
# or a space cannot be in the run, so nothing is lost): one attempt per word, not per character.
EMAIL_RE = re.compile(
    r"(?<![\w.+%-])[\w.+%-]++\s?(?:@|\(at\)|\[at\]|\(a\)|\[snabel-a\])\s?[\w-]+(?:\s?(?:\.|\(dot\)|\[dot\])\s?[\w-]+)+",
    re.IGNORECASE,
)
# Not glued to digits or to hex strings (hashes, file names); a label glued in front
# ("Telefonnummer0322 616901") is fine. Swedish numbers: 0322 616901, 0220-12623, 08-123 45 67, 070-123 45 67, +46 (0)70 123 45 67, 0046 …
PHONE_RE = re.compile(  # (?=[+0]): every number starts so; other positions fail at once
    r"(?=[+0])(?<![\d+])(?<![0-9a-fA-F]{2})(?<!\d[-/.])(?:(?:\+|00)46[\s-]?(?:\(0\)[\s-]?)?|0)\d{1,3}(?:\s?[-/–]\s?|\s)?\d{1,4}(?:[\s-]?\d{1,4}){1,3}(?!\d)(?![0-9a-fA-F]{2})"
)
_EMAIL_LABEL = re.compile(r"(?:e-?post(?:adress)?|e-?mail|mejl|mail):?\s?", re.IGNORECASE)
_NAME_SPLIT = re.compile(r"\s*(?:,|;|/|\boch\b|\band\b|&)\s*")


_DATE_RE = re.compile(r"(?:19|20)\d\d-[01]\d-[0-3]\d")
# Every EMAIL_RE match holds "@" or a spelled-out at sign, every PHONE_RE match a digit:
# a string with none of them needs no pattern run (when no names are known).
_MAYBE_CONTACT = re.compile(r"[\d@]|[(\[](?:at|a|snabel-a)[)\]]", re.IGNORECASE)


def _phone_ok(m: re.Match) -> bool:
    if _DATE_RE.search(m.group(0)):
        return False
    digits = re.sub(r"\D", "", m.group(0))
    if digits.startswith("46"):
        digits = "0" + digits[2:]
    elif digits.startswith("0046"):
        digits = "0" + digits[4:]
    return 7 <= len(digits) <= 12


def split_names(value: Optional[str]) -> list[str]:
    if not value:
        return []
    return [n.strip(" .:") for n in _NAME_SPLIT.split(value) if len(n.strip(" .:")) >= 2]


def contact_literals(record: Record) -> dict[str, str]:
    """Stated e-mail and phone values, replaced wherever they occur verbatim."""
    md = record.metadata
    out = {}
    if md.email and len(md.email) >= 5:
        out[md.email] = EMAIL_TOKEN
    if md.phone and sum(c.isdigit() for c in md.phone) >= 5:
        out[md.phone] = PHONE_TOKEN
    return out


def person_names(record: Record) -> list[str]:
    names = split_names(record.metadata.contact_person)
    names += [e.text for e in record.entities if e.label.upper() in ("PER", "PERSON")]
    names += [e.text for e in record.entity_counts if e.label.upper() in ("PER", "PERSON")]
    out, seen = [], set()
    for n in names:
        n = " ".join(n.split())
        if len(n) >= 2 and n not in seen and not EMAIL_RE.fullmatch(n):
            seen.add(n)
            out.append(n)
    return out


class Redactor:
    """Holds the name → pseudonym table; ``add_names`` then ``redact(record)``."""

    def __init__(self, names: Iterable[str] = ()):
        self._pseudo: dict[str, str] = {}
        self._literals: dict[str, str] = {}
        self._re: Optional[re.Pattern] = None
        self._lit_re: Optional[re.Pattern] = None
        self.add_names(names)

    def add_record(self, record: Record) -> None:
        """Learn the personal data a record states (names, e-mail, phone)."""
        self.add_names(person_names(record))
        new = {k: v for k, v in contact_literals(record).items() if k not in self._literals}
        if new:
            self._literals.update(new)
            self._lit_re = None

    def add_names(self, names: Iterable[str]) -> None:
        changed = False
        for name in names:
            full = " ".join(name.split())
            if not full:
                continue
            if full not in self._pseudo:
                self._pseudo[full] = f"[PERSON-{len({v for v in self._pseudo.values()}) + 1}]"
                changed = True
            token = self._pseudo[full]
            for part in re.split(r"[\s]+", full):
                part = part.strip(".,:;()\"'")
                if len(part) >= 2 and part[0].isupper() and part not in self._pseudo:
                    self._pseudo[part] = token
                    changed = True
        if changed:
            self._re = None

    def _pattern(self) -> Optional[re.Pattern]:
        if self._re is None and self._pseudo:
            alts = sorted(self._pseudo, key=len, reverse=True)
            body = "|".join(r"\s+".join(re.escape(w) for w in a.split()) for a in alts)
            # left edge: a word boundary, or a lower-case letter glued to the capitalised
            # name as in "KontaktpersonLennart Anderberg" (labels run into values)
            # (?=[first letters]): positions where no name can start fail at once (~4x faster)
            first = "".join(sorted({re.escape(a[0]) for a in alts}))
            self._re = re.compile(rf"(?=[{first}])(?:(?<!\w)|(?<=[a-zåäöéü]))(?:{body})(?:s)?(?!\w)")
        return self._re

    # -- spans --------------------------------------------------------------------------

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """Non-overlapping (start, end, replacement) spans of personal data in ``text``."""
        found: list[tuple[int, int, str]] = []
        if self._literals:
            if self._lit_re is None:
                alts = sorted(self._literals, key=len, reverse=True)
                self._lit_re = re.compile("|".join(re.escape(a) for a in alts))
            for m in self._lit_re.finditer(text):
                found.append((m.start(), m.end(), self._literals[m.group(0)]))
        for m in EMAIL_RE.finditer(text):
            start = m.start()
            label = _EMAIL_LABEL.match(m.group(0))  # "E-postlennart@…": keep the label
            if label and "@" not in label.group(0):
                start += label.end()
            found.append((start, m.end(), EMAIL_TOKEN))
        for m in PHONE_RE.finditer(text):
            if _phone_ok(m):
                found.append((m.start(), m.end(), PHONE_TOKEN))
        pat = self._pattern()
        if pat is not None:
            for m in pat.finditer(text):
                key = " ".join(m.group(0).split())
                rep = self._pseudo.get(key) or self._pseudo.get(key[:-1]) or "[PERSON]"
                found.append((m.start(), m.end(), rep))
        # earliest first, longer first; drop overlaps
        found.sort(key=lambda s: (s[0], -(s[1] - s[0])))
        out: list[tuple[int, int, str]] = []
        for s in found:
            if out and s[0] < out[-1][1]:
                if s[1] > out[-1][1]:  # extend the previous span to cover both
                    out[-1] = (out[-1][0], s[1], out[-1][2])
                continue
            out.append(s)
        return out

    def redact_str(self, text: Optional[str]) -> Optional[str]:
        if not text:
            return text
        if not self._pseudo and not self._literals and not _MAYBE_CONTACT.search(text):
            return text  # no names known, and nothing an e-mail or phone pattern could match
        new, _ = _apply(text, self.spans(text))
        return new

    # -- records ------------------------------------------------------------------------

    def redact(self, record: Record, copy: bool = True) -> Record:
        """``record`` with its personal data removed (see the module docstring). ``copy=False``
        redacts ``record`` itself (cheaper: for a record parsed only to be redacted)."""
        r = record.model_copy(deep=True) if copy else record
        self.add_record(record)
        old_text = r.text
        new_text, mapper = _apply(old_text, self.spans(old_text))

        def span(start: int, end: int, text: str) -> tuple[int, int, str]:
            ns, ne = mapper.start(start), mapper.end(end)
            if old_text[start:end] == text:
                return ns, ne, new_text[ns:ne]
            return ns, ne, self.redact_str(text) or ""

        r.text = new_text
        r.title = self.redact_str(r.title)
        r.summary = self.redact_str(r.summary)
        r.source = self.redact_str(r.source) or r.source
        for s in r.sections:
            s.start, s.end = mapper.start(s.start), mapper.end(s.end)
            s.heading = self.redact_str(s.heading) or ""
        for s in r.sentences:
            s.start, s.end = mapper.start(s.start), mapper.end(s.end)
        for e in r.entities:
            e.start, e.end, e.text = span(e.start, e.end, e.text)
        counts: dict[tuple[str, str], int] = {}
        for e in r.entity_counts:
            key = (self.redact_str(e.text) or "", e.label)
            counts[key] = counts.get(key, 0) + e.count
        r.entity_counts = (
            [type(r.entity_counts[0])(text=t, label=lab, count=c) for (t, lab), c in counts.items()] if counts else []
        )
        for theme in (*r.themes, *r.theme_candidates):
            for ev in theme.evidence:
                ev.start, ev.end, ev.text = span(ev.start, ev.end, ev.text)
        md = r.metadata
        md.contact_person = md.email = md.phone = None
        for field in (
            "owner",
            "project_number",
            "programme_area",
            "specific_objective",
            "phase",
            "region",
            "intervention_type",
            "postcode",
        ):
            v = getattr(md, field)
            if isinstance(v, str):
                setattr(md, field, self.redact_str(v))
        for field in ("municipalities", "participating_organisations"):
            v = getattr(md, field)
            if v:
                setattr(md, field, [self.redact_str(x) or "" for x in v])
        return r


class _Mapper:
    """Maps offsets in the old text to offsets in the redacted text."""

    def __init__(self, spans: list[tuple[int, int, str]]):
        self.starts = [s for s, _, _ in spans]
        self.spans = spans
        self.new_starts: list[int] = []
        delta = 0
        for s, e, rep in spans:
            self.new_starts.append(s + delta)
            delta += len(rep) - (e - s)
        self.cum = []
        delta = 0
        for s, e, rep in spans:
            delta += len(rep) - (e - s)
            self.cum.append(delta)

    def _shift_before(self, i: int) -> int:
        return self.cum[i - 1] if i > 0 else 0

    def start(self, pos: int) -> int:
        i = bisect.bisect_right(self.starts, pos) - 1  # last span starting at/before pos
        if i >= 0 and pos < self.spans[i][1]:
            return self.new_starts[i]
        return pos + self._shift_before(i + 1)

    def end(self, pos: int) -> int:
        i = bisect.bisect_left(self.starts, pos) - 1  # last span starting before pos
        if i >= 0 and pos <= self.spans[i][1]:
            s, e, rep = self.spans[i]
            return self.new_starts[i] + len(rep)
        return pos + self._shift_before(i + 1)


def _apply(text: str, spans: list[tuple[int, int, str]]) -> tuple[str, _Mapper]:
    parts, last = [], 0
    for s, e, rep in spans:
        parts.append(text[last:s])
        parts.append(rep)
        last = e
    parts.append(text[last:])
    return "".join(parts), _Mapper(spans)


def redact_records(records: Iterable[Record], names: Iterable[str] = ()) -> Iterable[Record]:
    red = Redactor(names)
    records = list(records)
    for r in records:
        red.add_record(r)
    for r in records:
        yield red.redact(r)
