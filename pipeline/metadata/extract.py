"""Find labelled fields in every layout real documents use, then fields stated in prose.

Layouts (all in ``configs/labels.yaml`` terms):

* ``Label: value`` on one line, or ``Label:`` with the value on the next line;
* ``Label`` alone on a line and the value on the next (the print rendering of the project
  pages, no colon): taken when the value has the field's exact form (a date, an amount, an
  e-mail ...) or, for free text such as the owner, when the page is a block of such label
  lines (a form), never from a lone heading;
* several ``Label: value`` pairs run together on one line (PDF transcripts, report headers);
* bullet lists under a list label.

Fields no label states are then looked for in prose (:mod:`.prose`). Every value is bounded
in length and checked for plausibility (:func:`plausible`): a value that is not one is dropped.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..common import load_yaml
from ..record import Metadata
from . import normalise as n
from .project_name import find_project_name, plausible_name
from .prose import ProseExtractor

BULLET = re.compile(r"^•\s*(.+)$")
TITLE_LINE = re.compile(r"^((?:19|20)\d{2}/\d{3,5}|\d{2}-\d{3}-S\d{2})\s+[-–]\s+(.+)$")
LIST_SPLIT = re.compile(r"\s*(?:,|;|\boch\b|\bsamt\b|&)\s*")
SENTENCE_END = re.compile(r"(?<![A-ZÅÄÖ])\.\s+(?=[A-ZÅÄÖ])")
SECONDARY = re.compile(r"^Sekundärtema\s*[-–:]\s*(.+?)\s*:\s*(ja|nej)?\s*$", re.I)
_PAREN_COLON = re.compile(r"\s*\([^()]{1,60}\)\s*:")
GENERIC_LABEL = re.compile(r"(?<![\w-])[A-ZÅÄÖ][\wåäöÅÄÖ-]{2,30}:(?=\s|$)")

# Longest plausible value per field (characters); longer values are not that field.
MAX_LEN = {
    "project_number": 40,
    "title": 300,
    "owner": 200,
    "contact_person": 80,
    "email": 120,
    "phone": 40,
    "programme_area": 200,
    "specific_objective": 120,
    "phase": 60,
    "region": 80,
    "intervention_type": 60,
    "postcode": 10,
    "organisation_number": 11,
    "fund": 4,
    "nuts2": 5,
    "cci": 20,
}
MAX_INLINE = 40  # "Label: value" pairs read from one line
MAX_ITEM_LEN = 120  # one list item (municipality, organisation, theme)
MAX_ITEMS = 400
MAX_MONEY = 10_000_000_000  # SEK; no ESF project comes near
MIN_MONEY = 1_000  # SEK; "1" under a budget label is a stray figure, not a budget
MAX_PARTICIPANTS = 1_000_000


def _text(value: str) -> Optional[str]:
    value = re.sub(r"\s+", " ", value).strip().strip(",;")
    return value or None


def _first_sentence(value: str) -> str:
    """'Region X, Enheten Y. Från Z medverkar ...' -> 'Region X, Enheten Y'."""
    m = SENTENCE_END.search(value)
    return value[: m.start()] if m else value.rstrip(".") if value.endswith(".") and value.count(".") == 1 else value


def _owner(value: str) -> Optional[str]:
    return _text(_first_sentence(value))


def _person(value: str) -> Optional[str]:
    value = n.EMAIL.sub("", value)
    value = n.PHONE.sub("", value)
    value = re.split(r"[,;(]| - | – ", value)[0]
    return _text(value)


def _region(value: str) -> Optional[str]:
    return _text(_first_sentence(value))


PARSERS: dict[str, Callable[[str], object]] = {
    "project_number": n.parse_project_number,
    "title": _text,
    "owner": _owner,
    "contact_person": _person,
    "email": n.parse_email,
    "phone": n.parse_phone,
    "programme_area": _text,
    "specific_objective": _text,
    "phase": _text,
    "esf_support_sek": n.parse_money,
    "total_budget_sek": n.parse_money,
    "region": _region,
    "planned_participants": n.parse_int,
    "cofinancing_rate": n.parse_percent,
    "intervention_type": _text,
    "postcode": lambda v: re.sub(r"\s", "", v) if re.fullmatch(r"\d{3}\s?\d{2}", v.strip()) else None,
    "organisation_number": n.parse_organisation_number,
    "fund": n.parse_fund,
    "nuts2": n.parse_nuts2,
    "cci": n.parse_cci,
    "period_start": lambda v: n.parse_date(v),
    "period_end": lambda v: n.parse_date(v),
}
LIST_FIELDS = {"municipalities", "participating_organisations"}
NOT_FIELDS = {"address", "ignored"}


def plausible(field: str, value: object) -> bool:
    """Whether a parsed value can be this field's (bounded length, right shape)."""
    if value is None:
        return False
    if isinstance(value, list):
        return 0 < len(value) <= MAX_ITEMS and all(isinstance(x, str) and 0 < len(x) <= MAX_ITEM_LEN for x in value)
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        if field == "planned_participants":
            return 0 <= value <= MAX_PARTICIPANTS
        return MIN_MONEY <= value <= MAX_MONEY
    if isinstance(value, str):
        if not value.strip() or len(value) > MAX_LEN.get(field, 200):
            return False
        if field == "contact_person":
            # a name: letters, no digits, no e-mail or obfuscation markup, a few words
            return (
                not re.search(r"[\d@\[\]<>/\\{}|=]", value)
                and len(value.split()) <= 6
                and bool(re.search(r"[^\W\d_]", value))
            )
        if field in ("owner", "region", "phase", "programme_area", "specific_objective"):
            return "@" not in value and len(value.split()) <= 25
    return True


