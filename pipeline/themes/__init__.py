"""``themes`` stage: tag ESF theme(s) of a record, each with evidence sentences.

Config keys (``configs/pipeline.yaml`` → ``themes:``):

* ``taxonomy`` – theme config, default ``configs/themes.yaml``
* ``model`` – learned model bundle, default ``models/themes/model.joblib``

Fills ``record.themes`` (assigned themes, each with ≥ 1 evidence sentence) and
``record.theme_candidates`` (the rest that showed any signal, for review).
``Theme.score`` is calibrated per theme so that its threshold maps to 0.5:
assigned themes score ≥ 0.5, candidates < 0.5. See :mod:`pipeline.themes.model` for how lexicon, learned
model and section context are combined.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..paths import repo_path
from ..record import Evidence, Record, Theme
from ..stages import register
from ..sections import split_sections
from .model import (SentenceModel, doc_features, linear_params, programme_area_of,  # noqa: F401
                    score_document, sigmoid)
from .taxonomy import Taxonomy, load_taxonomy
from .text import assign_sections, split_sentences

DEFAULT_TAXONOMY = "configs/themes.yaml"
DEFAULT_MODEL = "models/themes/model.joblib"


def load_bundle(path) -> dict:
    import joblib

    p = repo_path(path)
    if not p.exists():
        raise FileNotFoundError(f"theme model not found at {p}; retrain with: python scripts/train_themes.py")
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


@register("themes")
class ThemeTagger:
    def __init__(self, config: dict[str, Any] | None = None):
        config = config or {}
        self.taxonomy: Taxonomy = load_taxonomy(config.get("taxonomy", DEFAULT_TAXONOMY))
        self.bundle = load_bundle(config.get("model", DEFAULT_MODEL))
        self.smodel: SentenceModel = self.bundle["sentence_model"]
        self.bmodel = self.bundle.get("boilerplate_model")
        d = self.taxonomy.defaults
        self.max_evidence = int(config.get("max_evidence", d.get("max_evidence", 3)))
        self.min_candidate = float(config.get("min_candidate_score", d.get("min_candidate_score", 0.15)))
        self.threshold_new = float(d.get("threshold_new", self.bundle.get("threshold_lex", 0.5)))
        rule = d.get("section_rule") or {}
        self.sec_min_n = int(rule.get("min_concrete", 2))
        self.sec_min_topic = int(rule.get("min_topic", 5))
        self.sec_min_e = float(rule.get("min_evidence", 0.5))
        self.sec_max_boiler = float(rule.get("max_boilerplate", 0.5))
        self._full = linear_params(self.bundle["combiner_full"])
        self._lex = linear_params(self.bundle["combiner_lex"])

    # ------------------------------------------------------------------ api
    def score(self, text: str, sections, programme_area: str | None = None) -> list[dict]:
        """All themes with score, threshold, assigned flag and evidence (no Record needed)."""
        if not sections:
            sections = split_sections(text)
        sents = split_sentences(text)
        assign_sections(sents, sections)
        content = [s for s in sents if not s.heading]
        sc = score_document(text, content, self.taxonomy, self.smodel, bmodel=self.bmodel)
        po = programme_area_of(text, programme_area)
        X_full, e_full = doc_features(sc, self.taxonomy, sc.known, po)
        if sc.known.all():  # no config-only themes: the lexicon-only path is not needed
            X_lex, e_lex = X_full, e_full
        else:
            X_lex, e_lex = doc_features(sc, self.taxonomy, np.zeros_like(sc.known), po)
        thresholds = self.bundle.get("thresholds", {})
        p_full = sigmoid(X_full @ self._full[0] + self._full[1])
        p_lex = sigmoid(X_lex @ self._lex[0] + self._lex[1])
        out = []
        for j, th in enumerate(self.taxonomy.themes):
            if sc.known[j]:
                prob = float(p_full[j])
                e = e_full[:, j]
                thr = thresholds.get(th.id, self.bundle.get("threshold_full", 0.5))
            else:
                prob = float(p_lex[j])
                e = e_lex[:, j]
                thr = self.threshold_new
            if th.threshold is not None:
                thr = float(th.threshold)
            has_lex = sc.strong[:, j] > 0
            model_ok = np.nan_to_num(sc.p[:, j], nan=0.0) >= 0.5
            # rank evidence by score; fragments (< 5 words, e.g. list items) only as a last resort
            short = np.array([len(s.text.split()) < 5 for s in content], dtype=bool)
            order = np.argsort(-(e - 0.25 * short), kind="stable")
            ev = []
            for i in order:
                if e[i] < 0.3 or len(ev) >= self.max_evidence:
                    break
                if has_lex[i] or model_ok[i]:
                    s = content[i]
                    ev.append(Evidence(text=s.text, start=s.start, end=s.end, section=s.section))
            # Section context rule: a theme's own section (e.g. "Tillgänglighet för personer med
            # funktionsnedsättning") assigns the theme when it is concrete: >= min_concrete sentences
            # with their own topic evidence (strong term or model) that are not boilerplate, or one
            # such sentence in an extensive section (>= min_topic sentences on the topic).
            # A boilerplate-only section never does: "Projektet ska vara tillgängligt för alla".
            if th.sections:
                own = np.array([s.section in th.sections for s in content], dtype=bool)
                weak_any = sc.weak[:, j] > 0
                n_topic = int((own & (has_lex | weak_any | model_ok)).sum())
                n_conc = int((own & (has_lex | model_ok) & (sc.boiler < self.sec_max_boiler)
                              & (e >= self.sec_min_e)).sum())
                if n_conc >= self.sec_min_n or (n_conc >= 1 and n_topic >= self.sec_min_topic):
                    prob = max(prob, min(0.95, 0.5 + 0.05 * n_topic + 0.05 * n_conc))
                    thr = min(thr, 0.5)
            assigned = prob >= thr and bool(ev)
            score = _calibrate(prob, thr)
            if not assigned:
                score = min(score, 0.49)
            out.append({"id": th.id, "label": th.label, "score": score, "raw_score": prob, "threshold": thr,
                        "assigned": assigned, "evidence": ev, "signal": bool(has_lex.any() or model_ok.any())})
        return out

    def __call__(self, record: Record) -> Record:
        themes, cands = [], []
        for r in self.score(record.text, record.sections, record.metadata.programme_area):
            t = Theme(id=r["id"], label=r["label"], score=round(min(1.0, max(0.0, r["score"])), 4), evidence=r["evidence"])
            if r["assigned"]:
                themes.append(t)
            elif r["score"] >= self.min_candidate or r["signal"]:
                cands.append(t)
        themes.sort(key=lambda t: -t.score)
        cands.sort(key=lambda t: -t.score)
        return record.model_copy(update={"themes": themes, "theme_candidates": cands})
