"""Training for the themes stage (used by ``scripts/train_themes.py``).

Steps
1. Load the hand-written sentence banks; split sentences into 3 train folds + dev.
2. Compose synthetic documents per fold (train) and from dev sentences (dev);
   written to ``data/themes/docs_{train,dev}.jsonl``.
3. Cross-fitting: for fold k, a sentence model trained on the other folds
   scores fold-k documents → out-of-fold document features → combiners
   (``full`` with model, ``lex`` lexicon-only) are fitted on those.
4. Final sentence model on all train sentences.
5. Thresholds per theme calibrated on the synthetic dev documents (kept as a
   fallback calibration when no real labelled pages are given).
6. With real labelled pages (``dev_dir``, the shared dev set): the sentence model is
   retrained on the written sentences plus the pages' real sentences (weakly labelled
   from the page's themes, :mod:`training.themes.real`); a nested 5-fold out-of-fold run
   (sentence model and calibration both fitted without the page) is printed and stored
   in the bundle (``oof``); the document-level calibration
   (:mod:`training.themes.calibrate`) is fitted on cross-fitted analyses of all pages
   plus the synthetic dev documents.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np

from pipeline.paths import repo_path
from pipeline.sections import split_sections
from pipeline.themes.model import (
    FEATURE_SIGN,
    FEATURES,
    BoilerplateModel,
    SentenceModel,
    doc_features,
    lexicon_hits,
    mask_terms,
    programme_area_of,
    score_document,
)
from pipeline.themes.taxonomy import Taxonomy, load_taxonomy
from pipeline.themes.text import Sent, assign_sections, text_units

from .synth import assign_folds, fill, generate, load_banks

FOLDS = ["f0", "f1", "f2"]


def sentence_set(sents, folds, use_folds, classes, seed=0, variants=2):
    rng = random.Random(seed)
    cidx = {c: i for i, c in enumerate(classes)}
    texts, rows = [], []
    for s in sents:
        if folds[s.uid] not in use_folds:
            continue
        y = np.zeros(len(classes), dtype=np.int8)
        if s.kind == "sub":
            for t in s.themes:
                if t in cidx:
                    y[cidx[t]] = 1
        seen = set()
        for _ in range(variants if "{" in s.text else 1):
            t = fill(s.text, rng)
            if t in seen:
                continue
            seen.add(t)
            texts.append(t)
            rows.append(y)
    return texts, np.array(rows)


# Optional augmentation, off by default (doc_matrix(dropout_seed=...)); in our trials it
# lowered precision on the seeds. P(drop) of strong / weak lexicon hits.
LEX_DROPOUT = (0.4, 0.2)


def boilerplate_set(sents, folds, use_folds, taxonomy: Taxonomy, seed=0):
    """Boilerplate (1) vs substantive/neutral (0) sentences, topic words masked. Mentions are left out."""
    rng = random.Random(seed)
    masked, raw, y = [], [], []
    for s in sents:
        if folds[s.uid] not in use_folds or s.kind == "mention":
            continue
        t = fill(s.text, rng)
        st = [Sent(0, len(t), t)]
        spans = lexicon_hits(t, st, taxonomy)[3][0]
        masked.append(mask_terms(t, spans))
        raw.append(t)
        y.append(int(s.kind == "boiler"))
    return masked, raw, np.array(y)


def doc_matrix(
    docs,
    taxonomy: Taxonomy,
    smodel: SentenceModel,
    dropout_seed: int | None = None,
    bmodel: BoilerplateModel | None = None,
):
    """Stack per-(doc, theme) features. Returns X_full, X_lex, y, doc_idx, theme_idx."""
    Xf, Xl, ys, di, ti = [], [], [], [], []
    dropout = None
    if dropout_seed is not None:
        dropout = (random.Random(dropout_seed), *LEX_DROPOUT)
    ids = taxonomy.ids
    for k, d in enumerate(docs):
        sents = text_units(d["text"])
        assign_sections(sents, split_sections(d["text"]))
        content = [s for s in sents if not s.heading]
        sc = score_document(d["text"], content, taxonomy, smodel, dropout, bmodel)
        po = programme_area_of(d["text"])
        nf = len(FEATURES)  # the synthetic-document combiners use the original feature set
        xf = doc_features(sc, taxonomy, sc.known, po)[0][:, :nf]
        xl = doc_features(sc, taxonomy, np.zeros_like(sc.known), po)[0][:, :nf]
        labels = set(d["labels"])
        for j, tid in enumerate(ids):
            Xf.append(xf[j])
            Xl.append(xl[j])
            ys.append(int(tid in labels))
            di.append(k)
            ti.append(j)
    return np.array(Xf), np.array(Xl), np.array(ys), np.array(di), np.array(ti)


def best_threshold(p: np.ndarray, y: np.ndarray, grid=None) -> tuple[float, float]:
    grid = grid if grid is not None else np.round(np.arange(0.15, 0.86, 0.025), 3)
    best = (0.5, -1.0)
    for t in grid:
        pred = p >= t
        tp = int((pred & (y == 1)).sum())
        fp = int((pred & (y == 0)).sum())
        fn = int((~pred & (y == 1)).sum())
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 > best[1] + 1e-9:
            best = (float(t), f1)
    return best


def fit_signed_logreg(X: np.ndarray, y: np.ndarray, signs: np.ndarray, l2: float = 1.0):
    """Logistic regression with sign-constrained weights (L-BFGS-B), on standardised X.

    Returns a sklearn-like pipeline (StandardScaler + LogisticRegression) holding the solution,
    so :func:`linear_params` works on it.
    """
    from scipy.optimize import minimize
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(X)
    scaler.scale_[scaler.scale_ == 0] = 1.0
    Z = scaler.transform(X)
    n, d = Z.shape

    def f(wb):
        w, b = wb[:d], wb[d]
        z = Z @ w + b
        loss = np.sum(np.logaddexp(0, z) - y * z) + 0.5 * l2 * np.dot(w, w)
        pr = 1 / (1 + np.exp(-z))
        g = Z.T @ (pr - y) + l2 * w
        return loss, np.append(g, np.sum(pr - y))

    bounds = [((0, None) if s > 0 else (None, 0) if s < 0 else (None, None)) for s in signs] + [(None, None)]
    res = minimize(f, np.zeros(d + 1), jac=True, method="L-BFGS-B", bounds=bounds)
    lr = LogisticRegression()
    lr.classes_ = np.array([0, 1])
    lr.coef_ = res.x[:d].reshape(1, -1)
    lr.intercept_ = np.array([res.x[d]])
    return make_pipeline(scaler, lr)


def _fit_combiner(X, y, l2: float):
    """Sign-constrained logistic regression. Strong L2: the synthetic documents are nearly
    separable, and a steep combiner would not transfer to real, muddier documents."""
    signs = np.array([FEATURE_SIGN.get(f, 1) for f in FEATURES])
    return fit_signed_logreg(X, y.astype(float), signs, l2=l2)


def train(
    out: str = "models/themes/model.joblib",
    taxonomy_path: str = "configs/themes.yaml",
    n_per_fold: int = 150,
    n_dev: int = 200,
    seed: int = 7,
    write_docs: bool = True,
    log=print,
    l2: float = 200.0,
    dev_dir: str | Path | None = None,
    cal_params: dict | None = None,
) -> dict:
    import joblib

    taxonomy = load_taxonomy(taxonomy_path)
    ids = taxonomy.ids
    sents = load_banks()
    folds = assign_folds(sents, n_folds=len(FOLDS))
    classes = list(ids)
    log(f"sentences: {len(sents)} ({sum(f == 'dev' for f in folds.values())} dev)")

    # --- documents
    def pool(use):
        return [s for s in sents if folds[s.uid] in use]

    train_docs = []
    for k, f in enumerate(FOLDS):
        # neutral/boilerplate filler may come from any train fold; theme sentences only from this fold
        sub = [s for s in pool(FOLDS) if s.kind in ("neutral", "boiler")] + [
            s for s in pool({f}) if s.kind in ("sub", "mention")
        ]
        train_docs += generate(sub, n_per_fold, seed + k, ids, prefix=f"train-{f}")
    dev_docs = generate(pool({"dev"}), n_dev, seed + 100, ids, prefix="dev")
    if write_docs:
        for name, docs in (("docs_train.jsonl", train_docs), ("docs_dev.jsonl", dev_docs)):
            p = repo_path(f"data/themes/{name}")
            with open(p, "w", encoding="utf-8") as fh:
                for d in docs:
                    fh.write(json.dumps(d, ensure_ascii=False) + "\n")
    log(f"documents: {len(train_docs)} train, {len(dev_docs)} dev")

    # --- cross-fitted features for the combiners
    Xf_all, Xl_all, y_all = [], [], []
    for f in FOLDS:
        others = [g for g in FOLDS if g != f]
        texts, Y = sentence_set(sents, folds, set(others), classes, seed=1)
        sm = SentenceModel(classes).fit(texts, Y)
        bm = BoilerplateModel().fit(*boilerplate_set(sents, folds, set(others), taxonomy, seed=1))
        fdocs = [d for d in train_docs if d["id"].startswith(f"train-{f}")]
        Xf, Xl, y, _, _ = doc_matrix(fdocs, taxonomy, sm, bmodel=bm)
        Xf_all.append(Xf)
        Xl_all.append(Xl)
        y_all.append(y)
    Xf, Xl, y = np.vstack(Xf_all), np.vstack(Xl_all), np.concatenate(y_all)
    comb_full = _fit_combiner(Xf, y, l2)
    comb_lex = _fit_combiner(Xl, y, l2)

    # --- final sentence model
    texts, Y = sentence_set(sents, folds, set(FOLDS), classes, seed=1)
    smodel = SentenceModel(classes).fit(texts, Y)
    bmasked, braw, by = boilerplate_set(sents, folds, set(FOLDS), taxonomy, seed=1)
    bmodel = BoilerplateModel().fit(bmasked, braw, by)
    log(
        f"sentence model: {len(texts)} training sentences, {len(classes)} classes; "
        f"boilerplate model: {len(by)} sentences ({int(by.sum())} boilerplate)"
    )

    # --- calibrate on dev
    Xf_d, Xl_d, y_d, di, ti = doc_matrix(dev_docs, taxonomy, smodel, bmodel=bmodel)
    pf = comb_full.predict_proba(Xf_d)[:, 1]
    pl = comb_lex.predict_proba(Xl_d)[:, 1]
    g_thr, g_f1 = best_threshold(pf, y_d)
    l_thr, l_f1 = best_threshold(pl, y_d)
    thresholds = {}
    for j, tid in enumerate(ids):
        m = ti == j
        if y_d[m].sum() >= 3:
            t, _ = best_threshold(pf[m], y_d[m])
            thresholds[tid] = round(0.5 * t + 0.5 * g_thr, 3)
        else:
            thresholds[tid] = g_thr
    log(f"global threshold full={g_thr} (dev F1 {g_f1:.3f}); lexicon-only={l_thr} (dev F1 {l_f1:.3f})")
    bundle = {
        "version": 1,
        "sentence_model": smodel,
        "boilerplate_model": bmodel,
        "combiner_full": comb_full,
        "combiner_lex": comb_lex,
        "features": FEATURES,
        "thresholds": thresholds,
        "threshold_full": g_thr,
        "threshold_lex": l_thr,
        "themes": ids,
        "n_train_docs": len(train_docs),
        "n_dev_docs": len(dev_docs),
        "n_sentences": len(texts),
    }
    if dev_dir is not None:
        smodel, bundle["calibration"], bundle["oof"] = calibrate_on_real(
            bundle, taxonomy, dev_dir, dev_docs, cal_params, log
        )
        bundle["sentence_model"] = smodel
        bundle["n_real_sentences"] = bundle["oof"]["n_real_sentences"]
    p = repo_path(out)
    Path(p).parent.mkdir(parents=True, exist_ok=True)
    smodel._W = None  # recomputed at load time; keeps the file small
    joblib.dump(bundle, p, compress=3)
    w_full = comb_full.steps[-1][1].coef_[0]
    log(
        "synthetic-document combiner (full) weights on standardised features: "
        + ", ".join(f"{n}={w:+.2f}" for n, w in zip(FEATURES, w_full))
    )
    if "calibration" in bundle:
        cal = bundle["calibration"]
        log(
            "real-page calibration weights (raw feature scale): "
            + ", ".join(f"{n}={w:+.2f}" for n, w in zip(cal["features"], cal["full"][0]))
        )
        log("theme biases: " + ", ".join(f"{t}={b:+.2f}" for t, b in cal["theme_bias"].items()))
    log(f"saved {p} ({Path(p).stat().st_size // 1024} KiB)")
    return bundle


def calibrate_on_real(bundle: dict, taxonomy: Taxonomy, dev_dir, synthetic_docs, params=None, log=print):
    """Real labelled pages: the sentence model retrained on written + real sentences, a nested 5-fold
    out-of-fold run (printed, stored in the bundle), then the calibration on cross-fitted analyses of
    all pages (:mod:`training.themes.real`). Returns (sentence model, calibration, out-of-fold figures)."""
    from pipeline.themes import ThemeTagger

    from .calibrate import load_dev, score_decisions
    from .real import Trainer, fit_final, nested_out_of_fold, real_sentence_labels, written_sentences

    tagger = ThemeTagger.from_bundle(bundle, taxonomy)
    ids = taxonomy.ids
    docs = load_dev(dev_dir)
    base = [tagger.analyse(d.text, d.sections, d.programme_area) for d in docs]
    real = [real_sentence_labels(a, d, ids) for a, d in zip(base, docs)]
    wt, wY = written_sentences(ids)
    trainer = Trainer(taxonomy, bundle["boilerplate_model"], wt, wY, docs, real)
    n_real = sum(len(r.texts) for r in real)
    n_pos = int(sum(int((r.Y.sum(axis=1) > 0).sum()) for r in real))
    log(
        f"real pages: {len(docs)}; {n_real} real sentences ({n_pos} positive for some theme) join the "
        f"{len(wt)} written ones"
    )
    decisions, _ = nested_out_of_fold(tagger, trainer, synthetic_docs, params, 5, log)
    oof = {
        "ignore_borderline": score_decisions(decisions, docs, ids, True),
        "borderline_as_fp": score_decisions(decisions, docs, ids, False),
        "n_docs": len(docs),
        "folds": 5,
        "nested": True,
        "n_real_sentences": n_real,
    }
    m, s = oof["ignore_borderline"]["micro"], oof["borderline_as_fp"]["micro"]
    log(
        f"nested out-of-fold micro (shared scorer's definition: borderline predictions are false positives) "
        f"P {s['p']:.3f} R {s['r']:.3f} F1 {s['f1']:.3f}; lenient (borderline ignored) "
        f"P {m['p']:.3f} R {m['r']:.3f} F1 {m['f1']:.3f}"
    )
    smodel, cal, _ = fit_final(trainer, synthetic_docs, params)
    log(
        f"calibration on cross-fitted analyses of all {len(docs)} pages: global threshold {cal['threshold_full']}, "
        f"lexicon-only {cal['threshold_lex']}"
    )
    return smodel, cal, oof
