"""Theme taxonomy: loading ``configs/themes.yaml`` and compiling its lexicons.

Term syntax (see the config header): ``nyanländ`` matches at a word start with
any ending (Swedish inflection: nyanlända, nyanländas); a leading ``*`` also
allows the term inside a compound (``*funktionsnedsätt`` matches
"psykiska funktionsnedsättningar" and "NPF-funktionsnedsättning"); a trailing
``$`` requires the word to end there; ``re:`` introduces a raw regex.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..paths import repo_path


@dataclass
class ThemeDef:
    id: str
    label: str
    description: str = ""
    sections: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    weak_terms: list[str] = field(default_factory=list)
    threshold: float | None = None
    programme_areas: list[str] = field(default_factory=list)


@dataclass
class Taxonomy:
    themes: list[ThemeDef]
    defaults: dict[str, Any]
    matcher: Matcher | None = None

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.themes]

    def get(self, theme_id: str) -> ThemeDef:
        for t in self.themes:
            if t.id == theme_id:
                return t
        raise KeyError(theme_id)


def term_to_regex(term: str) -> str:
    """Translate one config term into a regex fragment (matched on lower-cased text)."""
    term = term.strip()
    if term.startswith("re:"):
        return f"(?:{term[3:]})"
    t = term.lower()
    inner = t.startswith("*")
    whole = t.endswith("$")
    t = t.strip("*$")
    body = r"\s+".join(re.escape(part) for part in t.split())
    left = "" if inner else r"(?<![\w])"
    right = r"(?![\w])" if whole else ""
    return f"{left}{body}{right}"


def _parse_term(term: str):
    t = term.strip().lower()
    inner = t.startswith("*")
    whole = t.endswith("$")
    body = " ".join(t.strip("*$").split())
    return body, inner, whole


class Matcher:
    """All themes' lexicons in one regex pass.

    Every literal term body goes into a single alternation (longest first);
    a match is mapped back to (theme, strength) entries by dictionary lookup of
    the matched text and of its prefixes, and each entry's own boundary rules
    (word start unless ``*``; word end if ``$``) are checked. ``re:`` terms are
    run separately.
    """

    def __init__(self, themes: list[ThemeDef]):
        self.lookup: dict[str, list[tuple[int, bool, bool, bool]]] = {}
        self.raw: list[tuple[int, bool, re.Pattern]] = []
        for j, th in enumerate(themes):
            for terms, strong in ((th.terms, True), (th.weak_terms, False)):
                for term in terms:
                    if not term or not term.strip():
                        continue
                    if term.strip().startswith("re:"):
                        self.raw.append((j, strong, re.compile(term.strip()[3:], re.IGNORECASE)))
                        continue
                    body, inner, whole = _parse_term(term)
                    if body:
                        self.lookup.setdefault(body, []).append((j, strong, inner, whole))
        bodies = list(self.lookup)
        self.regex = re.compile(trie_regex(bodies)) if bodies else None
        self.lengths = sorted({len(b) for b in bodies}, reverse=True)

    def find(self, lower: str):
        """Yield (start, end, theme_idx, strong, term) for all hits in lower-cased text."""
        n = len(lower)
        if self.regex is not None:
            for m in self.regex.finditer(lower):
                s0 = m.start()
                txt = " ".join(m.group(0).split())
                left_ok = s0 == 0 or not (lower[s0 - 1].isalnum() or lower[s0 - 1] == "_")
                for L in self.lengths:
                    if L > len(txt):
                        continue
                    entries = self.lookup.get(txt[:L])
                    if not entries:
                        continue
                    # end offset of this prefix in the original text
                    e0 = s0 + L if L == len(txt) else s0 + _prefix_span(m.group(0), L)
                    right_ok = e0 >= n or not (lower[e0].isalnum() or lower[e0] == "_")
                    for j, strong, inner, whole in entries:
                        if (inner or left_ok) and (not whole or right_ok):
                            yield s0, e0, j, strong, txt[:L]
        for j, strong, rx in self.raw:
            for m in rx.finditer(lower):
                yield m.start(), m.end(), j, strong, m.group(0)


def trie_regex(words: list[str]) -> str:
    """Regex matching any of ``words`` (longest first), factored as a character trie.

    Far faster than a flat alternation of hundreds of terms. A space in a word
    matches any run of whitespace.
    """
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = True

    def rec(node: dict) -> str:
        alts = [(r"\s+" if ch == " " else re.escape(ch)) + rec(node[ch]) for ch in sorted(k for k in node if k)]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return rec(trie)


def _prefix_span(raw: str, L: int) -> int:
    """Length in ``raw`` (may contain runs of whitespace) covering L normalised chars."""
    k = 0
    i = 0
    prev_space = False
    while i < len(raw) and k < L:
        if raw[i].isspace():
            if not prev_space:
                k += 1
            prev_space = True
        else:
            k += 1
            prev_space = False
        i += 1
    return i


def load_taxonomy(path: str | Path = "configs/themes.yaml") -> Taxonomy:
    p = repo_path(path)
    with open(p, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    themes: list[ThemeDef] = []
    seen: set[str] = set()
    for raw in data.get("themes", []):
        tid = str(raw["id"])
        if tid in seen:
            raise ValueError(f"duplicate theme id {tid!r} in {p}")
        seen.add(tid)
        td = ThemeDef(
            id=tid,
            label=str(raw.get("label", tid)),
            description=str(raw.get("description", "")),
            sections=list(raw.get("sections") or []),
            terms=[str(x) for x in raw.get("terms") or []],
            weak_terms=[str(x) for x in raw.get("weak_terms") or []],
            threshold=raw.get("threshold"),
            programme_areas=[str(x) for x in raw.get("programme_areas") or []],
        )
        themes.append(td)
    defaults = {"threshold_new": None, "max_evidence": 3, "min_candidate_score": 0.15}
    defaults.update(data.get("defaults") or {})
    return Taxonomy(themes=themes, defaults=defaults, matcher=Matcher(themes))
