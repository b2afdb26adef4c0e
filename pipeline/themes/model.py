"""Scoring: lexicon hits + learned sentence model + section context → document scores.

Three evidence sources, combined deliberately:

1. **Lexicon** (config): per sentence, distinct strong/weak terms of each theme.
   Prefix and in-compound matching handle Swedish inflection and compounding.
2. **Learned sentence model** (``models/themes/model.joblib``): char n-gram +
   Snowball-stem TF-IDF (the shared stemmer of :mod:`pipeline.text`) → one-vs-rest logistic regression; classes are the
   themes it was trained on. A separate theme-independent boilerplate model
   (:class:`BoilerplateModel`, topic words masked) scores how generic a
   sentence is (e.g. "Projektet ska vara tillgängligt för alla").
3. **Section context**: sentences in a theme's own section (accessibility,
   gender_equality, transnational) count as concrete only when they are not
   boilerplate; sentences in summary/purpose/goals count as core.

Per sentence, an evidence score ``e`` mixes (1) and (2) and is damped by the
boilerplate probability. Per (document, theme), theme-agnostic features of the
``e`` profile go into a small logistic-regression *combiner*. Two combiners are
trained: ``full`` (lexicon + model) for themes the model knows and ``lex``
(lexicon + boilerplate only) for themes that exist only in the config, so a
new theme works without retraining. The calibration (weights, a bias per theme, the threshold) is
fitted on real labelled pages (:mod:`training.themes.calibrate`).
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass

import numpy as np

from ..text import cues, stem
from .taxonomy import Taxonomy
from .text import Sent, normalise

BOILER = "_boilerplate"
CORE_SECTIONS = {"summary", "purpose", "goals"}
FEATURES = [
    "max_e",
    "top3_e",
    "log_n_e50",
    "log_n_strong_sents",
    "log_distinct_strong",
    "core_max_e",
    "own_section_max_e",
    "own_section_log_n",
    "own_section_boiler",
    "dominance",
    "log_spread",
    "programme_prior",
    "context_share",
]
# Extra features (computed always; a bundle names the ones its combiner uses, so older bundles keep working):
# lead_max_e: best evidence among the first LEAD_SENTS content sentences (real pages say what the project
# is about first); density: smoothed share of content sentences with e >= 0.3; title_hit: the title names
# the theme.
# rel_top3: the theme's top3_e relative to the document's best theme (a main theme of the page vs a side one).
# aim_max_e: best evidence among sentences that state an aim or a target group ("Syftet är ...", "Målgruppen
# är ...", "riktar sig till ...") wherever they stand (news and other pages have no sections).
# model_top2: mean of the sentence model's two highest probabilities for the theme (the learned model's own
# view, before the lexicon is mixed in; 0 on the lexicon-only path). n_themes_doc: how many themes have a
# sentence with e >= 0.5 in the document (a page that touches many themes commits to each less; its sign is
# left free). commit_strong: log(1 + number of sentences with a strong lexicon term of the theme that also commit
# the project to something (cues.COMMITMENT: "ska", "syftar", "målet", "främja" ...)) -- the theme as work or aim,
# not as context (out of fold on the real pages, over four fold assignments: micro-F1 0.797 -> 0.828 mean).
EXTRA_FEATURES = [
    "lead_max_e",
    "density",
    "title_hit",
    "rel_top3",
    "aim_max_e",
    "model_top2",
    "n_themes_doc",
    "commit_strong",
]
AIM_CUE = re.compile(rf"\b(?:{cues.AIM})\b", re.IGNORECASE)
COMMIT_CUE = re.compile(rf"\b(?:{cues.COMMITMENT})\b", re.IGNORECASE)
ALL_FEATURES = FEATURES + EXTRA_FEATURES
LEAD_SENTS = 4
DENSITY_PRIOR = 8  # density = n(e >= 0.3) / (n + DENSITY_PRIOR): a 4-sentence note is no denser than it looks
# Sign constraints for the combiner: more evidence never lowers a score; a
# boilerplate-only own section never raises it.
FEATURE_SIGN = {"own_section_boiler": -1, "context_share": -1, "n_themes_doc": 0}
CONTEXT_SECTIONS = {"background"}  # problem descriptions: evidence there is context more often than work

_TOKEN = re.compile(r"[a-zåäöéü]{2,}")


def _stem_tokens(text: str) -> list[str]:
    """Stems of the (normalised, lower-case) text's words, with the one shared Snowball stemmer."""
    return stem(_TOKEN.findall(text))


