"""Extractive Swedish project summary: a few readable sentences.

1. If the document has its own "Sammanfattning" (section ``summary``) with
   enough readable sentences, those are used (trimmed to ``max_sentences``).
2. Otherwise sentences are taken from the sections that say what the project
   does (``record.sections``, as the ``sections`` stage wrote them;
   horizontal-criteria boilerplate such as accessibility and gender equality
   is skipped) and from the lead before the first heading (a news item's
   ingress: section ``lead``, weighted as a purpose section by the hand-weighted
   scorer), or from the whole text when there are none (news, reports, or the
   sections stage switched off). Each passes a readability filter (no
   headings, labels, bullets, contact details, fragments, quotes, image
   captions or lists of names). The sentences are picked by the learned word-importance model
   (``models/summary/word_model.json``, see ``scorer.py``): greedily, to cover
   the words a project summary is likely to use in about ``target_words``
   words. Without that model, the older hand-weighted sentence scorer (section,
   position, centrality, cue phrases; ``FEATURE_WEIGHTS``) picks
   ``max_sentences`` sentences within ``max_words``.
   The picked sentences are put in a natural order (what -> for whom -> with
   whom -> why).
3. Optionally one sentence built from the metadata adds who runs the project
   and where, when the chosen sentences do not say it.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from ..paths import repo_path
from ..record import Record, Section
from ..similarity.text import content_words, stem_words
from .scorer import PROJECT_RE, WordModel
from .sentences import Sentence, is_good_sentence, prose_sentences

DEFAULTS: dict[str, Any] = {
    "min_sentences": 2,
    "max_sentences": 2,
    "max_words": 85,
    "use_existing_summary": True,
    "metadata_sentence": True,
    "section_weights": {
        "summary": 1.6,
        "purpose": 1.3,
        "lead": 1.3,  # the text before the first heading: a news item's ingress is its summary
        "participants": 1.0,
        "goals": 0.9,
        "implementation": 0.8,
        "organisation": 0.7,
        "expected_effects": 0.6,
        "background": 0.55,
        "municipalities": 0.4,
        "other": 0.5,
        None: 0.6,
    },
    "skip_sections": ["accessibility", "gender_equality", "transnational", "evaluation"],
    # the learned sentence picker (scorer.WordModel); empty: the hand-weighted scorer
    "model": "models/summary/word_model.json",
    # what a summary says: when these sections hold readable sentences, the word model picks among them
    # and the sentences about the project (scorer.PROJECT_RE)
    "prefer_sections": ["purpose", "goals", "participants"],
}

_ORDER = {
    "summary": 0,
    "lead": 0,
    "purpose": 1,
    "participants": 2,
    "implementation": 3,
    "goals": 4,
    "organisation": 5,
    "expected_effects": 6,
    "background": 7,
    "municipalities": 8,
    "other": 9,
    None: 5,
}

_CUES = [
    (re.compile(r"\bprojektet\b|\bprojekt\w* (?:ska|skall|kommer|vill|syftar|har)\b", re.I), 0.35),
    (
        re.compile(
            r"\b(?:riktar sig|vänder sig|målgrupp\w*|deltagar\w*|för (?:unga|kvinnor|personer|anställda|arbetslösa|nyanlända|elever))\b",
            re.I,
        ),
        0.3,
    ),
    (re.compile(r"\b(?:syfte\w*|målet|syftar)\b", re.I), 0.25),
    (re.compile(r"\b(?:samverka\w*|tillsammans med|i samarbete med|samarbeta\w*|driv(?:s|er) av)\b", re.I), 0.2),
    (re.compile(r"\b(?:erbjud\w*|utbild\w*|stöd\w*|coach\w*|praktik\w*|kompetensutveckl\w*)\b", re.I), 0.15),
    (re.compile(r"\b(?:kommun\w*|län\w*|region\w*)\b", re.I), 0.1),
]
_NEG = [
    (re.compile(r"\b(?:jag|du|ni)\b", re.I), 0.4),
    (
        re.compile(r"^(?:Det|Detta|Dessa|Den|Han|Hon|De|Där|Därför|Dessutom|Samtidigt|Sedan|Snart|Då|Nu|Men|Också)\b"),
        0.3,
    ),  # needs context
    (re.compile(r"^(?:\S+ ){1,4}(?:därför|dessutom|också|även|sedan|då)\b"), 0.25),  # refers back
    (re.compile(r"\d[\d ]{3,}"), 0.15),
    (re.compile(r"\b(?:säger|berättar|menar)\b"), 0.3),
]
_SUBJECT_RE = re.compile(r"^(?:Projektet|Projektets|I projektet|Genom projektet|Syftet|Målet med projektet)\b")
_BAD_OWNER = {"saknas", "-", "okänd", "n/a", ""}
MAX_LONG_WORDS = 90  # the longest sentence a summary takes, and only when no shorter one is readable


def _stem_set(text: str) -> set[str]:
    return set(stem_words(content_words(text)))


# Sentence score = sum of weight * feature (weights: FEATURE_WEIGHTS, overridable by ``weights`` in
# configs/summary.yaml, where scripts/eval_summary.py --fit writes the weights it learns).
FEATURE_WEIGHTS: dict[str, float] = {
    "section": 1.0,
    "position": 1.0,
    "centrality": 0.8,
    "title": 0.6,
    "subject": 0.45,
    "purpose_first": 0.45,
    **{f"cue{i}": w for i, (_, w) in enumerate(_CUES)},
    **{f"neg{i}": -w for i, (_, w) in enumerate(_NEG)},
    "history": 0.0,
    "length": 0.0,
}
# the project's history, dates and application process are rarely what a summary says
_HISTORY_RE = re.compile(
    r"\b(?:har pågått|pågick|pågår sedan|baseras på|bygger på|inspirerats av|förprojekter\w*|"
    r"avser att ansöka|ansöka\w*|ansökan|ansökt|har utarbetats|beviljades|startade|avslutades|"
    r"(?:19|20)\d\d)\b",
    re.I,
)


def _near_duplicate(st: set[str], others: list[set[str]]) -> bool:
    """More than 60% of the shorter sentence's content stems are in one of ``others``."""
    return any(len(st & c) / max(1, min(len(st), len(c))) > 0.6 for c in others)


