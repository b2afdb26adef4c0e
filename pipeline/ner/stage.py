"""NER stage: organisations, people and places in ESF project documents.

``@register("ner")`` :class:`NerStage` combines

1. the statistical spaCy model trained here (``models/ner``, labels ORG/PER/LOC;
   see ``models/ner/README.md`` and ``scripts/train_ner.py``), run line by line
   with ``nlp.pipe``;
2. ESF domain rules and gazetteers (``configs/gazetteers/``, see
   :mod:`pipeline.ner.rules` for the place-vs-organisation convention);
3. the entities the metadata stage already identified (owner, contact person,
   region, municipalities, participating organisations), found in the text by
   exact string search.

Overlaps are resolved by priority (metadata > header fields > ESF patterns and
agencies > model > propagated repeats > bare gazetteer places), so ``entities``
is sorted and non-overlapping; every offset refers to ``record.text``.

Config keys (all optional): ``model`` (default ``models/ner``), ``gazetteers``
(default ``configs/gazetteers``), ``batch_size`` (64), ``use_model`` / ``use_rules``
/ ``use_metadata`` / ``propagate`` / ``filter_common`` / ``skip_plain`` (all true),
``max_chars`` (longest piece of text given to the model at once, 5000).

Speed: the model runs sentence by sentence (``nlp.pipe``), and sentences whose
only capital letter starts an ordinary word are skipped (they cannot hold a name
the model would find; the rules still see them).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from pipeline.config import SectionConfig
from pipeline.paths import repo_path
from pipeline.record import Entity, EntitySummary, Record
from pipeline.stages import register
from pipeline.text import split_sentences

from .rules import (
    PRIO_GAZ_EXACT_MODEL,
    PRIO_METADATA,
    PRIO_MODEL,
    Cand,
    Rules,
    find_exact,
    metadata_values,
    propagate,
    resolve,
    strip_span,
    vote,
)

DEFAULT_MODEL = "models/ner"
LABELS = ("ORG", "PER", "LOC")

_ORG_HEAD_RE = re.compile(
    r"(?i)(kansliet|förvaltningen|förbundet|förbund|verket|styrelsen|nämnden|bolaget|föreningen|förening|"
    r"institutet|universitetet|universitet|högskolan|högskola|konsult|konsulter|consulting|centrum|center|"
    r"\bAB|gruppen|group|akademin|akademi)$"
)
_PROJECT_RE = re.compile(r"projekt(et|ets|en|ens)?$")  # "Fleraktörsprojekt", "Socialfondsprojektet"
_ADJ_RE = re.compile(r"(isk|iska|iskt|lig|liga|ligt|ande|ende|erad|erade|erat)$")
_URL_RE = re.compile(r"(?i)(www\.|https?:|@|\.(se|com|org|nu|eu|net)\b)")
_PAGE_NUMBER_RE = re.compile(r"(?:^|[\s.])\d{1,3}(?:[-–]\d{1,3})?$")  # "… 3", "… 8-9" before a heading
_NUMBERING_RE = re.compile(r"(?:I{1,3}|IV|VI{0,3}|IX|X|[0-9]+)[.:]?$")  # what is left of "Delrapport II", "Bilaga 3"


def load_model(path: str = DEFAULT_MODEL):
    """Load the spaCy NER pipeline from ``path`` (repo-relative or absolute), no network."""
    import spacy

    return spacy.load(repo_path(path))


def model_pieces(text: str, sentences: Iterable[tuple[int, int]], max_chars: int = 5000) -> Iterator[tuple[int, str]]:
    """(offset, piece) for each sentence span that has a letter; a sentence longer than
    ``max_chars`` is cut at white space into pieces of at most that length."""
    for start, end in sentences:
        sent = text[start:end]
        if not any(ch.isalpha() for ch in sent):
            continue
        pos = 0
        while len(sent) - pos > max_chars:
            sp = sent.rfind(" ", pos, pos + max_chars)
            cut = sp if sp > pos else pos + max_chars
            yield start + pos, sent[pos:cut]
            pos = cut
            while pos < len(sent) and sent[pos].isspace():
                pos += 1
        if pos < len(sent):
            yield start + pos, sent[pos:]


def sentence_spans(record: Record) -> list[tuple[int, int]]:
    """The record's sentence spans (the segment stage's), or the text split now when the
    record has none (the segment stage left out)."""
    if record.sentences:
        return [(s.start, s.end) for s in record.sentences]
    return [(s.start, s.end) for s in split_sentences(record.text)]


class NerConfig(SectionConfig):
    """Settings of the ``ner`` stage (the ``ner`` section of configs/pipeline.yaml)."""

    model: str = DEFAULT_MODEL  # spaCy pipeline (tok2vec + ner), repo-relative or absolute
    gazetteers: str = "configs/gazetteers"  # place / organisation lists and the not_entities stop list
    labels: str = "configs/labels.yaml"  # field labels, never an entity on their own
    batch_size: int = 64  # nlp.pipe batch size (sentences)
    max_chars: int = 5000  # longest piece of text given to the model at once
    use_model: bool = True  # statistical model
    use_rules: bool = True  # ESF patterns, gazetteers, header fields, clean-up of model spans
    use_metadata: bool = True  # record.metadata owner/contact/region/municipalities/partners
    propagate: bool = True  # repeat a found name at its other occurrences (and a person's surname)
    filter_common: bool = True  # drop model entities made of ordinary words (models/ner/common_words.txt)
    skip_plain: bool = True  # do not run the model on sentences without a capitalised name candidate


@register("ner")
class NerStage:
    """Fill ``record.entities`` and ``record.entity_counts``."""

    reads = ("text", "sentences", "metadata")
    writes = ("entities", "entity_counts")
    config_model = NerConfig

    def __init__(self, config: dict[str, Any] | None = None):
        cfg = NerConfig.model_validate(config or {})
        self.batch_size = cfg.batch_size
        self.max_chars = cfg.max_chars
        self.use_model = cfg.use_model
        self.use_rules = cfg.use_rules
        self.use_metadata = cfg.use_metadata
        self.use_propagate = cfg.propagate
        self.skip_plain = cfg.skip_plain
        self.nlp = load_model(cfg.model) if self.use_model else None
        if self.nlp is not None:
            # only the tokenizer, tok2vec and ner are needed
            keep = {"tok2vec", "ner"}
            for name in list(self.nlp.pipe_names):
                if name not in keep and name != "entity_ruler":
                    self.nlp.disable_pipe(name)
        self.rules = Rules(cfg.gazetteers, cfg.labels)
        # lower-case word forms seen outside entities in the training data (written
        # by scripts/train_ner.py next to the model); used to drop capitalised
        # common words (headings, sentence starts) that the model calls entities
        self.common: set[str] = set()
        if self.nlp is not None and cfg.filter_common:
            lex = repo_path(cfg.model) / "common_words.txt"
            if lex.exists():
                self.common = {w for w in lex.read_text(encoding="utf-8").split("\n") if w and not w.startswith("#")}

    # -- parts --------------------------------------------------------------
    def model_candidates(self, text: str, sentences: Iterable[tuple[int, int]] | None = None) -> list[Cand]:
        """Model entities in ``text``, run sentence by sentence (``sentences``: spans; default:
        the text split by :func:`pipeline.text.split_sentences`)."""
        if self.nlp is None:
            return []
        if sentences is None:
            sentences = [(s.start, s.end) for s in split_sentences(text)]
        chunks = [(b, c) for b, c in model_pieces(text, sentences, self.max_chars) if not self.plain(c)]
        out: list[Cand] = []
        for (base, _), doc in zip(chunks, self.nlp.pipe((c for _, c in chunks), batch_size=self.batch_size)):
            for ent in doc.ents:
                if ent.label_ not in LABELS:
                    continue
                se = strip_span(text, base + ent.start_char, base + ent.end_char)
                if se is None:
                    continue
                for s0, e0, lab in self.refine(text, se[0], se[1], ent.label_):
                    out.append(Cand(s0, e0, lab, "model", PRIO_MODEL))
        return out

    def plain(self, sentence: str) -> bool:
        """No capitalised word except an ordinary first word: the model cannot find a
        name here, so it is not run (about 40 % of ESF prose; rules still apply)."""
        if not self.skip_plain or not self.common:
            return False
        s = sentence.lstrip(" \t\"'”“(–-•*")
        if not s:
            return True
        i = 0
        while i < len(s) and not s[i].isspace():
            i += 1
        if any(ch.isupper() for ch in s[i:]):
            return False
        first = s[:i].strip(",.:;!?\"'”)").lower()
        return not any(ch.isupper() for ch in s[:i]) or first in self.common

    def refine(self, text: str, start: int, end: int, label: str) -> list[tuple[int, int, str]]:
        """Domain clean-up of one model entity; returns zero or more spans."""
        s = text[start:end]
        if not any(ch.isupper() for ch in s) or _URL_RE.search(s):
            return []  # names are capitalised; "covid-19", "www.vastkraft.org" are not names
        if not self.use_rules:
            return [(start, end, label)]
        low = s.lower()
        if (
            low in self.rules.not_entities
            or low in self.rules.field_labels
            or (label == "PER" and any(ch.isdigit() for ch in s))
        ):
            return []  # stop-listed words and field labels; person names have no digits ("Dnr MN90-2006")
        toks = [(m.start() + start, m.end() + start, m.group()) for m in re.finditer(r"\S+", s)]
        R = self.rules

        def caps(t: str) -> bool:
            return sum(ch.isupper() for ch in t) >= 6 and t.isupper()

        # trim headings run together with names (PDF text): ALL-CAPS words and field
        # labels at either end, ordinary words after a full name
        while toks and (caps(toks[0][2]) or toks[0][2].lower() in R.not_entities):
            toks.pop(0)
        while toks and (
            caps(toks[-1][2])
            or toks[-1][2].lower() in R.not_entities
            or (
                label == "PER"
                and len(toks) >= 3
                and self.ordinary(toks[-1][2])
                and toks[0][2].strip(",.") not in R.loc_names
            )
        ):
            toks.pop()
        if not toks or (len(toks) == 1 and toks[0][1] - toks[0][0] < end - start and _NUMBERING_RE.match(toks[0][2])):
            return []  # nothing left, or only a numbering ("Delrapport II", "Bilaga 3")
        start, end = toks[0][0], toks[-1][1]
        s = text[start:end]
        words = [t[2].strip(",.;:()") for t in toks]
        if (
            s not in R.loc_names
            and s not in R.org_names
            and sum(w in R.loc_names for w in words) >= 2
            and all(w in R.loc_names or self.ordinary(w) for w in words)
        ):
            # "Ånge Örnsköldsvik Länsövergripande": a run of places and ordinary words
            return [(a, b, "LOC") for (a, b, _), w in zip(toks, words) if w in R.loc_names]
        if len(toks) > 1 and _ORG_HEAD_RE.search(words[-1]):
            label = "ORG"  # "Annorlunda Konsult", "Reveljen Centrum"
        elif len(toks) == 1 and label != "ORG" and _ORG_HEAD_RE.search(words[0]) and words[0] not in R.loc_names:
            label = "ORG"  # "Kommunkansliet"
        if label == "PER":
            first = words[0]
            if first in R.loc_names or (first.endswith("s") and first[:-1] in R.loc_names):
                # "Avesta Vatten", "Hallstahammars Promotion": a place name never starts a person's name
                return [(start, end, "ORG")] if len(toks) > 1 else [(start, end, "LOC")]
            if len(toks) >= 4 and all(w[:1].isupper() for w in words):
                # "Björn Jansson Hans Kilsved": lists of names without commas
                return [(toks[i][0], toks[min(i + 1, len(toks) - 1)][1], "PER") for i in range(0, len(toks), 2)]
        elif label == "LOC" and len(toks) >= 2:
            # "Västsverige Socialfondsmedel", "Östersund Slutrapport" -> the known place
            for k in range(len(toks) - 1, 0, -1):
                head = text[toks[0][0] : toks[k - 1][1]]
                if head in R.loc_names:
                    if text[toks[k][0] : end] not in R.loc_names:
                        return [(toks[0][0], toks[k - 1][1], "LOC")]
                    break
        if self._is_common(text, start, end):
            return []
        return [(start, end, label)]

    def ordinary(self, word: str) -> bool:
        """Is ``word`` (any case) an ordinary Swedish word rather than a name?"""
        w = word.lower().strip(",.;:()\"'”")
        if not w or w in self.common or w in self.rules.not_entities:
            return bool(w)
        if not self.common or len(w) < 7:
            return False
        if _ADJ_RE.search(w) or _PROJECT_RE.search(w):
            return True
        # compound of two ordinary words: "arbetsplats|representanterna", "kommun|ledningens"
        for i in range(3, len(w) - 3):
            a, b = w[:i], w[i:]
            if len(b) >= 5 and (a in self.common or (a.endswith("s") and a[:-1] in self.common)) and self._known(b):
                return True
        return False

    def _known(self, w: str) -> bool:
        if w in self.common:
            return True
        for suf in ("erna", "arna", "orna", "ens", "ets", "nas", "na", "en", "et", "s", "n", "t"):
            if w.endswith(suf) and len(w) - len(suf) >= 4 and w[: -len(suf)] in self.common:
                return True
        return False

    def _is_common(self, text: str, start: int, end: int) -> bool:
        """A model entity made only of ordinary words, where a capital letter proves
        nothing: at the start of a line or sentence (headings!), or in ALL CAPS.
        Mid-sentence capitals are trusted ("Per", "Tyskland", "Miljöpartiet")."""
        if not self.common:
            return False
        s = text[start:end]
        if s in self.rules.loc_names or s in self.rules.org_names:
            return False
        toks = s.split()
        if not toks or not all(self.ordinary(t) for t in toks):
            return False
        if s.isupper() and len(s) > 4:
            return True
        j = start - 1
        while j >= 0 and text[j] in " \t":
            j -= 1
        # a heading's capital: at the start of a line or sentence, or after a page number of a
        # contents list run into one line ("Inledning... 3 Komplext projekt 9 Genomförande")
        return j < 0 or text[j] in '\n.!?:•–-"”*' or bool(_PAGE_NUMBER_RE.search(text, max(0, j - 8), j + 1))

    def metadata_candidates(self, record: Record) -> list[Cand]:
        out = []
        for value, label in metadata_values(record.metadata):
            for i, j in find_exact(record.text, value):
                out.append(Cand(i, j, label, "metadata", PRIO_METADATA))
        return out

    def entities(self, record: Record) -> list[Entity]:
        text = record.text
        cands: list[Cand] = []
        model = self.model_candidates(text, sentence_spans(record))
        cands += model
        if self.use_metadata:
            cands += self.metadata_candidates(record)
        if self.use_rules:
            cands += self.rules.fields(text)  # includes the bullet lists
            cands += self.rules.patterns(text)
            model_spans = {(c.start, c.end) for c in model}
            for c in self.rules.places(text):
                if (c.start, c.end) in model_spans:  # bare place name: LOC, whatever the model said
                    c = Cand(c.start, c.end, c.label, c.source, PRIO_GAZ_EXACT_MODEL)
                cands.append(c)
        chosen = vote(text, resolve(cands))
        if self.use_propagate:
            chosen = resolve(chosen + propagate(text, chosen, exclude=self.rules.loc_names, common=self.common))
        return [
            Entity(text=text[c.start : c.end], label=c.label, start=c.start, end=c.end, source=c.source) for c in chosen
        ]

    def __call__(self, record: Record) -> Record:
        ents = self.entities(record)
        counts = Counter((e.text, e.label) for e in ents)
        summary = [
            EntitySummary(text=t, label=lab, count=n)
            for (t, lab), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        return record.model_copy(update={"entities": ents, "entity_counts": summary})
