"""``themes`` stage: tag ESF theme(s) of a record, each with evidence sentences.

Config keys (``configs/pipeline.yaml`` → ``themes:``):

* ``taxonomy`` – theme config, default ``configs/themes.yaml``
* ``model`` – learned model bundle, default ``models/themes/model.joblib``
* ``max_chars`` – only the first N characters of a document are read (default 100,000)
* ``max_sentences`` – at most N content sentences are scored per document (default 1,500)

The two caps bound the work per document (linear in the capped size), so a pathological
page (e.g. a megabyte of repeated headings) costs no more than a long report.

Fills ``record.themes`` (assigned themes, each with ≥ 1 evidence sentence) and
``record.theme_candidates`` (the rest that showed any signal, for review).
``Theme.score`` is calibrated per theme so that its threshold maps to 0.5:
assigned themes score ≥ 0.5, candidates < 0.5. See :mod:`pipeline.themes.model` for how lexicon, learned
model and section context are combined, and :mod:`training.themes.calibrate` (training code, not
shipped) for the document-level calibration fitted on real labelled pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from ..config import SectionConfig
from ..paths import repo_path
from ..record import Evidence, Record, Theme
from ..stages import register
from .model import (  # noqa: F401
    ALL_FEATURES,
    COMMIT_CUE,
    FEATURES,
    Scored,
    SentenceModel,
    doc_features,
    linear_params,
    programme_area_of,
    score_document,
    sigmoid,
    title_hits,
)
from .taxonomy import Taxonomy, load_taxonomy
from .text import Sent, assign_sections, text_units, units_from_spans

DEFAULT_TAXONOMY = "configs/themes.yaml"
DEFAULT_MODEL = "models/themes/model.joblib"
MAX_CHARS = 100_000
MAX_SENTENCES = 1_500


@dataclass
class Analysis:
    """Everything the stage computes for one document before deciding (shared with training)."""

    content: list[Sent]  # content sentences scored (after the caps)
    sc: Scored
    X_full: np.ndarray  # (n_themes, len(ALL_FEATURES)) lexicon + model
    e_full: np.ndarray  # (n_sents, n_themes)
    X_lex: np.ndarray  # lexicon only (themes the model does not know)
    e_lex: np.ndarray
    n_chars: int  # characters read
    n_sentences: int  # sentences split (before the sentence cap)


def analyse(
    text: str,
    sections,
    programme_area: str | None,
    taxonomy: Taxonomy,
    smodel,
    bmodel=None,
    max_chars: int = MAX_CHARS,
    max_sentences: int = MAX_SENTENCES,
    sentences=None,
) -> Analysis:
    """Score and featurise one document; work is bounded by ``max_chars``/``max_sentences``.
    ``sentences``: the segment stage's spans (``record.sentences``); without them the text is split."""
    text = text[:max_chars]
    sections = [s for s in sections or () if s.start < len(text)]  # the sections stage's, never re-split here
    sents = units_from_spans(text, sentences) if sentences else text_units(text)
    assign_sections(sents, sections)
    content = [s for s in sents if not s.heading][:max_sentences]
    sc = score_document(text, content, taxonomy, smodel, bmodel=bmodel)
    po = programme_area_of(text, programme_area)
    th = title_hits(text, taxonomy)
    X_full, e_full = doc_features(sc, taxonomy, sc.known, po, th)
    if sc.known.all():  # no config-only themes: the lexicon-only path is not needed
        X_lex, e_lex = X_full, e_full
    else:
        X_lex, e_lex = doc_features(sc, taxonomy, np.zeros_like(sc.known), po, th)
    return Analysis(content, sc, X_full, e_full, X_lex, e_lex, len(text), len(sents))


def calibration_of(bundle: dict) -> dict:
    """The bundle's document-level calibration; older bundles (synthetic combiners only) are mapped to it."""
    if "calibration" in bundle:
        return bundle["calibration"]
    w_f, b_f = linear_params(bundle["combiner_full"])
    w_l, b_l = linear_params(bundle["combiner_lex"])
    return {
        "features": list(bundle.get("features", FEATURES)),
        "full": (w_f, b_f),
        "lex": (w_l, b_l),
        "theme_bias": {},
        "thresholds": dict(bundle.get("thresholds", {})),
        "threshold_full": bundle.get("threshold_full", 0.5),
        "threshold_lex": bundle.get("threshold_lex", 0.5),
    }