def stem_analyzer(text: str) -> list[str]:
    toks = _stem_tokens(text)
    return toks + [a + "_" + b for a, b in zip(toks, toks[1:])]


class SentenceModel:
    """char n-gram + stem TF-IDF → one-vs-rest logistic regression."""

    def __init__(self, classes: list[str], C: float = 4.0):
        self.classes = list(classes)
        self.C = C
        self.vec_char = None
        self.vec_word = None
        self.clf = None

    def _X(self, texts: list[str], fit: bool = False):
        from scipy.sparse import hstack

        norm = [normalise(t) for t in texts]
        if fit:
            from sklearn.feature_extraction.text import TfidfVectorizer

            self.vec_char = TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=(3, 5),
                min_df=2,
                sublinear_tf=True,
                max_features=150000,
                dtype=np.float32,
            )
            self.vec_word = TfidfVectorizer(analyzer=stem_analyzer, min_df=1, sublinear_tf=True, dtype=np.float32)
            return hstack([self.vec_char.fit_transform(norm), self.vec_word.fit_transform(norm)]).tocsr()
        return hstack([self.vec_char.transform(norm), self.vec_word.transform(norm)]).tocsr()

    def fit(self, texts: list[str], Y: np.ndarray) -> SentenceModel:
        from sklearn.linear_model import LogisticRegression

        X = self._X(texts, fit=True)
        self.clf = []
        for j in range(Y.shape[1]):
            y = Y[:, j]
            if y.sum() == 0:
                self.clf.append(None)
                continue
            m = LogisticRegression(C=self.C, class_weight="balanced", solver="liblinear", max_iter=200)
            m.fit(X, y)
            self.clf.append(m)
        return self

    def _compile(self) -> None:
        """Stack the per-class linear models into one dense matrix (fast inference)."""
        n_feat = len(self.vec_char.vocabulary_) + len(self.vec_word.vocabulary_)
        W = np.zeros((n_feat, len(self.classes)), dtype=np.float32)
        b = np.full(len(self.classes), -30.0, dtype=np.float32)  # classes without a model: p = 0
        for j, m in enumerate(self.clf):
            if m is not None:
                W[:, j] = m.coef_[0]
                b[j] = m.intercept_[0]
        self._W, self._b = W, b

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(self.classes)), dtype=np.float32)
        if getattr(self, "_W", None) is None:
            self._compile()
        z = np.asarray(self._X(texts) @ self._W) + self._b
        return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)


_CAPS_MID = re.compile(r"(?<=[\w,;:] )[A-ZÅÄÖ][a-zåäö]+")
_HAS_DIGIT = re.compile(r"\d")
MASK = "ämnesord"


def mask_terms(text: str, spans: list[tuple[int, int]]) -> str:
    """Replace each word touched by a lexicon match with a placeholder (offsets relative to text)."""
    if not spans:
        return text
    out, pos = [], 0
    for a, b in sorted(spans):
        if a < pos:
            continue
        while a > 0 and (text[a - 1].isalnum()):
            a -= 1
        while b < len(text) and text[b].isalnum():
            b += 1
        out.append(text[pos:a])
        out.append(MASK)
        pos = b
    out.append(text[pos:])
    return "".join(out)