def top_words(sent_stems: list[set[str]], n: int = 25) -> set[str]:
    """The n words in most sentences (at least two); ties broken by the word itself, since the
    order of a set depends on the process's hash seed and summaries must not."""
    freq = Counter(x for st in sent_stems for x in st)
    return {w for w, c in sorted(freq.items(), key=lambda x: (-x[1], x[0]))[:n] if c > 1}


def sentence_features(
    s: Sentence, st: set[str], top: set[str], title_stems: set[str], section_weights: dict
) -> dict[str, float]:
    """Named features of one candidate sentence (see FEATURE_WEIGHTS)."""
    f: dict[str, float] = {
        "section": float(section_weights.get(s.section, section_weights.get("other", 0.5))),
        "position": (0.5 if s.section else 0.3) / (1 + s.index_in_section),  # early in its section
        "centrality": len(st & top) / (len(st) ** 0.5 + 1),
        "title": len(st & title_stems) / len(title_stems) if title_stems else 0.0,
        "subject": 0.0,
        "purpose_first": 0.0,
        "history": 1.0 if _HISTORY_RE.search(s.text) else 0.0,
        "length": min(len(s.text.split()), 45) / 30.0,
    }
    if _SUBJECT_RE.match(s.text) or (title_stems and _stem_set(" ".join(s.text.split()[:4])) & title_stems):
        f["subject"] = 1.0  # the project itself is the subject
    elif s.section == "purpose" and s.index_in_section == 0:
        f["purpose_first"] = 1.0  # the purpose statement ("Att ..." under "Syfte")
    for i, (rx, _) in enumerate(_CUES):
        f[f"cue{i}"] = 1.0 if rx.search(s.text) else 0.0
    for i, (rx, _) in enumerate(_NEG):
        f[f"neg{i}"] = 1.0 if rx.search(s.text) else 0.0
    return f


