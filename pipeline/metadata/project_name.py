"""The project's name in running text: news items, reports and organisation pages.

A project page states its name in a field or as the heading of its labelled fields; a news item's
title is a headline ("Eslöv får 3,5 EU-miljoner ...") and a report's is the report's
("Slutrapport genomförande"). There the name stands in the prose, after a cue:

* ``projektet Ung Arena 9.0``, ``ESF-projektet Andra chansen``, ``arbetslöshetsprojektet X``;
* ``Projektet kallas X``, ``satsningen heter X``, ``Projektet som fått namnet ”X”``;
* ``X var ett ESF-finansierat projekt``, ``X är ett projekt``;
* ``Slutrapport X``.

An acronym the document spells out is given whole, as the document writes it: a line or a
``Projektet …`` that goes on ``IRIS – Individuella resurser – Individuellt stöd``, or ``STORK, som
står för ”strategisk omställning …”`` (-> ``STORK – strategisk omställning …``).

A quoted name is taken whole. An unquoted one starts with a capital or ``#`` and runs to
punctuation or a verb ("har", "ska", "pågår" ...); names may hold lower-case words ("Ung kompetens
i Eslöv", "Rätt stöd för mig"), so where the run is ambiguous ("ESF-projektet Andra chansen i
Uppsala") the longest prefix the document repeats wins ("Andra chansen"). Every mention votes; a
quoted or repeated name and one in the first lines count more.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from typing import Optional

_QUOTES = "\"”“«»'’"
_SPACE = re.compile(r"[ \t]*")
_TOKEN = re.compile(r"[\w#&+/.'’-]*\w[\w&+]*|[–-]")
# a cue directly before a name
_CUE = re.compile(
    r"(?:\b[\w-]*?(?i:projekt)(?:et)?|\b(?:Projektnamn|Projektets namn):|\b[Ss]atsningen|\b[Ff]örstudien|\b[Ss]lutrapport(?:en)?|"
    r"\b(?:kallas|heter|hette|benämns|namnet)(?:\s+satsningen)?|\bi\s+projektet)"
    r"[ \t]*,?[ \t]+(?=[\w#" + _QUOTES + r"])"
)
_QUOTED = re.compile(rf"[{_QUOTES}]([^{_QUOTES}\n]{{2,90}})[{_QUOTES}]")
# "X var ett (ESF-finansierat) projekt": the name opens a sentence or a line
_IS_PROJECT = re.compile(
    r"(?:^|(?<=[.!?]\s)|(?<=\n))(?P<name>[A-ZÅÄÖ#][^\n.!?]{1,80}?)\s+(?:är|var|har\s+varit)\s+(?:ett|en)\s+"
    r"(?:[\w-]+\s+){0,3}?(?:[\w-]*projekt|satsning|förstudie)\b",
    re.MULTILINE,
)
# words that end an unquoted name: verbs and clause words that follow a name
_STOP = frozenset(
    """har hade ska skall är var blev blir som pågår pågick startade startar startas får fick kommer kan
    kunde vill syftar syftade riktar riktade vänder vände bedrivs bedrevs drivs drevs finansieras
    finansierades ger gav genomförs genomfördes beviljades beviljats beviljas arbetar arbetade
    handlar ingår ingick leds leddes omfattar omfattade utgår vilket där när men samt eller inom
    mellan under från sedan efter enligt varar löper slutrapport rapport delrapport utvärdering
    projektnummer diarienummer projektperiod projektägare deltar deltog erbjuder erbjöd når nådde
    fortsätter fortsatte avslutas avslutades""".split()
)
# a name does not end in one of these
_FUNCTION = frozenset("i och för av med på till om en ett den det de att som från inom vid".split())
# what is no project's name (the fund, the programme, a generic word)
_NOT_NAMES = re.compile(
    r"(?:ESF|ESF\+|Europeiska\s+socialfonden|Socialfonden|Svenska\s+ESF(?:-rådet)?|ESF-rådet|EU|Projektet|Projekt|"
    r"Projektägare|Projektledare|Slutrapport|Genomförande|Förprojektering|Syfte|Mål|Sammanfattning)",
    re.IGNORECASE,
)
# a heading is no name (a report's "Bakgrund" above its labelled fields)
_HEADINGS = re.compile(
    r"(?:Bakgrund|Beskrivning|Inledning|Information|Kontakt|Kontaktuppgifter|Målgrupp(?:er)?|Resultat|"
    r"Om projektet|Projektfakta|Nyheter|Aktuellt|Innehåll)\s*:?",
    re.IGNORECASE,
)
MAX_WORDS = 10
MAX_EXPANSION_WORDS = 12  # the words after the dash of "IRIS – Individuella resurser – Individuellt stöd"
MAX_CHARS = 20_000  # a project is named near the start: later text is not read (bounded work per document)
MAX_MENTIONS = 40
HEAD_CHARS = 600  # a name in the first lines (title, heading) counts more


def _clean(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip(" \t,;:-–" + _QUOTES)


def plausible_name(name: str) -> bool:
    """Could this be a project's name? (a capital or ``#`` first, at most ten words, no heading,
    not the fund or a word like "Projektet")"""
    words = name.split()
    if not words or len(words) > MAX_WORDS or len(name) < 2 or len(name) > 90:
        return False
    if not (name[0].isupper() or name[0] == "#"):
        return False
    return not (_NOT_NAMES.fullmatch(name) or _HEADINGS.fullmatch(name))


def _unquoted(text: str, start: int) -> list[str]:
    """The words of a name starting at ``start``, up to punctuation, a line end or a clause word."""
    words: list[str] = []
    pos = start
    while len(words) < MAX_WORDS + 2:
        pos = _SPACE.match(text, pos).end()
        t = _TOKEN.match(text, pos)
        if not t:
            break
        w = t.group(0)
        if not words and not (w[0].isupper() or w[0] == "#"):
            break
        if words and w.lower() in _STOP:
            break
        words.append(w)
        pos = t.end()
        nxt = text[pos : pos + 2]
        if nxt[:1] and (nxt[0] in ",;:!?()\n" or (nxt[0] == "." and nxt[1:2] in ("", " ", "\n", "\t"))):
            break
    while words and (words[-1].lower() in _FUNCTION or words[-1] in "–-"):
        words.pop()
    return words


class _Counts(dict):
    """How often a name occurs in the text, as a whole word and in any case (counted once per name)."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def __missing__(self, name: str) -> int:
        n = self[name] = len(re.findall(r"(?<!\w)" + re.escape(name) + r"(?!\w)", self.text, re.IGNORECASE))
        return n