class BoilerplateModel:
    """Is a sentence a generic horizontal-principle promise? Theme-independent by design.

    Topic words (any lexicon term) are masked before vectorising, so the model
    learns the *form* of boilerplate ("Projektet ska vara ... för alla", "...
    ska genomsyra hela projektet") rather than topics, and generalises across
    principles. Extra dense features: digits, mid-sentence proper nouns
    (specific places/organisations), length.
    """

    def __init__(self, C: float = 1.0):
        self.C = C
        self.vec = None
        self.clf = None

    def _dense(self, raw: list[str]) -> np.ndarray:
        return np.array(
            [
                [
                    float(bool(_HAS_DIGIT.search(t))),
                    min(3.0, len(_CAPS_MID.findall(t))) / 3.0,
                    min(40, len(t.split())) / 40.0,
                ]
                for t in raw
            ],
            dtype=np.float32,
        )

    def _X(self, masked: list[str], raw: list[str], fit: bool = False):
        from scipy.sparse import csr_matrix, hstack

        norm = [normalise(t) for t in masked]
        if fit:
            from sklearn.feature_extraction.text import TfidfVectorizer

            self.vec = TfidfVectorizer(analyzer=stem_analyzer, min_df=1, sublinear_tf=True, dtype=np.float32)
            W = self.vec.fit_transform(norm)
        else:
            W = self.vec.transform(norm)
        return hstack([W, csr_matrix(self._dense(raw))]).tocsr()

    def fit(self, masked: list[str], raw: list[str], y: np.ndarray) -> BoilerplateModel:
        from sklearn.linear_model import LogisticRegression

        self.clf = LogisticRegression(C=self.C, class_weight="balanced", solver="liblinear", max_iter=300)
        self.clf.fit(self._X(masked, raw, fit=True), y)
        return self

    def predict_proba(self, masked: list[str], raw: list[str]) -> np.ndarray:
        if not masked:
            return np.zeros(0, dtype=np.float32)
        z = self._X(masked, raw) @ self.clf.coef_[0] + self.clf.intercept_[0]
        return (1.0 / (1.0 + np.exp(-np.asarray(z).ravel()))).astype(np.float32)


def linear_params(pipe) -> tuple[np.ndarray, float]:
    """(w, b) of a StandardScaler + LogisticRegression pipeline, folded into one linear map."""
    scaler, lr = pipe.steps[0][1], pipe.steps[-1][1]
    coef = lr.coef_[0]
    w = coef / scaler.scale_
    b = float(lr.intercept_[0] - np.dot(scaler.mean_ / scaler.scale_, coef))
    return w.astype(np.float64), b


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@dataclass
class Scored:
    """Per-document intermediate scores (content sentences only)."""

    sents: list[Sent]
    theme_ids: list[str]
    strong: np.ndarray  # (n_sents, n_themes) distinct strong terms
    weak: np.ndarray
    strong_terms: list[set[str]]  # per theme: distinct strong terms in doc
    p: np.ndarray  # (n_sents, n_themes) model prob, NaN where the model has no opinion
    boiler: np.ndarray  # (n_sents,)
    known: np.ndarray  # (n_themes,) bool: model knows theme


def lexicon_hits(text: str, sents: list[Sent], taxonomy: Taxonomy, dropout=None):
    """Distinct strong/weak lexicon terms per (sentence, theme) + distinct strong terms per theme.

    ``dropout=(rng, p_strong, p_weak)`` randomly drops hits; used only in training to
    simulate real text where the lexicon covers less than on the hand-written banks.
    """
    lower = text.lower()
    starts = [s.start for s in sents]
    n, T = len(sents), len(taxonomy.themes)
    strong = np.zeros((n, T), dtype=np.float32)
    weak = np.zeros((n, T), dtype=np.float32)
    strong_terms: list[set[str]] = [set() for _ in range(T)]
    seen: set[tuple[int, int, bool, int]] = set()
    spans: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for st, en, j, is_strong, term in taxonomy.matcher.find(lower):
        i = bisect.bisect_right(starts, st) - 1
        if i < 0 or st >= sents[i].end:
            continue
        spans[i].append((st - sents[i].start, min(en, sents[i].end) - sents[i].start))
        key = (i, j, is_strong, st)  # one count per matched word position, however many terms match it
        if key in seen:
            if is_strong:
                strong_terms[j].add(term)
            continue
        seen.add(key)
        if dropout is not None and dropout[0].random() < (dropout[1] if is_strong else dropout[2]):
            continue
        if is_strong:
            strong[i, j] += 1
            strong_terms[j].add(term)
        else:
            weak[i, j] += 1
    return strong, weak, strong_terms, spans


