"""Find "Label: value" pairs (one line, or label and value on consecutive
lines, or bullet lists under a label) and normalise their values."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from ..common import load_yaml
from ..record import Metadata
from . import normalise as n

BULLET = re.compile(r"^•\s*(.+)$")
TITLE_LINE = re.compile(r"^((?:19|20)\d{2}/\d{3,5})\s+[-–]\s+(.+)$")
LIST_SPLIT = re.compile(r"\s*(?:,|;|\boch\b|&)\s*")


def _text(value: str) -> Optional[str]:
    value = re.sub(r"\s+", " ", value).strip().strip(",;")
    return value or None


def _person(value: str) -> Optional[str]:
    value = n.EMAIL.sub("", value)
    value = n.PHONE.sub("", value)
    value = re.split(r"[,;(]| - | – ", value)[0]
    return _text(value)


PARSERS: dict[str, Callable[[str], object]] = {
    "project_number": n.parse_project_number,
    "title": _text,
    "owner": _text,
    "contact_person": _person,
    "email": n.parse_email,
    "phone": n.parse_phone,
    "programme_area": _text,
    "specific_objective": _text,
    "phase": _text,
    "esf_support_sek": n.parse_money,
    "total_budget_sek": n.parse_money,
    "region": _text,
    "planned_participants": n.parse_int,
    "cofinancing_rate": n.parse_percent,
    "intervention_type": _text,
    "postcode": lambda v: re.sub(r"\s", "", v) if re.fullmatch(r"\d{3}\s?\d{2}", v.strip()) else None,
}
LIST_FIELDS = {"municipalities", "participating_organisations"}


@dataclass(frozen=True)
class MetadataExtractor:
    labels: tuple[tuple[str, str], ...]  # (label lower-case, field), longest first
    missing: frozenset[str]
    regions: dict[str, str]  # lower-case spelling -> canonical
    generic_titles: frozenset[str] = frozenset()

    def __post_init__(self):
        # One alternation, longest label first, to find a label at a line start fast.
        alt = "|".join(re.escape(lab) for lab, _ in self.labels)
        object.__setattr__(self, "_label_re", re.compile(rf"^(?:{alt})", re.I))
        object.__setattr__(self, "_field_of", dict(self.labels))

    @classmethod
    def from_files(cls, labels_path: str | Path, regions_path: str | Path) -> "MetadataExtractor":
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
        return cls(tuple(labels), frozenset(v.lower() for v in cfg.get("missing_values", [])), regions,
                   frozenset(t.lower() for t in cfg.get("generic_titles", [])))

    # -- label detection -------------------------------------------------
    def label_of(self, line: str) -> Optional[tuple[str, str, bool]]:
        """(field, value-after-label, had_colon) when the line starts with a label."""
        m = self._label_re.match(line)
        if not m:
            return None
        field = self._field_of[m.group(0).lower()]
        rest = line[m.end():]
        if rest.startswith(":"):
            return field, rest[1:].strip(), True
        if not rest.strip():
            return field, "", False
        if field == "project_number" and n.PROJECT_NUMBER.match(rest.strip()):
            return field, rest.strip(), False
        return None

    # -- extraction -------------------------------------------------------
    def extract(self, text: str, title_hint: Optional[str] = None) -> tuple[Metadata, Optional[str]]:
        lines = text.split("\n")
        found: dict[str, object] = {}
        for i, line in enumerate(lines):
            hit = self.label_of(line)
            if not hit:
                continue
            field, value, had_colon = hit
            if field in found or field == "address":
                continue
            if field in LIST_FIELDS:
                items = self._list_after(lines, i, value)
                if items:
                    found[field] = items
                continue
            if not had_colon and field != "project_number":
                continue
            if not value:
                value = self._value_below(lines, i)
            if not value or value.strip().lower() in self.missing:
                continue
            if field == "period":
                start, end = n.parse_period(value)
                if start:
                    found["period_start"] = start
                if end:
                    found["period_end"] = end
                found[field] = True
                continue
            if field == "contact_person":
                # "Kontaktperson: Eva Lind, eva.lind@exempel.se, 0522-123 45" states all three.
                for extra, parse in (("email", n.parse_email), ("phone", n.parse_phone)):
                    got = parse(value)
                    if got:
                        found.setdefault(extra, got)
            parsed = PARSERS[field](value)
            if parsed is not None:
                if field == "region":
                    parsed = self.regions.get(str(parsed).lower(), parsed)
                found[field] = parsed
        found.pop("period", None)
        title = found.pop("title", None) or self._title(lines, title_hint)
        return Metadata(**found), title

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

    def _title(self, lines: list[str], hint: Optional[str]) -> Optional[str]:
        for line in lines[:15]:
            m = TITLE_LINE.match(line.strip())
            if m:
                return m.group(2).strip()
        if hint:
            return _text(hint)
        for line in lines:
            if line.strip() and line.strip().lower().rstrip(":") not in self.generic_titles:
                return _text(line) if len(line) <= 200 else None
        return None