# Values a bare label line (no colon) may take: the field's exact form, checked strictly.
_MONEY_LINE = re.compile(
    r"\d{1,3}(?:[ .\u00a0]\d{3})*(?:,\d+)?\s*(?:kr|kronor|sek|:-)?\.?|\d+\s*(?:kr|kronor|sek)", re.I
)
STRICT: dict[str, Callable[[str], bool]] = {
    "project_number": lambda v: bool(n.ANY_PROJECT_NUMBER.fullmatch(v)),
    "email": lambda v: bool(n.EMAIL.fullmatch(v)),
    "phone": lambda v: bool(n.PHONE.fullmatch(v)),
    "esf_support_sek": lambda v: bool(_MONEY_LINE.fullmatch(v)),
    "total_budget_sek": lambda v: bool(_MONEY_LINE.fullmatch(v)),
    "period": lambda v: n.parse_period(v)[0] is not None and len(v) <= 60,
    "period_start": lambda v: n.parse_date(v) is not None and len(v) <= 30,
    "period_end": lambda v: n.parse_date(v) is not None and len(v) <= 30,
    "planned_participants": lambda v: bool(re.fullmatch(r"\d{1,3}(?:[ \u00a0]\d{3})*", v)),
    "cofinancing_rate": lambda v: bool(re.fullmatch(r"\d+(?:[.,]\d+)?\s*(?:%|procent)", v)),
    "organisation_number": lambda v: n.parse_organisation_number(v) is not None and len(v) <= 13,
    "postcode": lambda v: bool(re.fullmatch(r"\d{3}\s?\d{2}", v)),
    "nuts2": lambda v: n.parse_nuts2(v) is not None,
    "cci": lambda v: n.parse_cci(v) is not None,
    "fund": lambda v: n.parse_fund(v) is not None,
}
# Free-text fields a bare label may take in a form (short, not a sentence).
SOFT = {"owner", "contact_person", "region", "programme_area", "specific_objective", "phase", "intervention_type"}


def _block_start(hits: list[tuple], lines: list[str]) -> Optional[int]:
    """Line index where a project page's block of labelled fields starts: the first short label line
    with at least two more in the next six lines (a lone label in prose is no block, nor are labels
    in a long line of running text)."""
    rows = sorted({h[0] for h in hits if len(lines[h[0]]) <= 150})
    for k, i in enumerate(rows):
        if len([j for j in rows[k + 1 : k + 3] if j <= i + 6]) >= 2:
            return i
    return None


def _soft_value(v: str) -> bool:
    return 0 < len(v) <= 120 and len(v.split()) <= 12 and not v.endswith((".", ":", "?", "!"))


# Words around the kind of a report in its title, and numbers: they are not the project's name.
_REPORT_JOINERS = frozenset(
    "av för i en ett om projekt projektet esf-projekt esf-projektet extern externa följeforskning följeutvärdering".split()
)
_NUMBERISH = re.compile(r"\d{1,4}(?:[–-]\d{2,4})?")