def score_document(
    text: str,
    sents: list[Sent],
    taxonomy: Taxonomy,
    smodel: SentenceModel | None,
    dropout=None,
    bmodel: BoilerplateModel | None = None,
) -> Scored:
    """``sents`` must be content sentences (headings already removed)."""
    strong, weak, strong_terms, spans = lexicon_hits(text, sents, taxonomy, dropout)
    ids = taxonomy.ids
    n, T = len(sents), len(ids)
    p = np.full((n, T), np.nan, dtype=np.float32)
    boiler = np.zeros(n, dtype=np.float32)
    known = np.zeros(T, dtype=bool)
    if smodel is not None and n:
        probs = smodel.predict_proba([s.text for s in sents])
        cidx = {c: k for k, c in enumerate(smodel.classes)}
        for j, tid in enumerate(ids):
            if tid in cidx:
                p[:, j] = probs[:, cidx[tid]]
                known[j] = True
        if bmodel is not None:
            raw = [s.text for s in sents]
            boiler = bmodel.predict_proba([mask_terms(t, sp) for t, sp in zip(raw, spans)], raw)
        elif BOILER in cidx:
            boiler = probs[:, cidx[BOILER]]
    elif smodel is not None:
        cset = set(smodel.classes)
        known = np.array([tid in cset for tid in ids], dtype=bool)
    return Scored(sents, ids, strong, weak, strong_terms, p, boiler, known)


BOILER_DAMPING = 1.0  # e *= (1 - BOILER_DAMPING * P(boilerplate))
SECTION_BONUS = 0.35  # lexical credit for being inside the theme's own section (its heading names the theme)


def evidence_scores(sc: Scored, use_model: np.ndarray, own: np.ndarray | None = None) -> np.ndarray:
    """(n_sents, n_themes) sentence evidence score in 0..1.

    Lexicon and model are combined as a noisy-OR (either source can supply the
    evidence), then damped by the sentence's boilerplate probability. A sentence
    inside the theme's own section (``own[i, j]``) gets a lexical bonus: the
    heading says what it is about; whether it is concrete is left to the
    boilerplate damping.
    """
    lex = 0.6 * sc.strong + 0.25 * sc.weak
    if own is not None:
        lex = lex + SECTION_BONUS * own
    lex = np.minimum(1.0, lex)
    e = lex.copy()
    if len(sc.sents):
        pm = np.nan_to_num(sc.p, nan=0.0)
        mix = 1.0 - (1.0 - lex) * (1.0 - pm)
        e[:, use_model] = mix[:, use_model]
        e = e * (1.0 - BOILER_DAMPING * sc.boiler[:, None])
    return e