class Summarizer:
    def __init__(self, config: dict[str, Any] | None = None):
        cfg = dict(DEFAULTS)
        for k, v in (config or {}).items():
            if k == "section_weights" and isinstance(v, dict):
                cfg[k] = {**DEFAULTS["section_weights"], **v}
            else:
                cfg[k] = v
        self.cfg = cfg
        self.weights = {**FEATURE_WEIGHTS, **(cfg.get("weights") or {})}
        self.word_model = _load_model(cfg.get("model"))

    # ------------------------------------------------------------------
    def candidates(self, text: str, sections: list[Section], lead_end: int | None = None) -> list[Sentence]:
        """Prose sentences of ``sections`` (but those in ``skip_sections``) and of the lead: the text
        before ``lead_end`` (default: the first section), such as a news item's ingress (section "lead")."""
        skip = set(self.cfg["skip_sections"])
        out: list[Sentence] = []
        if sections:
            first = min(s.start for s in sections) if lead_end is None else lead_end
            for i, s in enumerate(prose_sentences(text[:first])):
                s.section, s.index_in_section = "lead", i
                out.append(s)
            for sec in sorted(sections, key=lambda s: s.start):
                if sec.key in skip:
                    continue
                for i, s in enumerate(prose_sentences(text[sec.start : sec.end], sec.start)):
                    s.section, s.index_in_section = sec.key, i
                    out.append(s)
        else:
            for i, s in enumerate(prose_sentences(text)):
                s.index_in_section = i
                out.append(s)
        return out

    def own_summary(self, record: Record) -> list[Sentence]:
        """The readable sentences of the document's own "Sammanfattning" (section ``summary``)."""
        if not self.cfg["use_existing_summary"] or not record.sections:
            return []
        own = [s for s in prose_sentences(record.section_text("summary")) if is_good_sentence(s.text)]
        for s in own:
            s.section = "summary"
        return own

    def pool(self, record: Record, n_own: int = 0) -> list[Sentence]:
        """Readable candidate sentences outside the document's own summary, without repeats, in text order."""
        text, sections = record.text, list(record.sections)
        need = int(self.cfg["min_sentences"]) - n_own
        # the lead ends where the first heading is, the document's own Sammanfattning included
        lead_end = min((s.start for s in sections), default=0)
        raw = self.candidates(text, [s for s in sections if s.key != "summary"], lead_end)
        cands = [s for s in raw if is_good_sentence(s.text)]
        if len(cands) < need and sections:  # the sections hold too little prose: the whole text
            raw = self.candidates(text, [])
            cands = [s for s in raw if is_good_sentence(s.text)]
        if len(cands) < need:  # short text: relax the length limits
            cands = [s for s in raw if is_good_sentence(s.text, min_words=4, max_words=60)]
        if not cands:  # still none (an excerpt whose one prose sentence is long): it says more than the metadata
            cands = [s for s in raw if is_good_sentence(s.text, min_words=4, max_words=MAX_LONG_WORDS)]
        seen: set[str] = set()
        uniq = []
        for s in cands:  # web pages often repeat the lead paragraph
            if s.text not in seen:
                seen.add(s.text)
                uniq.append(s)
        return uniq

    def summarise(self, record: Record) -> str | None:
        cfg = self.cfg
        max_n = int(cfg["max_sentences"])
        own = self.own_summary(record)
        if len(own) >= int(cfg["min_sentences"]):
            return self._finish([(s.text, s.section) for s in own[:max_n]], record)
        cands = self.pool(record, len(own))
        if own:  # not what the document's own summary says again
            own_stems = [_stem_set(s.text) for s in own]
            cands = [s for s in cands if not _near_duplicate(_stem_set(s.text), own_stems)]
        if not cands:
            return self._finish([(s.text, s.section) for s in own], record)
        if self.word_model is not None:
            # at least min_sentences in all: the metadata sentence, when there is one, counts
            has_md = bool(cfg["metadata_sentence"]) and metadata_sentence(record, "") is not None
            need = max(1, int(cfg["min_sentences"]) - len(own) - (1 if has_md else 0))
            # a document with purpose/goal/target-group sections: what they say, or sentences about the project
            prefer = set(cfg.get("prefer_sections") or ())
            allowed = [s.section in prefer or PROJECT_RE.search(s.text) is not None for s in cands]
            if not any(s.section in prefer for s in cands):
                allowed = [True] * len(cands)
            prior = self.sentence_scores(cands, record) if self.word_model.shortlist else None
            picked = [
                cands[i]
                for i in self.word_model.pick(
                    [s.text for s in cands], record.title, prior, need, allowed if sum(allowed) >= need else None
                )
            ]
            chosen = own + picked[: max(1, max_n - len(own))]
        else:
            chosen = own + self._pick_weighted(cands, record, max_n, own)
        chosen.sort(key=lambda x: (_ORDER.get(x.section, 5), x.start))
        return self._finish([(s.text, s.section or _LABEL_SECTION.get(s.label or "")) for s in chosen], record)

    def sentence_scores(self, cands: list[Sentence], record: Record) -> list[float]:
        """The hand-weighted score of each candidate (FEATURE_WEIGHTS, or ``weights`` in the config)."""
        title_stems = _stem_set(record.title or "")
        sent_stems = [_stem_set(s.text) for s in cands]
        top = top_words(sent_stems)
        w = self.weights
        out = []
        for s, st in zip(cands, sent_stems):
            f = sentence_features(s, st, top, title_stems, self.cfg["section_weights"])
            out.append(sum(w.get(k, 0.0) * v for k, v in f.items()) if st else float("-inf"))
        return out

    def _pick_weighted(self, cands: list[Sentence], record: Record, max_n: int, own: list[Sentence]) -> list[Sentence]:
        """The hand-weighted scorer: best score first, no near-duplicates, within max_words."""
        cfg = self.cfg
        scored = [
            (sc, s, _stem_set(s.text))
            for sc, s in zip(self.sentence_scores(cands, record), cands)
            if sc > float("-inf")
        ]
        scored.sort(key=lambda x: -x[0])

        chosen: list[tuple[Sentence, set[str]]] = [(s, _stem_set(s.text)) for s in own]
        n_words = sum(len(s.text.split()) for s in own)
        for _, s, st in scored:
            if len(chosen) >= max_n:
                break
            if _near_duplicate(st, [c for _, c in chosen]):
                continue
            n = len(s.text.split())
            if chosen and len(chosen) >= int(cfg["min_sentences"]) and n_words + n > int(cfg["max_words"]):
                continue
            chosen.append((s, st))
            n_words += n
        return [s for s, _ in chosen[len(own) :]]

    # ------------------------------------------------------------------
    def _finish(self, chosen: list[tuple[str, str | None]], record: Record) -> str | None:
        sents = [_purpose_phrase(_tidy(t), sec) for t, sec in chosen if t]
        if sents and self.cfg.get("name_project", True):
            sents[0] = _name_project(sents[0], record.metadata.project_name or record.title)
        if self.cfg["metadata_sentence"]:
            extra = metadata_sentence(record, " ".join(sents))
            if extra and len(sents) < 4:
                sents = sents + [extra]
        return " ".join(sents) if sents else None