def _best_cut(words: list[str], count: _Counts) -> Optional[str]:
    """Where the run goes on in lower case ("Andra chansen i Uppsala", "Ung i fokus uppmärksammar
    ..."), the longest prefix that the document repeats; else the whole run. A run is cut only
    before a lower-case word: "Care For Ukrainian Refugees" stays whole."""
    cuts = [
        " ".join(words[:k])
        for k in range(len(words), 0, -1)
        if (k == len(words) or words[k][:1].islower()) and words[k - 1].lower() not in _FUNCTION | {"–", "-"}
    ]
    if not cuts:
        return None
    for c in cuts:
        if count[c] >= 2:
            return c
    return cuts[0]


_STANDS_FOR = re.compile(r",?[ \t]+som[ \t]+står[ \t]+för[ \t]+[" + _QUOTES + r"]?([^\n.!?" + _QUOTES + r"]{3,120})")
_LINE_OR_CUE = re.compile(r"(?:^|\n|\b(?i:projekt)(?:et)?[ \t]+)$")


_ACRONYM = re.compile(r"[A-ZÅÄÖ][A-ZÅÄÖ0-9]{1,7}")
_DASHED = re.compile(r"[ \t]+[–-][ \t]*([^\n]{1,200}?)[ \t]*(?=\.(?:\s|$)|\n|$)")
_FUND = re.compile(r"\bESF\b|socialfond", re.IGNORECASE)  # "Ung i fokus - Svenska ESF": a site's name


