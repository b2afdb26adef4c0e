"""Learned word-importance selection for extractive summaries.

A document's own summary (a project's "Sammanfattning") names what the project does, for whom and
with whom, in about 30-40 words; the words it uses are largely words that the rest of the document
uses often, early, near the project's name or in sentences about the project, plus the function words
and generic vocabulary every such summary has ("projektet", "samverkan", "möjligheter" ...).

``WordModel`` estimates, for every word type of the candidate sentences, the probability that a
summary of the document contains it (logistic regression on a few features of the word in the
document, and how many reference summaries contained the word, trained by
``training/summary``). Sentences are then picked greedily to maximise the expected ROUGE-1 F of the
picked set against a summary of ``target_words`` words: each word type counts once, weighted by its
probability; every word picked costs length. The selection stops when no sentence adds to it, so it
decides the number of sentences itself (1 to ``max_sentences``). With ``shortlist`` N, only the N
sentences that the hand-weighted sentence scorer (section, position, cue phrases) ranks best are
considered: the word model then decides among sentences that read as statements about the project.
The new words of a sentence about the project's past (``PAST_RE``: the pre-study it builds on, how long
it has run, a new application) count ``history_weight`` times their probability: such a sentence often
names the project, which alone made the model take it, yet a summary says what the project does.
With ``fill_sentences`` N the pick goes on past the point where the expected F falls, up to
``min_sentences`` + N sentences, but only with sentences not about the past: the word probabilities
under-rate the words of a document's second statement (its target group, its problem), so a model
left to itself often stops after one sentence of the document.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..similarity.text import STOPWORDS, stem_words

TOKEN_RE = re.compile(r"\w+")
# a sentence about the project itself: its purpose, goal, target group
PROJECT_RE = re.compile(r"\b(?:projekt\w*|syfte\w*|syftar|mål|målet|målen|målsättning\w*|målgrupp\w*)\b", re.I)
# a sentence about the project's past or its application (a pre-study it builds on, how long it has run, a
# new application): it often names the project, yet a summary says what the project does (years are not
# counted: they also date plans and statistics)
PAST_RE = re.compile(
    r"\b(?:har pågått|pågick|pågår sedan|baseras på|bygger på|inspirerats av|förprojekter\w*|"
    r"avser att ansöka|ansöka\w*|ansökan|ansökt|har utarbetats|beviljades|startade|avslutades)\b",
    re.I,
)

FEATURES = (
    "stopword",  # a function word
    "log_tf",  # log(1 + occurrences in the candidate sentences)
    "sent_share",  # share of candidate sentences that contain it
    "log_stem_tf",  # log(1 + occurrences of its stem): inflected forms count for the topic
    "title",  # its stem is in the title
    "early",  # in the first two candidate sentences not about the project's past (PAST_RE)
    "project",  # in a sentence about the project (PROJECT_RE)
    "number",  # digits only
    "length",  # characters / 10 (at most 1.5)
    "stop_log_tf",  # log_tf of a function word (function words repeat in any text)
    "content_share",  # sent_share of a content word
    "prior",  # log(1 + number of reference summaries that contained the word)
)


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens, as ROUGE counts them."""
    return TOKEN_RE.findall(text.casefold())


def word_features(
    sentences: Sequence[str], title: str | None, prior: dict[str, int]
) -> tuple[dict[str, list[float]], list[list[str]]]:
    """Features (in the order of FEATURES) of every word type of the sentences, and the sentences' tokens."""
    sents = [tokens(s) for s in sentences]
    cnt = Counter(t for s in sents for t in s)
    types = list(cnt)
    stem_of = dict(zip(types, stem_words(types)))
    stem_cnt: Counter[str] = Counter()
    for t, c in cnt.items():
        stem_cnt[stem_of[t]] += c
    df = Counter(t for s in sents for t in set(s))
    title_stems = set(stem_words(tokens(title or "")))
    # the first two sentences that are not about the project's past (the document's lead statement; a
    # page often opens with how long the project has run or what it builds on)
    lead = [s for s, text in zip(sents, sentences) if not PAST_RE.search(text)] or sents
    early = {t for s in lead[:2] for t in s}
    project = {t for s, text in zip(sents, sentences) if PROJECT_RE.search(text) for t in s}
    n = max(1, len(sents))
    out: dict[str, list[float]] = {}
    for t, c in cnt.items():
        stop = t in STOPWORDS
        log_tf, share = math.log1p(c), df[t] / n
        out[t] = [
            1.0 if stop else 0.0,
            log_tf,
            share,
            math.log1p(stem_cnt[stem_of[t]]),
            1.0 if stem_of[t] in title_stems else 0.0,
            1.0 if t in early else 0.0,
            1.0 if t in project else 0.0,
            1.0 if t.isdigit() else 0.0,
            min(len(t), 15) / 10.0,
            log_tf if stop else 0.0,
            0.0 if stop else share,
            math.log1p(prior.get(t, 0)),
        ]
    return out, sents


