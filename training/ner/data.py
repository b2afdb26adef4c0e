"""Readers for the NER training corpora and the fixed dev split.

Two corpora live in ``../shared/ner`` (relative to the repo root):

* ``swedish-ner-corpus/train_corpus.txt`` -- one token per line, ``TOKEN<sep>TAG``
  where ``<sep>`` is a tab (most lines) or a run of spaces (some lines), blank line
  between sentences. Tags are *type-only IO*: ``0`` (digit zero) is outside,
  otherwise ``PER``/``ORG``/``LOC``/``MISC`` on every token of the entity. A run of
  consecutive tokens with the same type is one entity (IO cannot separate two
  adjacent entities of the same type; this is a property of the corpus).
* ``uner-swedish-talbanken/sv_talbanken-ud-{train,dev}.iob2`` -- CoNLL-U-like
  columns ``ID TOKEN TAG - -`` with IOB2 tags (``B-PER``, ``I-PER`` ...), ``#``
  comment lines, blank line between sentences.

MISC (and any label outside ORG/PER/LOC) is mapped to O. Sentences are returned as
``(words, spans)`` with ``spans = [(start_token, end_token_exclusive, label)]``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from pathlib import Path

LABELS = ("ORG", "PER", "LOC")
DEFAULT_DATA_DIR = "../shared/ner"
NEWS_TRAIN = "swedish-ner-corpus/train_corpus.txt"
UNER_TRAIN = "uner-swedish-talbanken/sv_talbanken-ud-train.iob2"
UNER_DEV = "uner-swedish-talbanken/sv_talbanken-ud-dev.iob2"
DEV_SEED = 13
DEV_FRACTION = 0.1

Sentence = tuple[list[str], list[tuple[int, int, str]]]


def io_to_spans(tags: list[str]) -> list[tuple[int, int, str]]:
    """Type-only IO tags (``0``/``O`` = outside) -> token spans; MISC dropped."""
    spans, start, cur = [], None, None
    for i, tag in enumerate(tags + ["0"]):
        t = tag if tag in LABELS else None
        if t != cur:
            if cur is not None:
                spans.append((start, i, cur))
            start, cur = (i, t) if t is not None else (None, None)
    return spans


def iob2_to_spans(tags: list[str]) -> list[tuple[int, int, str]]:
    """IOB2 tags -> token spans (a stray ``I-`` starts an entity); non-LABELS dropped."""
    spans, start, cur = [], None, None
    for i, tag in enumerate(tags + ["O"]):
        prefix, _, typ = tag.partition("-")
        if prefix == "I" and cur == typ:
            continue
        if cur is not None:
            spans.append((start, i, cur))
            start, cur = None, None
        if prefix in ("B", "I") and typ in LABELS:
            start, cur = i, typ
    return spans


def _clean_token(tok: str) -> str:
    # the news corpus contains soft hyphens (U+00AD) glued to some tokens
    return tok.replace("\u00ad", "") or tok


def read_io(path: str | Path) -> list[Sentence]:
    """Read the swedish-ner-corpus format (also any ``TOKEN TAG`` 2-column file)."""
    sents: list[Sentence] = []
    words: list[str] = []
    tags: list[str] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if words:
                sents.append((words, io_to_spans(tags)))
            words, tags = [], []
            continue
        parts = line.split("\t") if "\t" in line else line.split()
        if len(parts) < 2:  # one malformed line without a tag: keep the token, outside
            parts = [parts[0], "0"]
        words.append(_clean_token(parts[0].strip()))
        tags.append(parts[-1].strip())
    if words:
        sents.append((words, io_to_spans(tags)))
    return sents


def read_conll(path: str | Path, token_col: int | None = None, tag_col: int | None = None) -> list[Sentence]:
    """Read IOB2 in CoNLL(-U)-like columns.

    Columns are guessed when not given: a line ``ID TOKEN TAG ...`` (UNER) uses
    token column 1 and tag column 2; a 2-column ``TOKEN TAG`` file uses 0 and 1;
    otherwise token 0 and the last column. Tags without a ``B-``/``I-`` prefix
    (type-only IO) are also accepted.
    """
    sents: list[Sentence] = []
    words: list[str] = []
    tags: list[str] = []

    def flush():
        if words:
            if any(t[:2] in ("B-", "I-") for t in tags):
                sents.append((list(words), iob2_to_spans(list(tags))))
            else:
                sents.append((list(words), io_to_spans(list(tags))))
        words.clear()
        tags.clear()

    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            flush()
            continue
        if line.startswith("#") and ("=" in line or line.startswith("# ")):
            continue
        parts = line.split("\t") if "\t" in line else line.split()
        if token_col is not None and tag_col is not None:
            tc, gc = token_col, tag_col
        elif len(parts) >= 3 and re.fullmatch(r"\d+([.-]\d+)?", parts[0]):
            if not re.fullmatch(r"\d+", parts[0]):  # multiword-token / empty-node lines
                continue
            tc, gc = 1, 2
        elif len(parts) == 2:
            tc, gc = 0, 1
        else:
            tc, gc = 0, len(parts) - 1
        words.append(_clean_token(parts[tc]))
        tags.append(parts[gc] if len(parts) > gc else "O")
    flush()
    return sents


_MARKUP = re.compile(r"\[(PER|ORG|LOC|MISC) ([^\[\]]+?)\]")


def read_markup(path: str | Path, nlp=None) -> list[Sentence]:
    """Read one-sentence-per-line text with inline entities: ``[ORG Röda korset] hjälper ...``.

    Used for the written training sentences in ``data/ner/synthetic``. Text between and inside
    the brackets is tokenized with spaCy's Swedish tokenizer (punctuation split
    off, as in the news corpus); MISC is kept in the text and mapped to O. Lines
    that are blank or start with ``#`` are skipped. A stray ``[`` or ``]`` left
    after the markup is removed is an error (with the line number).
    """
    if nlp is None:
        import spacy

        nlp = spacy.blank("sv")
    sents: list[Sentence] = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        words: list[str] = []
        spans: list[tuple[int, int, str]] = []
        pos = 0
        for m in list(_MARKUP.finditer(line)) + [None]:
            chunk = line[pos : m.start()] if m else line[pos:]
            if "[" in chunk or "]" in chunk:
                raise ValueError(f"{path}:{lineno}: unbalanced or malformed entity markup: {chunk.strip()!r}")
            words.extend(t.text for t in nlp.make_doc(chunk) if not t.is_space)
            if m is None:
                break
            ent = [t.text for t in nlp.make_doc(m.group(2)) if not t.is_space]
            if m.group(1) in LABELS:
                spans.append((len(words), len(words) + len(ent), m.group(1)))
            words.extend(ent)
            pos = m.end()
        if words:
            sents.append((words, spans))
    return sents


def read_any(path: str | Path) -> list[Sentence]:
    """Pick the reader from the content: IOB2 prefixes -> read_conll, else read_io."""
    text = Path(path).read_text(encoding="utf-8")
    if re.search(r"(^|\s)[BI]-(PER|ORG|LOC|MISC|OTH)\b", text, re.M):
        return read_conll(path)
    return read_io(path)


def news_split(
    data_dir: str | Path, seed: int = DEV_SEED, fraction: float = DEV_FRACTION
) -> tuple[list[Sentence], list[Sentence]]:
    """The news training file split into (train, dev) with a fixed seed."""
    sents = read_io(Path(data_dir) / NEWS_TRAIN)
    idx = list(range(len(sents)))
    random.Random(seed).shuffle(idx)
    n_dev = int(round(len(sents) * fraction))
    dev_idx = set(idx[:n_dev])
    train = [s for i, s in enumerate(sents) if i not in dev_idx]
    dev = [s for i, s in enumerate(sents) if i in dev_idx]
    return train, dev


def uner(data_dir: str | Path) -> tuple[list[Sentence], list[Sentence]]:
    d = Path(data_dir)
    return read_conll(d / UNER_TRAIN), read_conll(d / UNER_DEV)


# Name-list features -------------------------------------------------------------
# Each list file is read as one name per line; the letter is the feature class its
# tokens get. The classes reach the model through spaCy's ``lexeme_norm`` lookups
# table (saved in the model's vocab, so ``spacy.load`` needs no custom code): a
# listed word's NORM becomes e.g. ``§FS`` (first name and surname), and the model
# sees the word itself through LOWER.
NAME_LIST_CLASSES = {
    "data/ner/gazetteers/per_first.txt": "F",
    "data/ner/gazetteers/per_last.txt": "S",
    "data/ner/gazetteers/org_sv.txt": "O",
    "data/ner/gazetteers/org_int.txt": "O",
    "data/ner/gazetteers/loc.txt": "L",
    "configs/gazetteers/organisations.txt": "O",
    "configs/gazetteers/municipalities.txt": "L",
    "configs/gazetteers/counties.txt": "L",
    "configs/gazetteers/county_names.txt": "L",
    "configs/gazetteers/esf_regions.txt": "L",
    "configs/gazetteers/places.txt": "L",
}
NAME_FEATURE_PREFIX = "§"


def name_feature_norms(lists: dict[Path, str], nlp=None, skip: Iterable[str] = ()) -> dict[str, str]:
    """Word form -> feature NORM (``§`` + sorted class letters) from name lists.

    Every capitalised token of a listed name gets its list's class, and so does its
    genitive (``Volvo`` -> ``Volvos``). Tokens whose lower-case form is in ``skip``
    (the most frequent ordinary words, e.g. ``Det``, ``Svenska``) are left out: a
    capitalised function word is a sentence start far more often than a name.
    """
    if nlp is None:
        import spacy

        nlp = spacy.blank("sv")
    skip = {w.lower() for w in skip}
    classes: dict[str, set[str]] = {}
    for path, cls in lists.items():
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            name = line.split("\t")[0].strip()
            if not name or name.startswith("#"):
                continue
            for tok in nlp.make_doc(name):
                t = tok.text
                if not t[:1].isupper() or t.lower() in skip:
                    continue
                forms = [t] if t[-1:].lower() in ("s", "x", "z") else [t, t + "s"]
                for f in forms:
                    classes.setdefault(f, set()).add(cls)
    return {w: NAME_FEATURE_PREFIX + "".join(sorted(c)) for w, c in classes.items()}


def frequent_words(sents: Iterable[Sentence], n: int = 300) -> list[str]:
    """The ``n`` most frequent lower-case alphabetic words outside entities."""
    from collections import Counter

    c: Counter[str] = Counter()
    for ws, spans in sents:
        inside = {i for s, e, _ in spans for i in range(s, e)}
        c.update(w for i, w in enumerate(ws) if i not in inside and w.islower() and w.isalpha())
    return [w for w, _ in c.most_common(n)]
