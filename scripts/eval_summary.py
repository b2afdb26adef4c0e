"""ROUGE-1 F of the summariser and of a lead-3 baseline against each document's own
"Sammanfattning", with that section (heading and text) removed from the input.

Documents: the seeds in ../shared/seeds that have a Sammanfattning (000, 001)
and the samples in data/similarity/ that have one. ROUGE-1 here: unigram
overlap of lower-cased word tokens, no stemming, no stop-word removal.
Lead-3: the first three prose sentences of the input (heading/label lines,
which have no sentence punctuation, are skipped, so the baseline is not
penalised for page furniture).

    python scripts/eval_summary.py [-v]
"""
from __future__ import annotations

import argparse
import hashlib
import itertools
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.record import Record  # noqa: E402
from pipeline.similarity.samples import load_samples, load_seed_texts  # noqa: E402
from pipeline.summary import SummaryStage  # noqa: E402
from pipeline.sections import split_sections
from pipeline.summary.sentences import is_good_sentence, split_sentences  # noqa: E402

_TOK = re.compile(r"\w+", re.U)


def rouge1_f(candidate: str, reference: str) -> float:
    c = Counter(_TOK.findall(candidate.lower()))
    r = Counter(_TOK.findall(reference.lower()))
    overlap = sum((c & r).values())
    if not overlap:
        return 0.0
    p = overlap / sum(c.values())
    rec = overlap / sum(r.values())
    return 2 * p * rec / (p + rec)


def lead3(text: str) -> str:
    out = []
    for s in split_sentences(text):
        if len(s.text.split()) >= 4 and re.search(r"[.!?]$", s.text) and not s.text.startswith("\u2022"):
            out.append(s.text)
        if len(out) == 3:
            break
    return " ".join(out)


def strip_summary(text: str) -> tuple[str, str] | None:
    """(text without the Sammanfattning section and its heading, the Sammanfattning text)."""
    secs = split_sections(text)
    summ = [s for s in secs if s.key == "summary"]
    if not summ:
        return None
    s = summ[0]
    heading_start = text.rfind("\n", 0, max(0, s.start - 1)) + 1
    ref = text[s.start : s.end].strip()
    return text[:heading_start] + text[s.end :], ref


def documents() -> list[tuple[str, str | None, str]]:
    docs = []
    for k, t in load_seed_texts().items():
        docs.append((k, None, t))
    for s in load_samples():
        docs.append((s.id, s.title, s.text))
    return docs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    stage = SummaryStage({})
    rows = []
    recs = []
    for doc_id, title, text in documents():
        cut = strip_summary(text)
        if cut is None:
            continue
        body, ref = cut
        rec = Record(id=doc_id, source=doc_id, sha256=hashlib.sha256(body.encode()).hexdigest(), format="txt",
                     title=title, text=body, sections=split_sections(body))
        recs.append(rec)
        ours = stage(rec).summary or ""
        base = lead3(body)
        rows.append((doc_id, rouge1_f(ours, ref), rouge1_f(base, ref), ours, base, ref))
    if args.verbose:
        for doc_id, f_ours, f_base, ours, base, ref in rows:
            print(f"--- {doc_id}  ours {f_ours:.3f}  lead-3 {f_base:.3f}\n  REF:  {ref}\n  OURS: {ours}\n  LEAD: {base}\n")
    n = len(rows)
    seeds = [r for r in rows if r[0][:3].isdigit()]
    own = [r for r in rows if not r[0][:3].isdigit()]

    def mean(rs, i):
        return sum(r[i] for r in rs) / len(rs) if rs else float("nan")

    # ceiling for any extractive method: the best pair of readable sentences, chosen knowing the reference
    oracle = []
    for rec, (_, _, _, _, _, ref) in zip(recs, rows):
        ss = [x.text for x in split_sentences(rec.text) if is_good_sentence(x.text)][:40]
        oracle.append(max((rouge1_f(a + " " + b, ref) for a, b in itertools.combinations(ss, 2)), default=0.0))
    print(f"{n} documents with a Sammanfattning ({len(seeds)} real seeds, {len(own)} samples)")
    print("| summariser | mean ROUGE-1 F (all) | real seeds | samples |")
    print("|---|---|---|---|")
    print(f"| extractive (pipeline.summary) | {mean(rows, 1):.3f} | {mean(seeds, 1):.3f} | {mean(own, 1):.3f} |")
    print(f"| lead-3 baseline | {mean(rows, 2):.3f} | {mean(seeds, 2):.3f} | {mean(own, 2):.3f} |")
    print(f"| oracle: best 2 readable sentences | {sum(oracle) / n:.3f} | | |")
    # speed on all documents, with their summaries left in (the normal case)
    full = [Record(id=k, source=k, sha256="-", format="txt", title=t, text=x, sections=split_sections(x))
            for k, t, x in documents()] * 20
    t0 = time.perf_counter()
    for r in full:
        stage(r)
    dps = len(full) / (time.perf_counter() - t0)
    print(f"speed: {dps:,.0f} docs/s on one core ({len(full)} documents)")


if __name__ == "__main__":
    main()