_MODELS: dict[str, WordModel] = {}


def _load_model(path: str | None) -> WordModel | None:
    """The word-importance model at ``path`` (relative to the repository), once per process; None without one."""
    if not path:
        return None
    p = repo_path(path)
    key = str(p)
    if key not in _MODELS:
        if not p.exists():
            raise FileNotFoundError(
                f"summary model not found: {p} (set summary.model to '' for the hand-weighted scorer)"
            )
        _MODELS[key] = WordModel.load(p)
    return _MODELS[key]


_LABEL_SECTION = {"syfte": "purpose", "mål": "goals"}  # "Syfte: Att ..." in text without sections


def _purpose_phrase(s: str, section: str | None) -> str:
    """'Att skapa ...' (a bare phrase under 'Syfte:' or 'Mål:') -> 'Syftet är att skapa ...'.

    Only under such a heading or label: elsewhere 'Att uppdraget ... signalerar ...' is a subject clause.
    """
    if section not in ("purpose", "goals", "summary"):
        return s
    if s.startswith("Att ") and not re.match(r"Att \w+ (?:är|var|blir|har)\b", s):
        lead = "Målet är att " if section == "goals" else "Syftet är att "
        return lead + s[4:]
    return s


def _name_project(s: str, title: str | None) -> str:
    """Name the project in the first sentence: 'Projektet ska ...' -> 'Projektet Vägen vidare ska ...'."""
    t = (title or "").strip()
    if not t or not _nameable(t) or t.lower() in s.lower():
        return s  # a title of two headings ("Konferens. Namn") or a headline is no name
    if re.match(r"Projektet [A-ZÅÄÖ]", s):
        return s  # the sentence names the project already
    if s.startswith("Projektet ") and not s.startswith("Projektet " + t):
        return f"Projektet {t} " + s[len("Projektet ") :]
    if s.startswith("Syftet är att ") or s.startswith("Syftet med projektet är att "):
        return f"Syftet med {t} är att " + s.split(" att ", 1)[1]
    if s.startswith("Målet är att ") or s.startswith("Målet med projektet är att "):
        return f"Målet med {t} är att " + s.split(" att ", 1)[1]
    return s


