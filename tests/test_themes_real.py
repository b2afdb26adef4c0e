"""Themes, third real-page pass: the sentence model also learns from real sentences (weak labels from
the page's themes), the calibration is fitted on cross-fitted analyses, the out-of-fold figure is nested
(no page is decided by a sentence model or a calibration that saw it), and two document features.
Written examples only."""

# ruff: noqa: F811  (pytest fixtures: the test arguments named "tagger" are the imported fixture)
from __future__ import annotations

import numpy as np
import pytest
from test_themes_calibration import tagger  # noqa: F401  (the shared module fixture)

import training.themes.real as R
from pipeline.sections import split_sections
from pipeline.themes.model import ALL_FEATURES, FEATURE_SIGN, doc_features
from training.themes import calibrate as C

PAGE = """Vägen vidare

Projektet ska hjälpa unga arbetslösa mellan 16 och 24 år att hitta jobb eller börja studera.
Kommunen och Arbetsförmedlingen har en gemensam styrgrupp för projektet.
Lokalerna ligger nära stationen och är öppna på vardagar.
"""


def _doc(text: str, themes: set[str], borderline: set[str] = frozenset(), name: str = "p") -> C.DevDoc:
    return C.DevDoc(name, "written", text, split_sections(text), None, set(themes), set(borderline))


def test_real_sentence_labels_follow_the_page_themes(tagger):
    ids = tagger.taxonomy.ids
    d = _doc(PAGE, {"unga"}, {"samverkan"})
    a = tagger.analyse(d.text, d.sections)
    rs = R.real_sentence_labels(a, d, ids)
    assert rs.texts == [s.text for s in a.content] and rs.Y.shape == (len(a.content), len(ids))
    by_text = {t: rs.Y[i] for i, t in enumerate(rs.texts)}
    unga = next(v for t, v in by_text.items() if "unga arbetslösa" in t)
    styr = next(v for t, v in by_text.items() if "styrgrupp" in t)
    lokal = next(v for t, v in by_text.items() if "Lokalerna" in t)
    assert unga[ids.index("unga")] == 1  # gold theme, strong term in the sentence
    assert styr[ids.index("samverkan")] == 0  # borderline theme: a negative
    assert lokal.sum() == 0  # no term: negative for every theme
    assert rs.Y[:, [j for j, t in enumerate(ids) if t != "unga"]].sum() == 0


def test_a_weak_term_labels_a_sentence_only_where_the_project_commits_to_it(tagger):
    ids = tagger.taxonomy.ids
    text = "Egen start\n\nProjektet ska stödja kvinnor som vill driva eget.\nI kommunen bor fler kvinnor än män.\n"
    d = _doc(text, {"jamstalldhet"})
    a = tagger.analyse(d.text, d.sections)
    j = ids.index("jamstalldhet")
    assert (a.sc.strong[:, j] == 0).all() and (a.sc.weak[:, j] > 0).sum() == 2  # weak terms only
    y = {t: R.real_sentence_labels(a, d, ids).Y[i, j] for i, t in enumerate(s.text for s in a.content)}
    assert y["Projektet ska stödja kvinnor som vill driva eget."] == 1
    assert y["I kommunen bor fler kvinnor än män."] == 0


# ------------------------------------------------- nested out-of-fold isolation
TOPICS = [
    ("Projektet ska hjälpa unga arbetslösa att hitta jobb genom praktik och coachning.", {"unga"}),
    ("Undersköterskorna i hemtjänsten får kompetensutveckling i demensvård.", {"kompetensutveckling"}),
    ("Deltagarna är långtidssjukskrivna och får arbetslivsinriktad rehabilitering.", {"halsa"}),
    ("Nyanlända kvinnor får språkstöd och samhällsorientering i projektet.", {"integration"}),
    ("Små företag på landsbygden får stöd att utveckla sin verksamhet.", {"entreprenorskap"}),
]


class _SpyTrainer(R.Trainer):
    def fit(self, pages):
        sm = super().fit(pages)
        sm._seen = set(int(k) for k in pages)
        return sm

    def analyse(self, smodel, pages):
        res = super().analyse(smodel, pages)
        for k, a in res.items():
            a._page, a._seen = k, smodel._seen
        return res


class _SpyTagger:
    def __init__(self, real_tagger):
        self.real = real_tagger
        self.calls = []

    def decide(self, a, cal):
        self.calls.append((a._page, a._seen, cal["_pages_seen"]))
        return self.real.decide(a, cal)