def _expansion(words: str) -> bool:
    """Could these words spell out a name? (a few words, no clause: "som", "har", "ska" … end it)"""
    ws = _TOKEN.findall(words)
    return 0 < len(ws) <= MAX_EXPANSION_WORDS and not any(w.lower() in _STOP for w in ws) and not _FUND.search(words)


def expand_name(name: str, text: str) -> str:
    """An acronym ``name`` spelled out where the document does so (see the module's doc), else ``name``.
    Only an acronym: after another name a dash more often opens a report's subtitle ("Ung i fokus –
    integration, egenmakt …")."""
    if not _ACRONYM.fullmatch(name):
        return name
    head = text[:MAX_CHARS]
    for m in itertools.islice(re.finditer(r"(?<![\w(])" + re.escape(name) + r"(?!\w)", head), MAX_MENTIONS):
        if _LINE_OR_CUE.search(head[max(0, m.start() - 30) : m.start()]):
            # "IRIS – Individuella resurser – Individuellt stöd" (to the line's or the sentence's end)
            d = _DASHED.match(head, m.end())
            if d and d.group(1)[0].isalpha() and _expansion(d.group(1)):
                return _clean(head[m.start() : d.end()])
        q = _STANDS_FOR.match(head, m.end())
        if q and _expansion(q.group(1)):
            return f"{name} – {_clean(q.group(1))}"
    return name


def find_project_name(text: str, exclude: tuple[str, ...] = ()) -> Optional[str]:
    """The project's name as the text writes it, or None. ``exclude``: names that are not the
    project's (its owner, say)."""
    text = text[:MAX_CHARS]
    count = _Counts(text)
    votes: dict[str, float] = defaultdict(float)
    first: dict[str, int] = {}
    spelled: dict[str, str] = {}
    skip = {e.casefold() for e in exclude if e}

    def add(name: Optional[str], weight: float, at: int) -> None:
        if not name:
            return
        name = _clean(name)
        if not plausible_name(name) or name.casefold() in skip:
            return
        key = name.casefold()
        votes[key] += weight
        first.setdefault(key, at)
        spelled.setdefault(key, name)

    for m in itertools.islice(_CUE.finditer(text), MAX_MENTIONS):
        pos = m.end()
        if pos < len(text) and text[pos] in _QUOTES:
            q = _QUOTED.match(text, pos)
            if q:
                add(q.group(1), 2.0, pos)
            continue
        words = _unquoted(text, pos)
        if words:
            add(_best_cut(words, count), 1.0, pos)
    for m in itertools.islice(_IS_PROJECT.finditer(text), MAX_MENTIONS):
        add(re.sub(r"^(?:Projektet|Projekt|Satsningen)\s+", "", m.group("name")), 1.5, m.start())
    if not votes:
        return None
    counts = {k: count[spelled[k]] for k in votes}
    for key in list(votes):  # "Andra" cut from "Andra chansen Forskningsrapport" is "Andra chansen"
        # ... but "Företagsamma kvinnor" does not become "Företagsamma kvinnor i Karlskrona": a place is no part
        longer = [
            k
            for k in votes
            if k.startswith(key + " ") and counts[k] >= 2 and k[len(key) + 1 :].split()[0] not in _FUNCTION
        ]
        if longer:
            votes[min(longer, key=len)] += votes.pop(key)
    head = text[:HEAD_CHARS].casefold()
    for key in votes:  # a name the document repeats, or that heads it, is the project's own
        votes[key] += 0.5 * min(counts[key] - 1, 3) + (1.0 if key in head else 0.0)
    best = max(votes, key=lambda k: (votes[k], -first[k]))
    return expand_name(spelled[best], text)
