"""The sentence model trained on real sentences as well, with honest (nested) out-of-fold figures.

The hand-written sentence banks (:mod:`training.themes.synth`) are clean, short and on topic; real
pages are not, and a model trained on the banks alone gives real on-topic sentences low
probabilities. So the shipped sentence model is also trained on the sentences of the real
labelled pages (the shared dev set), labelled weakly from the document's gold themes:

* a content sentence is a positive for theme *t* when the document's ``themes`` hold *t* and the
  sentence has a strong lexicon term of *t*, or a weak term of *t* in a sentence that commits the
  project to something (``pipeline.themes.model.COMMIT_CUE``: "Projektet ska stödja utrikes födda
  kvinnor" on a page about gender equality) -- the page is about *t* and this sentence says so;
* every other real sentence is a negative for *t*, including sentences of a page where *t* is only
  ``themes_borderline`` (the shared scorer counts a borderline prediction as a false positive).

Once the sentence model has seen a page, features computed with it on that page are optimistic,
so the document-level calibration is always fitted on **cross-fitted** analyses: a page's
features come from a sentence model trained without that page's fold.

:func:`nested_out_of_fold` is the honest figure: for each outer fold, the calibration is fitted
on cross-fitted analyses of the other folds (inner models never see the outer fold either), and
the outer fold is analysed by a sentence model trained on the other folds only. No number for a
page comes from a model or threshold that saw it. :func:`fit_final` builds what ships: the
sentence model on all written and real sentences, the calibration on cross-fitted analyses of
all pages (+ the written synthetic documents).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.sections import split_sections
from pipeline.themes import Analysis, analyse
from pipeline.themes.model import COMMIT_CUE, SentenceModel
from pipeline.themes.taxonomy import Taxonomy

from .calibrate import DevDoc, fit_calibration, fold_of, rows


@dataclass
class RealSentences:
    """One page's content sentences and their weak labels (n_sents x n_themes)."""

    texts: list[str]
    Y: np.ndarray


def real_sentence_labels(a: Analysis, doc: DevDoc, theme_ids: list[str]) -> RealSentences:
    """Weak sentence labels from the page's gold themes (see the module docstring).

    ``a`` is any analysis of the page: content sentences and lexicon hits do not depend on the
    sentence model.
    """
    gold = np.array([t in doc.themes for t in theme_ids], dtype=bool)
    commit = np.array([bool(COMMIT_CUE.search(s.text)) for s in a.content], dtype=bool).reshape(-1, 1)
    Y = (((a.sc.strong > 0) | ((a.sc.weak > 0) & commit)) & gold[None, :]).astype(np.int8)
    return RealSentences([s.text for s in a.content], Y.reshape(len(a.content), len(theme_ids)))


