"""Themes, second real-page pass: thresholds chosen on the shared scorer's definition (a borderline
theme is a negative), precision-leaning F-beta, the aim/target-group and relative-strength features,
and anti-discrimination work aimed at a minority. Written examples only."""

# ruff: noqa: F811  (pytest fixtures: the test arguments named "tagger" are the imported fixture)
from __future__ import annotations

import numpy as np
import pytest
from test_themes_calibration import (
    assigned,
    tagger,  # noqa: F401  (the shared module fixture)
)

from pipeline.sections import split_sections
from pipeline.themes.model import ALL_FEATURES
from training.themes import calibrate as C


# ------------------------------------------------- threshold choice
def test_beta_below_one_leans_to_precision():
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    y = np.array([1, 1, 0, 1, 0, 0])
    t1, _ = C.best_threshold(p, y)  # F1: keep 0.6 (3 right, 1 wrong)
    t_half, _ = C.best_threshold(p, y, beta=0.5)  # F0.5: only the two clean ones
    assert t1 <= 0.6 < 0.7 < t_half <= 0.8


def _borderline_toy(seed=0):
    rng = np.random.default_rng(seed)
    n_docs, T = 80, 3
    X = np.zeros((n_docs * T, len(ALL_FEATURES)))  # 20 noisy features (later ones constant), the first informative
    X[:, :20] = rng.random((n_docs * T, 20)) * 0.3
    y = (rng.random(n_docs * T) < 0.3).astype(float)
    X[y == 1, 0] += 0.6
    ti = np.tile(np.arange(T), n_docs)
    keep = np.ones_like(y, dtype=bool)
    border = np.nonzero(y == 0)[0][:25]  # borderline themes that look like positives
    X[border, 0] += 0.6
    keep[border] = False
    return X, y, keep, ti


def test_borderline_counts_as_negative_in_the_threshold_choice():
    """Same weight fit (borderline rows left out of it in both), different threshold choice: as the
    shared scorer counts them (false positives) the threshold sits higher than when ignored."""
    X, y, keep, ti = _borderline_toy()
    ids = ["a", "b", "c"]
    strict = C.fit_calibration(X, X, y, keep, ti, ids, params={"borderline": "fit_exclude", "beta": 1.0})
    lenient = C.fit_calibration(X, X, y, keep, ti, ids, params={"borderline": "exclude", "beta": 1.0})
    assert np.allclose(strict["full"][0], lenient["full"][0])
    assert strict["threshold_full"] > lenient["threshold_full"]


def test_default_calibration_is_on_the_strict_definition():
    assert C.DEFAULTS["borderline"] in ("negative", "fit_exclude")
    assert C.DEFAULTS["beta"] <= 1.0


# ------------------------------------------------- features
AIM = """Projektet Nya vägar

Kommunen har fått pengar från Europeiska socialfonden. Målgruppen är utrikes födda kvinnor som saknar arbete och som har kort utbildning.

Kommunen har många föreningar. Projektledaren har arbetat i kommunen länge. Lokalerna ligger centralt.
"""
NO_AIM = AIM.replace("Målgruppen är utrikes födda kvinnor", "I kommunen bor många utrikes födda kvinnor")


def _feature(tagger, text, name, theme):
    a = tagger.analyse(text, split_sections(text))
    return float(a.X_full[tagger.taxonomy.ids.index(theme), ALL_FEATURES.index(name)]), a


def test_aim_feature_reads_target_group_sentences(tagger):
    with_aim, _ = _feature(tagger, AIM, "aim_max_e", "jamstalldhet")
    without, _ = _feature(tagger, NO_AIM, "aim_max_e", "jamstalldhet")
    assert with_aim > 0.3 and without == 0.0


COMMITTED = """Projektet Lika villkor

Kommunen har fått pengar från Europeiska socialfonden. Projektet ska bryta könsmönster i yrkesvalen genom studiebesök och mentorer.

Kommunen har många föreningar. Lokalerna ligger centralt.
"""
CONTEXT = COMMITTED.replace(
    "Projektet ska bryta könsmönster i yrkesvalen genom studiebesök och mentorer.",
    "Könsmönster i yrkesvalen har länge varit tydliga i regionen.",
)


def test_commit_feature_counts_theme_terms_in_sentences_that_commit_the_project(tagger):
    committed, a = _feature(tagger, COMMITTED, "commit_strong", "jamstalldhet")
    context, b = _feature(tagger, CONTEXT, "commit_strong", "jamstalldhet")
    j, n_strong = tagger.taxonomy.ids.index("jamstalldhet"), ALL_FEATURES.index("log_n_strong_sents")
    assert a.X_full[j, n_strong] > 0 and b.X_full[j, n_strong] > 0  # the theme's term is in both
    assert committed == pytest.approx(np.log1p(1)) and context == 0.0


def test_relative_strength_is_one_for_the_main_theme(tagger):
    _, a = _feature(tagger, AIM, "rel_top3", "jamstalldhet")
    rel = a.X_full[:, ALL_FEATURES.index("rel_top3")]
    top3 = a.X_full[:, ALL_FEATURES.index("top3_e")]
    assert rel[int(np.argmax(top3))] == pytest.approx(1.0)
    assert (rel <= 1.0 + 1e-6).all() and (rel >= 0).all()


# ------------------------------------------------- anti-discrimination aimed at a minority
ROMA = """2016/00321 - Lika möjligheter

Projektägare:
Västby kommun

Syfte:
Projektet ska stärka romers ställning i kommunen. Romska brobyggare anställs för att stödja familjer och för att utbilda handläggare om antiziganism och om de nationella minoriteternas rättigheter.

Mål:
Fler romska ungdomar ska gå vidare till arbete eller studier på lika villkor som andra unga.
"""
MENTION = """2016/00322 - Nya jobb

Projektägare:
Västby kommun

Syfte:
Projektet ska hjälpa långtidsarbetslösa vuxna till arbete genom praktik och matchning mot arbetsgivare i kommunen.

Mål:
Hälften av deltagarna ska ha ett arbete efter projektet. Projektet följer diskrimineringslagen.
"""


def test_anti_discrimination_for_a_minority_is_assigned(tagger):
    """Work against a minority's exclusion (antiziganism, a national minority's rights, equal terms)
    is anti-discrimination work even where the page never says 'diskriminering'; it is not integration
    of newcomers."""
    got = assigned(tagger, ROMA)
    assert "icke_diskriminering" in got and "integration" not in got, got


def test_law_mention_is_not_anti_discrimination_work(tagger):
    assert "icke_diskriminering" not in assigned(tagger, MENTION)