def calibrated_probs(cal: dict, X: np.ndarray, theme_ids: list[str], which: str) -> np.ndarray:
    """P(theme applies) per theme row of ``X`` (columns :data:`ALL_FEATURES`)."""
    idx = [ALL_FEATURES.index(f) for f in cal["features"]]
    w, b = cal[which]
    bias = np.array([cal["theme_bias"].get(t, 0.0) if which == "full" else 0.0 for t in theme_ids])
    return sigmoid(X[:, idx] @ w + b + bias)


def load_bundle(path) -> dict:
    import joblib

    p = repo_path(path)
    if not p.exists():
        raise FileNotFoundError(f"theme model not found at {p}; retrain with: python -m scripts.train_themes")
    return joblib.load(p)


def _calibrate(prob: float, thr: float) -> float:
    """Map the combiner probability so that each theme's threshold lands on 0.5.

    Scores are then comparable across themes: assigned themes have score >= 0.5,
    candidates < 0.5, whatever the per-theme threshold.
    """
    thr = min(max(thr, 1e-6), 1 - 1e-6)
    if prob < thr:
        return 0.5 * prob / thr
    return 0.5 + 0.5 * (prob - thr) / (1 - thr)


class ThemesConfig(SectionConfig):
    """Settings of the ``themes`` stage; None: the taxonomy's or the module's default."""

    taxonomy: Optional[str] = None
    model: Optional[str] = None
    max_evidence: Optional[int] = None
    min_candidate_score: Optional[float] = None
    max_chars: Optional[int] = None
    max_sentences: Optional[int] = None