class Trainer:
    """Fits sentence models on the written sentences plus the real sentences of chosen pages and
    analyses pages with them (the boilerplate model stays the written-data one)."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        bmodel,
        written_texts: list[str],
        written_Y: np.ndarray,
        docs: list[DevDoc],
        real: list[RealSentences],
    ):
        self.taxonomy, self.bmodel = taxonomy, bmodel
        self.wt, self.wY = list(written_texts), np.asarray(written_Y)
        self.docs, self.real = docs, real
        self.n_fits = 0
        self.fitted_on: list[set[int]] = []  # which pages each fit saw (checked by the tests)

    def fit(self, pages) -> SentenceModel:
        pages = sorted(int(k) for k in pages)
        texts = self.wt + [t for k in pages for t in self.real[k].texts]
        Ys = [self.wY] + [self.real[k].Y for k in pages if len(self.real[k].texts)]
        self.n_fits += 1
        self.fitted_on.append(set(pages))
        return SentenceModel(self.taxonomy.ids).fit(texts, np.vstack(Ys))

    def analyse(self, smodel: SentenceModel, pages) -> dict[int, Analysis]:
        return {
            int(k): analyse(
                self.docs[k].text,
                self.docs[k].sections,
                self.docs[k].programme_area,
                self.taxonomy,
                smodel,
                self.bmodel,
            )
            for k in pages
        }

    def analyse_written(self, smodel: SentenceModel, synthetic: list[dict]) -> list[Analysis]:
        return [
            analyse(d["text"], split_sections(d["text"]), None, self.taxonomy, smodel, self.bmodel) for d in synthetic
        ]

    def cross_fitted(self, pages, folds: np.ndarray) -> dict[int, Analysis]:
        """Each page analysed by a sentence model trained on the given pages outside its fold."""
        pages = np.asarray(sorted(pages))
        out: dict[int, Analysis] = {}
        for g in sorted(set(folds[pages].tolist())):
            sm = self.fit(pages[folds[pages] != g])
            out.update(self.analyse(sm, pages[folds[pages] == g]))
        return out


def _extra(trainer: Trainer, smodel, synthetic: list[dict] | None):
    if not synthetic:
        return None
    ids = trainer.taxonomy.ids
    san = trainer.analyse_written(smodel, synthetic)
    sdocs = [DevDoc(d["id"], "written", "", [], None, set(d["labels"]), set()) for d in synthetic]
    eXf, eXl, ey, _, eti, _ = rows(san, sdocs, ids)
    return eXf, eXl, ey, eti


def _calibrate(trainer: Trainer, analyses: dict[int, Analysis], extra, params):
    ks = sorted(analyses)
    Xf, Xl, y, keep, ti, _ = rows([analyses[k] for k in ks], [trainer.docs[k] for k in ks], trainer.taxonomy.ids)
    return fit_calibration(Xf, Xl, y, keep, ti, trainer.taxonomy.ids, extra, params)


def nested_out_of_fold(
    tagger,
    trainer: Trainer,
    synthetic: list[dict] | None = None,
    params: dict | None = None,
    k: int = 5,
    log=None,
    shuffle: int | None = None,
) -> tuple[list[list[dict]], list[dict]]:
    """Per-page decisions (as :meth:`ThemeTagger.decide` gives them) where neither the sentence model
    nor the calibration that decided a page has seen it. ``tagger`` supplies only the decision rule.
    ``shuffle``: seed of a random assignment of pages to folds (default: round robin by file name)."""
    n = len(trainer.docs)
    folds = fold_of(n, k)
    if shuffle is not None:
        folds = np.random.RandomState(shuffle).permutation(folds)
    out: list[list[dict]] = [[] for _ in range(n)]
    cals = []
    for f in range(k):
        train = np.nonzero(folds != f)[0]
        held = np.nonzero(folds == f)[0]
        inner = trainer.cross_fitted(train, folds)
        sm = trainer.fit(train)
        cal = _calibrate(trainer, inner, _extra(trainer, sm, synthetic), params)
        cals.append(cal)
        for j, a in trainer.analyse(sm, held).items():
            out[j] = tagger.decide(a, cal)
        if log:
            log(f"  nested out-of-fold: fold {f + 1}/{k} done ({trainer.n_fits} sentence models fitted)")
    return out, cals


def fit_final(
    trainer: Trainer, synthetic: list[dict] | None = None, params: dict | None = None, k: int = 5
) -> tuple[SentenceModel, dict, dict[int, Analysis]]:
    """The shipped sentence model (all written + all real sentences) and the calibration fitted on
    cross-fitted analyses of all pages (+ written synthetic documents)."""
    n = len(trainer.docs)
    folds = fold_of(n, k)
    cf = trainer.cross_fitted(np.arange(n), folds)
    sm = trainer.fit(np.arange(n))
    cal = _calibrate(trainer, cf, _extra(trainer, sm, synthetic), params)
    return sm, cal, cf


def written_sentences(theme_ids: list[str]) -> tuple[list[str], np.ndarray]:
    """The hand-written training sentences exactly as :func:`training.themes.train.train` uses them."""
    from .synth import assign_folds, load_banks
    from .train import FOLDS, sentence_set

    sents = load_banks()
    folds = assign_folds(sents, n_folds=len(FOLDS))
    return sentence_set(sents, folds, set(FOLDS), list(theme_ids), seed=1)