def _tidy(s: str) -> str:
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r"\s*(?:\(\s*\)|\[\s*\])", "", s)  # brackets emptied by dropping a web address
    s = re.sub(r"\s+([,.;:!?])", r"\1", s)
    return s


# words of an owner's name written in lower case when the name is un-capitalised (never acronyms)
_GENERIC_WORDS = {
    *("kommun", "kommunalförbund", "stad", "län", "landsting", "förbund", "förening", "ekonomisk", "ideell"),
    *("och", "i", "för", "av", "med"),
}


def _unshout(name: str) -> str:
    """An owner written in capitals, as registers often do: 'GÖTEBORGSREGIONENS KOMMUNALFÖRBUND' ->
    'Göteborgsregionens kommunalförbund', 'REGION JÄMTLAND HÄRJEDALEN' -> 'Region Jämtland Härjedalen';
    short acronyms (AB, SKR) and names in mixed case are kept."""
    letters = [c for c in name if c.isalpha()]
    if not letters or not all(c.isupper() for c in letters) or max(len(w) for w in name.split()) <= 3:
        return name
    out = []
    for i, w in enumerate(name.split()):
        if len(w) <= 3 and w.isalpha() and w.lower() not in _GENERIC_WORDS:
            out.append(w)  # an acronym
        elif i and w.lower() in _GENERIC_WORDS:
            out.append(w.lower())
        else:
            out.append(w[:1] + w[1:].lower())
    return " ".join(out)


def metadata_sentence(record: Record, already: str) -> str | None:
    """'Projektet [NAME] drivs av X i Y (tillsammans med A och B).' from stated metadata, if not already said
    (the project's name only where ``already`` does not hold it)."""
    md = record.metadata
    owner = (md.owner or "").strip()
    if owner.lower() in _BAD_OWNER:
        owner = ""
    low = already.lower()
    parts: list[str] = []
    if owner and owner.split(",")[0].lower() not in low:
        parts.append(f"drivs av {_unshout(owner.split(',')[0].strip())}")
    region = re.sub(r"^ESF[- ]+(?=[Nn]ation)", "", (md.region or "").strip())  # "ESF Nationellt": national
    if region and region.lower() not in low and parts:
        if region.lower().startswith("nation"):
            parts[-1] += " och är nationellt"
        else:
            parts[-1] += f" i {_unshout(region)}"
    orgs = [
        o
        for o in (md.participating_organisations or [])
        if o and o != owner and not re.search(rf"\b{re.escape(o.split()[0].lower())}\b", low)
    ][:3]  # skip those already named
    if orgs and parts:
        joined = orgs[0] if len(orgs) == 1 else ", ".join(orgs[:-1]) + " och " + orgs[-1]
        parts[-1] += f" tillsammans med {joined}"
    if not parts:
        return None
    name = _short_name(md.project_name or "")
    if name and name.lower() not in low and _nameable(name):
        return f"Projektet {name} " + parts[0] + "."
    return "Projektet " + parts[0] + "."


def _short_name(name: str) -> str:
    """The project's name as the metadata sentence says it: without a trailing file number ("… Dnr
    851-7163-10"), and a spelled-out acronym too long for the sentence by the acronym alone ("STORK –
    strategisk omställning och riskeliminering genom kompetenslyft" -> "STORK"); "" when neither fits."""
    name = re.sub(r"\s+(?:Dnr|Diarienummer)\b.*$", "", name.strip())
    if name and not _nameable(name):
        m = re.fullmatch(r"(\S+)\s[–-]\s(.+)", name)
        name = m.group(1) if m and len(m.group(2).split()) >= 3 and not re.search(r"[:;]", m.group(2)) else ""
    return name


def _nameable(name: str) -> bool:
    """A project name short and plain enough to stand in 'Projektet NAME drivs av ...'."""
    return len(name.split()) <= 6 and name[0].isalpha() and not re.search(r"[?!:;,\"”(]|\.(?:\s|$)", name)
