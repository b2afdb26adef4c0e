"""Domain knowledge on top of the statistical model: ESF patterns and gazetteers.

All matching is done with regular expressions on the record text, so it works
whatever the tokenizer does (e.g. the glued ``KontaktpersonLennart Anderberg`` that
web-page extraction produces) and returns character offsets directly.

Place vs organisation (the "Alingsås" / "Alingsås kommun" rule)
----------------------------------------------------------------
A bare place name is a place: ``Alingsås``, ``Västernorrland``, ``Västsverige`` -> LOC.
A place name together with the word that makes it an organisation is an
organisation, and the entity is the whole phrase: ``Alingsås kommun``,
``Hallstahammars kommun``, ``Region Västernorrland``, ``Länsstyrelsen i
Västernorrlands län``, ``Länsstyrelsen Västernorrland``, ``Samordningsförbundet
Consensus``, ``Göteborgsregionens kommunalförbund``, ``Mtn AB`` -> ORG. These
patterns have the highest priority after the document's own metadata, so the
model can neither split them nor label them LOC (the news corpus labels ``Kiruna
kommun`` LOC; we deliberately do not follow it, because registry users ask "which
organisations run the project" and a municipality runs it as an organisation).
A bare gazetteer place name that the model calls ORG exactly (same span) is
relabelled LOC; a longer model span that contains a place name (``Alingsås
Futurum``, ``Avesta Vatten & Avfall``) is kept as the model says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Optional

from ..common import load_yaml
from ..paths import repo_path
from .gazetteers import load

# Priorities: higher wins when candidate spans overlap (ties: longer span wins).
PRIO_METADATA = 50
PRIO_FIELD = 40
PRIO_PATTERN = 30
PRIO_GAZ_EXACT_MODEL = 25  # a gazetteer name that coincides exactly with a model span
PRIO_MODEL = 20
PRIO_PROPAGATED = 15
PRIO_GAZ = 10

# Bare municipality names that are also common words or surnames; they are still
# matched inside "<name> kommun" but never alone.
AMBIGUOUS_PLACES = {"Mark", "Vara", "Berg", "Kil", "Ale", "Nora", "Mora"}
# A capitalised word (part of a name in a pattern).
_UP = "A-ZÅÄÖÉÜØÆ"
_NAME = rf"[{_UP}][\w'’-]*"
_COMPASS = "(?:Nordost|Nordväst|Sydost|Sydväst|Norra|Södra|Östra|Västra|Centrala|Nord|Syd|Öst|Väst)"


@dataclass(frozen=True)
class Cand:
    start: int
    end: int
    label: str
    source: str
    prio: int


def _alt(names: Iterable[str]) -> str:
    # longest first so that "Upplands Väsby" wins over "Upplands"
    return "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))


def _b(pattern: str) -> str:
    """Word-boundary wrapper that also works next to non-ASCII letters."""
    return rf"(?<![\w-])(?:{pattern})(?![\w-])"


class Rules:
    """Compiled ESF patterns and gazetteers (load once per stage)."""

    def __init__(self, directory: str = "configs/gazetteers", labels: Optional[str] = None):
        g = load(directory)
        self.gaz = g
        munis = g.get("municipalities", [])
        counties = g.get("counties", [])
        cnames = g.get("county_names", [])
        regions = g.get("esf_regions", [])
        places = g.get("places", [])
        orgs = g.get("organisations", [])
        munis = sorted(set(munis) | {m.replace(" ", "-") for m in munis if " " in m})
        self.municipalities = set(munis)
        self.county_names = set(cnames)
        self.loc_names = set(munis) | set(counties) | set(cnames) | set(regions) | set(places)
        self.org_names = set(orgs)
        self.not_entities = {w.lower() for w in g.get("not_entities", [])}
        # The field labels of configs/labels.yaml ("Tel", "Uppgiftslämnare", "Name"): never an entity on
        # their own, but unlike not_entities never trimmed off a longer one ("Tel Aviv").
        fields = load_yaml(repo_path(labels))["fields"] if labels else {}
        self.field_labels = {lab.lower() for spec in fields.values() for lab in spec["labels"]}

        muni = _alt(munis)
        county = _alt(cnames)
        org_patterns = [
            rf"(?:{muni})s? [Kk]ommuns?",
            rf"Region (?:{county})(?: län)?",
            rf"(?:{county})s? läns? (?:landsting|regionförbund)",
            rf"Landstinget i (?:{county})s?(?: län)?",
            rf"Länsstyrelsen(?: i)? (?:{county})s?(?: län)?",
            rf"(?:{county})s? läns? länsstyrelse",
            rf"(?:Samordningsförbundet|Kommunalförbundet|Kommunförbundet|Regionförbundet|Räddningstjänstförbundet)(?: i)? {_NAME}(?: {_COMPASS})?",
            rf"(?:{_NAME} ){{0,2}}{_NAME}s (?:[Kk]ommunalförbund|[Ss]amordningsförbund|[Rr]äddningstjänstförbund|[Kk]ommunförbund)",
            rf"(?:Högskolan|Folkhögskolan) (?:i )?{_NAME}",
            rf"(?:Stiftelsen )?(?:{_NAME} ){{0,2}}{_NAME}s (?:universitet|högskola|folkhögskola)",
            # company suffix: up to four capitalised words (or & / digits) before "AB"
            rf"[{_UP}0-9][\w&'’.-]* (?:(?:[{_UP}0-9][\w&'’.-]*|&|i|och) ){{0,4}}AB",
        ]
        self.org_re = re.compile("|".join(_b(p) for p in org_patterns))
        # an agency or association with its local branch: "Företagarna Västernorrland"
        self.agency_re = re.compile(_b(rf"(?:{_alt(orgs)})(?: (?:{county}|{muni}))?s?")) if orgs else None
        loc = [n for n in self.loc_names if n not in AMBIGUOUS_PLACES]
        self.loc_re = re.compile(_b(rf"(?:{_alt(loc)})s?")) if loc else None
        # "Projektägare: X" / "ProjektägareX" / "Kontaktperson\nX" lines of ESF project pages
        self.field_re = re.compile(
            r"(?m)^[ \t]*(?P<key>Projektägare|Kontaktperson|Region|Stödmottagare|Samverkanspartners?)"
            r"[ \t]*:?[ \t]*\n?[ \t]*(?P<val>[^\n]+?)[ \t]*$"
        )
        self.person_re = re.compile(rf"{_NAME}(?:[ -]{_NAME}){{1,3}}")
        # "Kommun" / "Deltagande aktörer" headings followed by a bullet list
        self.list_re = re.compile(
            r"(?m)^[ \t]*(?P<key>Kommun|Kommuner|Deltagande aktörer|Samverkanspartners?|Medverkande organisationer)[ \t]*:?[ \t]*\n"
            r"(?P<items>(?:[ \t]*\n)*(?:[ \t]*[•*·-][ \t]*[^\n]*\n?)+)"
        )
        self.item_re = re.compile(r"(?m)^[ \t]*[•*·-][ \t]*(?P<v>[^\n]*?)[ \t]*$")

    # -- candidates -------------------------------------------------------
    def patterns(self, text: str) -> list[Cand]:
        out = [Cand(m.start(), m.end(), "ORG", "gazetteer", PRIO_PATTERN) for m in self.org_re.finditer(text)]
        if self.agency_re is not None:
            out += [
                Cand(m.start(), m.end(), "ORG", "gazetteer", PRIO_PATTERN)
                for m in self.agency_re.finditer(text)
                if m.group().lower() not in self.not_entities
            ]
        return out

    def places(self, text: str) -> list[Cand]:
        if self.loc_re is None:
            return []
        return [Cand(m.start(), m.end(), "LOC", "gazetteer", PRIO_GAZ) for m in self.loc_re.finditer(text)]

    def lists(self, text: str) -> list[Cand]:
        """Bullet lists under "Kommun" (LOC) and "Deltagande aktörer" (ORG) headings."""
        out = []
        for m in self.list_re.finditer(text):
            label = "LOC" if m.group("key").startswith("Kommun") else "ORG"
            for im in self.item_re.finditer(m.group("items")):
                v = im.group("v")
                if not v or not v[0].isupper() or len(v.split()) > 8:
                    continue
                s0 = m.start("items") + im.start("v")
                out.append(Cand(s0, s0 + len(v), label, "gazetteer", PRIO_FIELD))
        return out

    def fields(self, text: str) -> list[Cand]:
        """Entities from the key/value header of ESF project pages."""
        out = self.lists(text)
        for m in self.field_re.finditer(text):
            key, val, vs = m.group("key"), m.group("val"), m.start("val")
            if not val or not val[0].isupper():
                continue
            if key == "Kontaktperson":
                pm = self.person_re.fullmatch(val)
                if pm:
                    out.append(Cand(vs, vs + len(val), "PER", "gazetteer", PRIO_FIELD))
            elif key == "Region":
                if val in self.loc_names:
                    out.append(Cand(vs, vs + len(val), "LOC", "gazetteer", PRIO_FIELD))
            else:  # owner / beneficiary / partners: "Avesta kommun, Kommunkansliet" -> first part
                for part in re.finditer(r"[^,;]+", val):
                    p = part.group().strip()
                    if not p or not p[0].isupper() or len(p.split()) > 8 or re.search(r"\d{3}", p):
                        if key == "Projektägare":
                            break
                        continue
                    ps = vs + part.start() + (len(part.group()) - len(part.group().lstrip()))
                    out.append(Cand(ps, ps + len(p), "ORG", "gazetteer", PRIO_FIELD))
                    if key == "Projektägare":
                        break  # the rest is a department of the owner
        return out


def metadata_values(metadata) -> list[tuple[str, str]]:
    """(value, label) pairs from ``record.metadata`` to look up in the text."""
    out: list[tuple[str, str]] = []
    if metadata is None:
        return out
    if getattr(metadata, "owner", None):
        # "Avesta kommun, Kommunkansliet": the organisation and its department, separately
        parts = [p.strip() for p in re.split(r"[,;]", metadata.owner)]
        out += [(p, "ORG") for p in parts if p and p[0].isupper()]
    if getattr(metadata, "contact_person", None):
        out.append((metadata.contact_person, "PER"))
    if getattr(metadata, "region", None):
        out.append((metadata.region, "LOC"))
    for m in getattr(metadata, "municipalities", None) or []:
        out.append((m, "LOC"))
    for o in getattr(metadata, "participating_organisations", None) or []:
        out.append((o, "ORG"))
    return [(v.strip(), lab) for v, lab in out if v and len(v.strip()) >= 2]


def find_exact(text: str, value: str) -> list[tuple[int, int]]:
    """Occurrences of ``value`` in ``text`` (case-sensitive), not inside a longer word.

    A value glued to a preceding lower-case label (``KontaktpersonLennart``) is
    accepted: web extraction often drops the separator between label and value.
    """
    out = []
    start = 0
    while True:
        i = text.find(value, start)
        if i < 0:
            return out
        j = i + len(value)
        left_ok = (
            i == 0
            or not (text[i - 1].isalnum() or text[i - 1] == "-")
            or (value[0].isupper() and text[i - 1].islower())
        )
        right_ok = (
            j >= len(text)
            or not (text[j].isalnum() or text[j] == "-")
            or (text[j] == "s" and (j + 1 >= len(text) or not text[j + 1].isalnum()))
        )
        if left_ok and right_ok:
            out.append((i, j))
        start = i + 1


def _drop_contained_metadata(cands: list[Cand]) -> list[Cand]:
    """A metadata name inside a longer pattern/gazetteer span yields to it:
    municipality "Hallstahammar" inside the organisation "Hallstahammars kommun"."""
    ends_at: dict[int, int] = {}
    for c in cands:
        if c.source not in ("model", "metadata"):
            ends_at[c.start] = max(ends_at.get(c.start, 0), c.end)
    if not ends_at:
        return cands

    def contained(c: Cand) -> bool:
        return any(
            ends_at.get(s, -1) >= c.end and ends_at[s] - s > c.end - c.start
            for s in range(max(0, c.start - 80), c.start + 1)
        )

    return [c for c in cands if c.source != "metadata" or not contained(c)]


def resolve(cands: list[Cand]) -> list[Cand]:
    """Non-overlapping selection: higher priority first, then longer, then earlier."""
    if not cands:
        return []
    cands = _drop_contained_metadata(cands)
    occupied = bytearray(max(c.end for c in cands) + 1)
    chosen: list[Cand] = []
    for c in sorted(cands, key=lambda c: (-c.prio, -(c.end - c.start), c.start)):
        if c.end <= c.start or any(occupied[c.start : c.end]):
            continue
        chosen.append(c)
        occupied[c.start : c.end] = b"\x01" * (c.end - c.start)
    return sorted(chosen, key=lambda c: c.start)


def vote(text: str, chosen: list[Cand]) -> list[Cand]:
    """One label per name in a document: model entities take the majority label."""
    from collections import Counter, defaultdict

    labels: dict[str, Counter] = defaultdict(Counter)
    for c in chosen:
        labels[text[c.start : c.end]][c.label] += 1 if c.source == "model" else 3
    out = []
    for c in chosen:
        if c.source == "model":
            best, n = labels[text[c.start : c.end]].most_common(1)[0]
            if best != c.label and n > labels[text[c.start : c.end]][c.label]:
                c = Cand(c.start, c.end, best, c.source, c.prio)
        out.append(c)
    return out


def propagate(
    text: str,
    chosen: list[Cand],
    min_len: int = 4,
    exclude: frozenset | set = frozenset(),
    common: frozenset | set = frozenset(),
) -> list[Cand]:
    """Other occurrences of multi-word or rule-found names, as new candidates.

    A person's surname alone (``Kallenberg`` after ``Magnus Kallenberg``) is a
    person too.
    """
    seen: dict[str, Cand] = {}
    for c in chosen:
        s = text[c.start : c.end]
        if len(s) >= min_len and (" " in s or c.source != "model"):
            seen.setdefault(s, c)
        if c.label == "PER" and " " in s:
            last = s.split()[-1]
            if len(last) >= 3 and last[0].isupper() and last not in exclude and last.lower() not in common:
                seen.setdefault(last, c)
    out = []
    for s, c in seen.items():
        for i, j in find_exact(text, s):
            out.append(Cand(i, j, c.label, c.source, PRIO_PROPAGATED))
    return out


def strip_span(text: str, start: int, end: int) -> Optional[tuple[int, int]]:
    """Trim whitespace and stray punctuation from a model span."""
    while start < end and (text[start].isspace() or text[start] in "\"'”“,.:;()[]–-"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in "\"'”“,.:;()[]–-"):
        end -= 1
    return (start, end) if end > start else None