def test_nested_out_of_fold_never_decides_a_page_with_a_model_that_saw_it(tagger, monkeypatch):
    ids = tagger.taxonomy.ids
    docs = []
    for k in range(10):
        s1, t1 = TOPICS[k % 5]
        s2, t2 = TOPICS[(k + 2) % 5]
        text = f"Projekt {k}\n\n{s1} {s2} Projektet pågår i tre år.\n"
        docs.append(_doc(text, t1 | t2, name=f"d{k}"))
    real = [R.real_sentence_labels(tagger.analyse(d.text, d.sections), d, ids) for d in docs]
    wt = [s for s, _ in TOPICS] + ["Projektet har en styrgrupp.", "Lokalerna är ljusa."]
    wY = np.array([[t in th for t in ids] for _, th in TOPICS] + [[False] * len(ids)] * 2, dtype=np.int8)
    trainer = _SpyTrainer(tagger.taxonomy, tagger.bmodel, wt, wY, docs, real)
    real_calibrate = R._calibrate

    def spy_calibrate(tr, analyses, extra, params):
        cal = real_calibrate(tr, analyses, extra, params)
        cal["_pages_seen"] = set(analyses) | set().union(*(a._seen for a in analyses.values()))
        return cal

    monkeypatch.setattr(R, "_calibrate", spy_calibrate)
    spy = _SpyTagger(tagger)
    dec, cals = R.nested_out_of_fold(spy, trainer, None, None, k=5)
    assert len(dec) == 10 and all(len(d) == len(ids) for d in dec)
    assert sorted(p for p, _, _ in spy.calls) == list(range(10))
    for page, model_seen, cal_seen in spy.calls:
        assert page not in model_seen  # the sentence model that analysed the page never saw it
        assert page not in cal_seen  # nor did the calibration, nor the models behind its features
        assert len(model_seen) == 8
    assert trainer.n_fits == 25  # 5 outer folds x (4 inner cross-fits + 1 outer model)


def test_final_calibration_is_fitted_on_cross_fitted_analyses(tagger):
    ids = tagger.taxonomy.ids
    docs = [
        _doc(f"Projekt {k}\n\n{TOPICS[k % 5][0]} Projektet pågår i två år.\n", TOPICS[k % 5][1], name=f"d{k}")
        for k in range(10)
    ]
    real = [R.real_sentence_labels(tagger.analyse(d.text, d.sections), d, ids) for d in docs]
    wt = [s for s, _ in TOPICS]
    wY = np.array([[t in th for t in ids] for _, th in TOPICS], dtype=np.int8)
    trainer = _SpyTrainer(tagger.taxonomy, tagger.bmodel, wt, wY, docs, real)
    sm, cal, cf = R.fit_final(trainer, None, None, k=5)
    assert sm._seen == set(range(10))
    assert sorted(cf) == list(range(10))
    for k, a in cf.items():
        assert k not in a._seen
    assert set(cal["thresholds"]) == set(ids)


# ------------------------------------------------- features
def test_model_top2_and_theme_breadth(tagger):
    a = tagger.analyse(PAGE, split_sections(PAGE))
    ids = tagger.taxonomy.ids
    j = ids.index("unga")
    p = np.sort(np.nan_to_num(a.sc.p[:, j]))
    assert a.X_full[j, ALL_FEATURES.index("model_top2")] == pytest.approx(p[-2:].mean(), abs=1e-6)
    breadth = a.X_full[:, ALL_FEATURES.index("n_themes_doc")]
    assert (breadth == breadth[0]).all()  # a document feature, the same on every theme row
    assert breadth[0] == float((a.e_full.max(axis=0) >= 0.5).sum()) >= 1
    # the lexicon-only path (themes only in the config) has no model view
    X_lex, _ = doc_features(a.sc, tagger.taxonomy, np.zeros(len(ids), dtype=bool))
    assert (X_lex[:, ALL_FEATURES.index("model_top2")] == 0).all()


def test_breadth_sign_is_free_and_others_keep_theirs():
    assert FEATURE_SIGN["n_themes_doc"] == 0
    rng = np.random.default_rng(0)
    n, T = 300, 3
    X = rng.random((n * T, len(ALL_FEATURES))) * 0.3
    y = (rng.random(n * T) < 0.3).astype(float)
    X[y == 1, 0] += 0.6
    b = ALL_FEATURES.index("n_themes_doc")
    X[:, b] = rng.integers(1, 8, n * T)
    y[X[:, b] >= 6] = 0.0  # broad pages commit to nothing: the weight must be free to go negative
    cal = C.fit_calibration(X, X, y, np.ones_like(y, dtype=bool), np.tile(np.arange(T), n), ["a", "b", "c"])
    w = dict(zip(cal["features"], cal["full"][0]))
    assert w["n_themes_doc"] < 0
    assert w["max_e"] >= 0 and w["own_section_boiler"] <= 1e-9


def test_sentence_boundaries_come_from_the_shared_splitter():
    """An abbreviation before a capitalised name ends no sentence (the shared Swedish splitter); the
    themes stage keeps its own line, heading and offset handling."""
    from pipeline.themes.text import text_units

    text = "Rubrik\n\n- Projektet har bl.a. Malmö stad som partner. Det pågår i tre år!\n"
    sents = text_units(text)
    assert [s.text for s in sents] == ["Rubrik", "Projektet har bl.a. Malmö stad som partner.", "Det pågår i tre år!"]
    assert [s.heading for s in sents] == [True, False, False]
    assert all(text[s.start : s.end] == s.text for s in sents)