def doc_features(
    sc: Scored,
    taxonomy: Taxonomy,
    use_model: np.ndarray,
    programme_area: str | None = None,
    title_hit: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Theme-agnostic features (:data:`ALL_FEATURES`), one row per theme. Returns (X, e)."""
    secs = [s.section for s in sc.sents]
    own_m = np.zeros((len(secs), len(taxonomy.themes)), dtype=np.float32)
    for j, th in enumerate(taxonomy.themes):
        if th.sections:
            own_m[:, j] = [s in th.sections for s in secs]
    e = evidence_scores(sc, use_model, own_m)
    n, T = e.shape
    X = np.zeros((T, len(ALL_FEATURES)), dtype=np.float32)
    if n == 0:
        return X, e
    core = np.array([(s in CORE_SECTIONS) for s in secs], dtype=bool)
    if not core.any():  # no section info (news): the lead counts as core
        core[: min(3, n)] = True
    n_e50 = (e >= 0.5).sum(axis=0)
    top = max(1, int(n_e50.max()))
    any_lex = (sc.strong + sc.weak) > 0
    for j, th in enumerate(taxonomy.themes):
        col = e[:, j]
        top3 = np.sort(col)[-3:]
        own = own_m[:, j] > 0
        own_max = float(col[own].max()) if own.any() else 0.0
        own_n = int((own & any_lex[:, j]).sum())
        own_boiler = 0.0
        if own.any():
            own_boiler = float(float(np.mean(sc.boiler[own])) > 0.5 and own_max < 0.5)
        spread = len({secs[i] for i in np.nonzero(col >= 0.5)[0]})
        prior = 1.0 if programme_area and programme_area in th.programme_areas else 0.0
        hits50 = np.nonzero(col >= 0.5)[0]
        ctx = float(np.mean([secs[i] in CONTEXT_SECTIONS for i in hits50])) if len(hits50) else 0.0
        X[j] = [
            top3[-1],
            float(top3.sum()) / 3.0,
            math.log1p(n_e50[j]),
            math.log1p(float((sc.strong[:, j] > 0).sum())),
            math.log1p(len(sc.strong_terms[j])),
            float(col[core].max()) if core.any() else 0.0,
            own_max,
            math.log1p(own_n),
            own_boiler,
            n_e50[j] / top,
            math.log1p(spread),
            prior,
            ctx,
            float(col[:LEAD_SENTS].max()),
            float((col >= 0.3).sum()) / (n + DENSITY_PRIOR),
            float(title_hit[j]) if title_hit is not None else 0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
        ]
    if use_model.any():
        pm = np.nan_to_num(sc.p, nan=0.0)
        top2 = np.sort(pm, axis=0)[-2:].mean(axis=0)
        X[:, ALL_FEATURES.index("model_top2")] = np.where(use_model, top2, 0.0)
    X[:, ALL_FEATURES.index("n_themes_doc")] = float((e.max(axis=0) >= 0.5).sum())
    aim = np.array([bool(AIM_CUE.search(s.text)) for s in sc.sents], dtype=bool)
    if aim.any():
        X[:, ALL_FEATURES.index("aim_max_e")] = e[aim].max(axis=0)
    commit = np.array([bool(COMMIT_CUE.search(s.text)) for s in sc.sents], dtype=bool)
    X[:, ALL_FEATURES.index("commit_strong")] = np.log1p(((sc.strong > 0) & commit[:, None]).sum(axis=0))
    r = ALL_FEATURES.index("rel_top3")
    t3 = X[:, ALL_FEATURES.index("top3_e")]
    X[:, r] = t3 / max(float(t3.max()), 1e-6)
    return X, e


def title_hits(text: str, taxonomy: Taxonomy) -> np.ndarray:
    """(n_themes,) 1 where the document's first line (its title) has a lexicon term of the theme."""
    first = next((ln for ln in text[:2000].split("\n") if ln.strip()), "")[:300]
    out = np.zeros(len(taxonomy.themes), dtype=np.float32)
    for _, _, j, _, _ in taxonomy.matcher.find(first.lower()):
        out[j] = 1.0
    return out


_PO = re.compile(r"programområde\s*:?\s*(?:programområde\s*)?(\d)", re.IGNORECASE)


def programme_area_of(text: str, metadata_value: str | None = None) -> str | None:
    """ESF programme area number ('1', '2', '3') from metadata or the page header."""
    for src in (metadata_value or "", text[:4000]):
        m = _PO.search(src) if src else None
        if m:
            return m.group(1)
        if src and src.strip().isdigit():
            return src.strip()
    return None