def _any_of(patterns: Optional[list[str]]) -> Optional[re.Pattern]:
    """One case-insensitive regex for a config list of them (None for none)."""
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I) if patterns else None


@dataclass(frozen=True)
class MetadataExtractor:
    labels: tuple[tuple[str, str], ...]  # (label lower-case, field), longest first
    missing: frozenset[str]
    regions: dict[str, str]  # lower-case spelling -> canonical
    generic_titles: frozenset[str] = frozenset()
    prose: Optional[ProseExtractor] = None
    title_skip: Optional[re.Pattern] = None  # lines that are never a title (labels.yaml title_skip)
    title_cut: Optional[re.Pattern] = None  # where a title's tail of furniture begins (labels.yaml title_cut)

    def __post_init__(self):
        # One alternation, longest label first, to find a label at a line start fast.
        alt = "|".join(re.escape(lab) for lab, _ in self.labels)
        object.__setattr__(self, "_label_re", re.compile(rf"^(?:{alt})", re.I))
        # The same labels inside a line, followed by a colon ("... Projektägare: X Datum: ...").
        object.__setattr__(self, "_inline_re", re.compile(rf"(?<![\w-])(?:{alt})\s?:(?=\s|$)", re.I))
        object.__setattr__(self, "_field_of", dict(self.labels))

    @classmethod
    def from_files(
        cls, labels_path: str | Path, regions_path: str | Path, gazetteers: Optional[dict[str, str | Path]] = None
    ) -> MetadataExtractor:
        cfg = load_yaml(labels_path)
        labels = sorted(
            ((lab.lower(), field) for field, spec in cfg["fields"].items() for lab in spec["labels"]),
            key=lambda x: len(x[0]),
            reverse=True,
        )
        regions: dict[str, str] = {}
        for canonical, alts in load_yaml(regions_path)["regions"].items():
            for name in [canonical, *alts]:
                regions[name.lower()] = canonical
        return cls(
            tuple(labels),
            frozenset(v.lower() for v in cfg.get("missing_values", [])),
            regions,
            frozenset(t.lower() for t in cfg.get("generic_titles", [])),
            ProseExtractor.from_files(**(gazetteers or {})),
            _any_of(cfg.get("title_skip")),
            _any_of(cfg.get("title_cut")),
        )

    # -- label detection -------------------------------------------------
    def label_of(self, line: str) -> Optional[tuple[str, str, bool]]:
        """(field, value-after-label, had_colon) when the line starts with a label."""
        m = self._label_re.match(line)
        if not m:
            return None
        field = self._field_of[m.group(0).lower()]
        rest = line[m.end() :]
        if rest.startswith(":") or rest.startswith(" :"):
            return field, rest.split(":", 1)[1].strip(), True
        paren = _PAREN_COLON.match(rest)  # "Projektets totala budget (inklusive medfinansiering): ..."
        if paren:
            return field, rest[paren.end() :].strip(), True
        if not rest.strip():
            return field, "", False
        if field == "project_number" and n.ANY_PROJECT_NUMBER.match(rest.strip()):
            return field, rest.strip(), False
        return None

    def _hits(self, lines: list[str]):
        """(line index, field, value, had_colon, inline) for every label, in document order."""
        for i, line in enumerate(lines):
            if line.startswith("Sekundärtema") or line.startswith("sekundärtema"):
                yield i, "secondary_themes", line, True, False
                continue
            hit = self.label_of(line)
            first = self._label_re.match(line) if hit else None
            pos = first.end() if first else 1
            inline = (
                list(itertools.islice(self._inline_re.finditer(line, pos), MAX_INLINE))
                if len(line) > 20 and ":" in line[pos:]
                else []
            )
            if hit and not inline:
                yield i, *hit, False
                continue
            if not inline:
                continue
            # Several "Label: value" pairs on one line: each value runs to the next label
            # (or to any other "Word:" that ends it, e.g. "Datum:").
            starts = ([first] if first else []) + inline
            stop = inline[-1].end() + MAX_LEN["title"] + 1  # values past the last label are bounded anyway
            ends = sorted(
                {m.start() for m in starts}
                | {len(line)}
                | {m.start() for m in itertools.islice(GENERIC_LABEL.finditer(line, 0, stop), 4 * MAX_INLINE)}
            )
            for m in starts:
                field = self._field_of.get(re.sub(r"\s?:$", "", m.group(0)).lower())
                if field is None:
                    continue
                end = ends[bisect.bisect_right(ends, m.start())]
                value = line[m.end() : end].lstrip(": ").strip()
                yield i, field, value, True, True

    # -- extraction -------------------------------------------------------
    def extract(self, text: str, title_hint: Optional[str] = None) -> tuple[Metadata, Optional[str]]:
        lines = text.split("\n")
        found: dict[str, object] = {}
        hits = list(self._hits(lines))
        block = _block_start(hits, lines)  # where a project page's labelled fields start, if it has them
        # A form: several bare label lines whose next line has the field's exact form.
        strict_bare = sum(
            1
            for i, f, v, colon, _ in hits
            if not colon and not v and f in STRICT and STRICT[f](self._value_below(lines, i))
        )
        form = strict_bare >= 2
        stated_missing: set[str] = set()
        for i, field, value, had_colon, inline in hits:
            if field in found or field in NOT_FIELDS:
                continue
            if field == "secondary_themes":
                self._secondary(lines, i, found)
                continue
            if field in LIST_FIELDS:
                if not inline:
                    items = self._list_after(lines, i, value)
                    if plausible(field, items):
                        found[field] = items
                continue
            if not value and not inline:
                value = self._value_below(lines, i)
                if not had_colon and field != "project_number":
                    check = STRICT.get(field)
                    if not ((check and check(value)) or (form and field in SOFT and _soft_value(value))):
                        continue
            elif not had_colon and field != "project_number":
                continue
            if value and value.strip().lower() in self.missing:
                stated_missing.add(field)  # "Projektägare: saknas": prose must not fill it
            if not value or value.strip().lower() in self.missing:
                continue
            self._set(found, field, value)
        found.pop("period", None)
        if self.prose is not None:
            known = {**dict.fromkeys(stated_missing, None), **found}
            if "period" in stated_missing:
                known.update(period_start=None, period_end=None)
            title = found.get("title") or self._title(lines, title_hint, block)
            for field, value in self.prose.extract(text, known, title).items():
                if field not in found and plausible(field, value):
                    found[field] = value
        title = found.pop("title", None)
        name = title or self._numbered_title(lines) or (self._block_title(lines, block) if block is not None else None)
        if not (name and plausible_name(name)):
            name = find_project_name(text, exclude=(str(found.get("owner") or ""),))
        heading = title or self._trim_title(self._title(lines, title_hint, block))
        found["project_name"] = name or (self._name_in_report_title(heading) if heading else None)
        return Metadata(**found), heading or found["project_name"]

    def _name_in_report_title(self, title: str) -> Optional[str]:
        """A report's title names its project between the words that say what kind of report it is
        ("Slutrapport X 2015-2018", "Extern utvärdering av projektet X", "X. Utvärdering/följeforskning
        Delrapport 2"); None for a title without such words (a news headline)."""
        parts = [p.strip() for p in re.split(r"\.\s+", title) if p.strip()]
        said = False  # the title says it is a report
        while len(parts) > 1 and self._report_words(parts[-1].split()) == len(parts[-1].split()):
            parts.pop()  # a trailing sentence of report words: "Utvärdering/följeforskning Delrapport 2"
            said = True
        words = parts[0].split() if parts else []
        lead = self._report_words(words)
        tail = self._report_words(words[lead:][::-1])
        around = words[:lead] + words[len(words) - tail :]
        said = said or any(w.lower().strip(",.:") in self.generic_titles for w in around)
        name = " ".join(words[lead : len(words) - tail]).strip(" ,.:–-")
        return name if said and plausible_name(name) else None

    def _report_words(self, words: list[str]) -> int:
        """How many of ``words``, from the first, say what kind of report it is, not whose: report
        words, "av projektet", years and numbers."""
        n = 0
        for w in words:
            low = w.lower().strip(",.:()")
            if not (
                all(x in self.generic_titles or x in _REPORT_JOINERS for x in low.split("/"))
                or _NUMBERISH.fullmatch(low)
            ):
                break
            n += 1
        return n

    def _trim_title(self, title: Optional[str]) -> Optional[str]:
        """A cover page's first line can run on into its fields ("Slutrapport X. Projektperiod:
        Diarienummer: …", a PDF's text layer): the title ends before the first field label. It
        also ends where the furniture of ``title_cut`` begins: a site name after the page title,
        a heading the text layer ran into, a cover page's date and authors."""
        for pattern in (self._inline_re, self.title_cut):
            m = pattern.search(title, 1) if title and pattern is not None else None
            if m is not None:
                cut = title[: m.start()].rstrip(" .,;:-–|")
                title = cut if len(cut) >= 3 else title
        return title

    def _set(self, found: dict, field: str, value: str) -> None:
        if field == "period":
            start, end = n.parse_period(value)
            if start:
                found.setdefault("period_start", start)
            if end:
                found.setdefault("period_end", end)
            found[field] = True
            return
        if field == "contact_person":
            # "Kontaktperson: Eva Lind, eva.lind@exempel.se, 0522-123 45" states all three.
            for extra, parse in (("email", n.parse_email), ("phone", n.parse_phone)):
                got = parse(value)
                if got and plausible(extra, got):
                    found.setdefault(extra, got)
        parsed = PARSERS[field](value)
        if field == "region" and parsed is not None:
            parsed = self.regions.get(str(parsed).lower(), parsed)
        if plausible(field, parsed):
            found[field] = parsed

    def _secondary(self, lines: list[str], i: int, found: dict) -> None:
        """'Sekundärtema - Motverka barnfattigdom:' + 'Ja'/'Nej' (same or next line) -> themes answered Ja."""
        m = SECONDARY.match(lines[i].strip())
        if not m:
            return
        answer = m.group(2) or self._value_below(lines, i)
        themes = found.setdefault("secondary_themes", [])
        if answer.strip().lower() == "ja" and len(m.group(1)) <= MAX_ITEM_LEN and len(themes) < MAX_ITEMS:
            themes.append(m.group(1))

    def _value_below(self, lines: list[str], i: int) -> str:
        for line in lines[i + 1 : i + 4]:
            if not line.strip():
                continue
            if self.label_of(line) or line.startswith("•"):
                return ""
            return line.strip()
        return ""

    def _list_after(self, lines: list[str], i: int, inline: str) -> list[str]:
        if inline:
            inline = _first_sentence(inline)
            return [x for x in (p.strip(" .") for p in LIST_SPLIT.split(inline)) if x and x.lower() not in self.missing]
        items: list[str] = []
        for line in lines[i + 1 :]:
            m = BULLET.match(line)
            if m:
                if re.search(r"[^\W\d_]", m.group(1)):  # a name has letters; "3053-4135" is not one
                    items.append(m.group(1).strip())
            elif line.strip() and not items and line.strip().lower() in self.missing:
                break
            elif line.strip():
                break
        return items

    @staticmethod
    def _numbered_title(lines: list[str]) -> Optional[str]:
        """'2015/00123 - Namn' near the top: the project's number and name."""
        for line in lines[:15]:
            m = TITLE_LINE.match(line.strip())
            if m:
                return m.group(2).strip()
        return None

    def _block_title(self, lines: list[str], block: int) -> Optional[str]:
        """A project page: the project's name heads its block of labelled fields (a banner or a
        notice of the site may come first: "3 december - Webbinarium ...")."""
        for line in reversed(lines[:block]):
            t = line.strip()
            if t and len(t) <= 200 and t.lower().rstrip(":") not in self.generic_titles:
                return _text(t)
        return None

    def _title(self, lines: list[str], hint: Optional[str], block: Optional[int] = None) -> Optional[str]:
        numbered = self._numbered_title(lines)
        if numbered:
            return numbered
        if hint:
            return _text(hint)
        if block is not None:
            t = self._block_title(lines, block)
            if t:
                return t
        for line in lines:
            if self._may_be_title(line.strip()):
                return _text(line) if len(line) <= 200 else None
        return None

    def _may_be_title(self, line: str) -> bool:
        """Not a generic word ("Pressmeddelande -"), a skip link, a dateline or publication stamp, an image's
        alt text (lower case first) or a lone place name."""
        if not line or line.lower().rstrip(" :-–•") in self.generic_titles or line[0].islower():
            return False
        if self.title_skip is not None and self.title_skip.search(line):
            return False
        places = self.prose.municipalities if self.prose is not None else frozenset()
        return not (" " not in line and line.title() in places)