@register("themes")
class ThemeTagger:
    """Themes from the taxonomy, each with a score and the sentences that justify it."""

    reads = ("text", "sections", "metadata", "sentences")
    writes = ("themes", "theme_candidates")
    config_model = ThemesConfig

    def __init__(
        self, config: dict[str, Any] | None = None, bundle: dict | None = None, taxonomy: Taxonomy | None = None
    ):
        config = config or {}
        self.taxonomy: Taxonomy = taxonomy or load_taxonomy(config.get("taxonomy", DEFAULT_TAXONOMY))
        self.bundle = bundle if bundle is not None else load_bundle(config.get("model", DEFAULT_MODEL))
        self.smodel: SentenceModel = self.bundle["sentence_model"]
        self.bmodel = self.bundle.get("boilerplate_model")
        d = self.taxonomy.defaults
        self.max_evidence = int(config.get("max_evidence", d.get("max_evidence", 3)))
        self.min_candidate = float(config.get("min_candidate_score", d.get("min_candidate_score", 0.15)))
        rule = d.get("section_rule") or {}
        self.sec_min_n = int(rule.get("min_concrete", 2))
        self.sec_min_topic = int(rule.get("min_topic", 5))
        self.sec_min_e = float(rule.get("min_evidence", 0.5))
        self.sec_max_boiler = float(rule.get("max_boilerplate", 0.5))
        self.cal = calibration_of(self.bundle)
        self.max_chars = int(config.get("max_chars", MAX_CHARS))
        self.max_sentences = int(config.get("max_sentences", MAX_SENTENCES))
        # config-only themes (lexicon path): the config's threshold_new, else the calibrated one
        tn = d.get("threshold_new")
        self.threshold_new = float(tn if tn is not None else self.cal.get("threshold_lex", 0.5))

    @classmethod
    def from_bundle(cls, bundle: dict, taxonomy: Taxonomy, config: dict[str, Any] | None = None) -> ThemeTagger:
        """A tagger from an in-memory bundle (training, evaluation)."""
        return cls(config, bundle=bundle, taxonomy=taxonomy)

    # ------------------------------------------------------------------ api
    def analyse(self, text: str, sections, programme_area: str | None = None, sentences=None) -> Analysis:
        return analyse(
            text,
            sections,
            programme_area,
            self.taxonomy,
            self.smodel,
            self.bmodel,
            self.max_chars,
            self.max_sentences,
            sentences,
        )

    def score(self, text: str, sections, programme_area: str | None = None, sentences=None) -> list[dict]:
        """All themes with score, threshold, assigned flag and evidence (no Record needed)."""
        return self.decide(self.analyse(text, sections, programme_area, sentences))

    def decide(self, a: Analysis, cal: dict | None = None) -> list[dict]:
        """Scores, thresholds, evidence and the assign decision per theme, from an :class:`Analysis`.

        ``cal`` replaces the bundle's calibration (used by out-of-fold evaluation).
        """
        cal = cal or self.cal
        content, sc, e_full, e_lex = a.content, a.sc, a.e_full, a.e_lex
        ids = self.taxonomy.ids
        thresholds = cal.get("thresholds", {})
        p_full = calibrated_probs(cal, a.X_full, ids, "full")
        p_lex = calibrated_probs(cal, a.X_lex, ids, "lex")
        # fragments (< 5 words, e.g. list items) are evidence only as a last resort
        short = np.array([len(s.text.split()) < 5 for s in content], dtype=bool)
        out = []
        for j, th in enumerate(self.taxonomy.themes):
            if sc.known[j]:
                prob = float(p_full[j])
                e = e_full[:, j]
                thr = thresholds.get(th.id, cal.get("threshold_full", 0.5))
            else:
                prob = float(p_lex[j])
                e = e_lex[:, j]
                thr = self.threshold_new
            if th.threshold is not None:
                thr = float(th.threshold)
            has_lex = sc.strong[:, j] > 0
            model_ok = np.nan_to_num(sc.p[:, j], nan=0.0) >= 0.5
            # rank evidence by score, fragments last
            order = np.argsort(-(e - 0.25 * short), kind="stable")
            ev = []
            for i in order:
                if e[i] < 0.3 or len(ev) >= self.max_evidence:
                    break
                if has_lex[i] or model_ok[i]:
                    s = content[i]
                    ev.append(Evidence(text=s.text, start=s.start, end=s.end, section=s.section))
            # a sentence that commits the project ("ska", "syftar", "målet" ...) first: the theme as the
            # project's work, not as context (on the real dev pages the first evidence sentence is one a
            # person labelled as evidence for the theme in 0.89 of the right themes, 0.85 by score alone)
            ev.sort(key=lambda x: COMMIT_CUE.search(x.text) is None)
            # Section context rule: a theme's own section (e.g. "Tillgänglighet för personer med
            # funktionsnedsättning") assigns the theme when it is concrete: >= min_concrete sentences
            # with their own topic evidence (strong term or model) that are not boilerplate, or one
            # such sentence in an extensive section (>= min_topic sentences on the topic).
            # A boilerplate-only section never does: "Projektet ska vara tillgängligt för alla".
            if th.sections:
                own = np.array([s.section in th.sections for s in content], dtype=bool)
                weak_any = sc.weak[:, j] > 0
                n_topic = int((own & (has_lex | weak_any | model_ok)).sum())
                n_conc = int(
                    (own & (has_lex | model_ok) & (sc.boiler < self.sec_max_boiler) & (e >= self.sec_min_e)).sum()
                )
                if n_conc >= self.sec_min_n or (n_conc >= 1 and n_topic >= self.sec_min_topic):
                    prob = max(prob, min(0.95, 0.5 + 0.05 * n_topic + 0.05 * n_conc))
                    thr = min(thr, 0.5)
            assigned = prob >= thr and bool(ev)
            score = _calibrate(prob, thr)
            if not assigned:
                score = min(score, 0.49)
            out.append(
                {
                    "id": th.id,
                    "label": th.label,
                    "score": score,
                    "raw_score": prob,
                    "threshold": thr,
                    "assigned": assigned,
                    "evidence": ev,
                    "signal": bool(has_lex.any() or model_ok.any()),
                }
            )
        return out

    def __call__(self, record: Record) -> Record:
        themes, cands = [], []
        for r in self.score(record.text, record.sections, record.metadata.programme_area, record.sentences):
            t = Theme(
                id=r["id"], label=r["label"], score=round(min(1.0, max(0.0, r["score"])), 4), evidence=r["evidence"]
            )
            if r["assigned"]:
                themes.append(t)
            elif r["score"] >= self.min_candidate or r["signal"]:
                cands.append(t)
        themes.sort(key=lambda t: -t.score)
        cands.sort(key=lambda t: -t.score)
        return record.model_copy(update={"themes": themes, "theme_candidates": cands})