def select(
    sent_tokens: Sequence[Sequence[str]],
    prob: dict[str, float],
    target_words: float,
    max_sentences: int,
    allowed: Sequence[bool] | None = None,
    min_sentences: int = 1,
    weights: Sequence[float] | None = None,
    fill_to: int = 0,
    fillable: Sequence[bool] | None = None,
) -> list[int]:
    """Indices (in text order) of the sentences that maximise the expected ROUGE-1 F, picked greedily
    (the first ``min_sentences`` are picked even when they lower it, and up to ``fill_to`` sentences are
    picked so too among the ``fillable`` ones, default all). ``weights`` (default 1) scale what each
    sentence's new words add."""
    chosen: list[int] = []
    covered: set[str] = set()
    gain_sum, length, best = 0.0, 0, 0.0
    while len(chosen) < max_sentences:
        pick = None
        for i, toks in enumerate(sent_tokens):
            if i in chosen or not toks or (allowed is not None and not allowed[i]):
                continue
            w = weights[i] if weights is not None else 1.0
            e = gain_sum + w * sum(prob.get(t, 0.0) for t in set(toks) - covered)
            f = 2.0 * e / (length + len(toks) + target_words)
            fill = len(chosen) < fill_to and (fillable is None or fillable[i])
            forced = len(chosen) < min_sentences or fill
            if (f > best + 1e-9 or forced) and (pick is None or f > pick[0]):
                pick = (f, i)
        if pick is None:
            break
        best, i = pick
        chosen.append(i)
        new = set(sent_tokens[i]) - covered
        gain_sum += (weights[i] if weights is not None else 1.0) * sum(prob.get(t, 0.0) for t in new)
        covered |= new
        length += len(sent_tokens[i])
    return sorted(chosen)


@dataclass
class WordModel:
    coef: list[float]
    intercept: float
    prior: dict[str, int] = field(default_factory=dict)
    target_words: float = 30.0
    max_sentences: int = 3
    shortlist: int = 0  # pick only among the best N sentences of a sentence scorer (0: among all)
    history_weight: float = 1.0  # what the words of a sentence about the project's past (PAST_RE) count for
    # sentences taken beyond the F rise, among sentences not about the past: at least min_sentences + this
    fill_sentences: int = 0

    def probabilities(self, feats: dict[str, list[float]]) -> dict[str, float]:
        out = {}
        for t, f in feats.items():
            z = self.intercept + sum(c * x for c, x in zip(self.coef, f))
            out[t] = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
        return out

    def pick(
        self,
        sentences: Sequence[str],
        title: str | None,
        sentence_scores: Sequence[float] | None = None,
        min_sentences: int = 1,
        allowed: Sequence[bool] | None = None,
    ) -> list[int]:
        """Indices of the picked sentences (text order), at least ``min_sentences`` where there are as many.

        The words' features are taken over all ``sentences``; only ``allowed`` ones (default: all) are
        picked, and with ``shortlist`` and ``sentence_scores`` only the ``shortlist`` best-scored of those
        (more when that leaves fewer than ``min_sentences``). The new words of a sentence about the project's
        past (``PAST_RE``) count ``history_weight`` times their probability. With ``fill_sentences`` N, the
        pick goes on to ``min_sentences`` + N sentences even when the expected F falls, but only with
        sentences not about the past."""
        feats, sent_tokens = word_features(sentences, title, self.prior)
        ok = list(allowed) if allowed is not None else [True] * len(sentences)
        if self.shortlist and sentence_scores is not None and sum(ok) > self.shortlist:
            order = sorted((i for i in range(len(sentences)) if ok[i]), key=lambda i: (-sentence_scores[i], i))
            best = set(order[: max(self.shortlist, min_sentences)])
            ok = [i in best for i in range(len(sentences))]
        past = [PAST_RE.search(s) is not None for s in sentences]
        weights = [self.history_weight if p else 1.0 for p in past] if self.history_weight != 1.0 else None
        return select(
            sent_tokens,
            self.probabilities(feats),
            self.target_words,
            self.max_sentences,
            ok,
            min_sentences,
            weights,
            fill_to=min_sentences + self.fill_sentences if self.fill_sentences else 0,
            fillable=[not p for p in past],
        )

    def to_json(self) -> dict:
        return {
            "features": list(FEATURES),
            "coef": [round(c, 6) for c in self.coef],
            "intercept": round(self.intercept, 6),
            "prior": dict(sorted(self.prior.items())),
            "target_words": self.target_words,
            "max_sentences": self.max_sentences,
            "shortlist": self.shortlist,
            "history_weight": self.history_weight,
            "fill_sentences": self.fill_sentences,
        }

    @classmethod
    def from_json(cls, d: dict) -> WordModel:
        if list(d.get("features", [])) != list(FEATURES):
            raise ValueError(f"summary word model was trained on other features: {d.get('features')}")
        return cls(
            coef=[float(c) for c in d["coef"]],
            intercept=float(d["intercept"]),
            prior={str(k): int(v) for k, v in d.get("prior", {}).items()},
            target_words=float(d.get("target_words", 30.0)),
            max_sentences=int(d.get("max_sentences", 3)),
            shortlist=int(d.get("shortlist", 0)),
            history_weight=float(d.get("history_weight", 1.0)),
            fill_sentences=int(d.get("fill_sentences", 0)),
        )

    @classmethod
    def load(cls, path: str | Path) -> WordModel:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
