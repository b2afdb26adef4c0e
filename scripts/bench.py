#!/usr/bin/env python
"""Throughput of the pipeline on a replicated sample corpus.

Prints documents/second for
  1. the spine (ingest + clean + metadata + sections), one process;
  2. the whole pipeline as `process --jobs N` runs it (all stages, store, index);
  3. the bare NER model alone (spaCy nlp.pipe) on the same cleaned texts,
     one process and N processes;
and the ratio of (2) to the bare NER model with N processes (target >= 0.5).

    python scripts/bench.py                 # 2000 documents, --jobs 2
    python scripts/bench.py --docs 500 --jobs 2
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from pipeline.config import load_config  # noqa: E402
from pipeline.pipeline import Pipeline  # noqa: E402
from pipeline.runner import run  # noqa: E402

PAGE_STYLES = ("old_projektbank", "new_projektbank", "projekt_")  # project pages, ~350-600 words


def make_corpus(dest: Path, n: int, pages_only: bool) -> list[Path]:
    sources = sorted(p for p in (ROOT / "corpus").iterdir() if p.suffix in (".txt", ".html", ".pdf"))
    if pages_only:
        sources = [p for p in sources if p.name.startswith(PAGE_STYLES)]
    files = []
    for i in range(n):
        src = sources[i % len(sources)]
        # Vary the bytes so every copy is a distinct document (distinct sha256 and id).
        dst = dest / f"{i:05d}_{src.name}"
        if src.suffix == ".txt":
            dst.write_text(src.read_text(encoding="utf-8") + f"\n\nKopia {i}.\n", encoding="utf-8")
        else:
            shutil.copy(src, dst)
        files.append(dst)
    return files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=2000, help="number of documents (default 2000)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes for the full pipeline (default 2)")
    ap.add_argument("--all-styles", action="store_true", help="include reports, news and PDFs, not only project pages")
    args = ap.parse_args()

    cfg = load_config()
    tmp = Path(tempfile.mkdtemp(prefix="esf-bench-"))
    try:
        (tmp / "in").mkdir()
        files = make_corpus(tmp / "in", args.docs, not args.all_styles)
        spine_cfg = load_config()
        spine_cfg["pipeline"]["stages"] = ["clean", "metadata", "sections"]
        spine = Pipeline(spine_cfg)
        t0 = time.perf_counter()
        texts = [spine.process_file(f).text for f in files]
        t_spine = time.perf_counter() - t0
        words = sum(len(t.split()) for t in texts) / len(texts)
        print(f"documents: {len(files)} (mean {words:.0f} words after cleaning)")
        print(f"spine (ingest+clean+metadata+sections), 1 process: {len(files) / t_spine:8.1f} docs/s")

        from pipeline.batch import store_and_index

        out = tmp / "out"
        t0 = time.perf_counter()
        summary = run(
            [tmp / "in"],
            out,
            cfg,
            jobs=args.jobs,
            quiet=True,
            after_batch=store_and_index(cfg, str(out / "store.sqlite"), True),
        )
        t_full = time.perf_counter() - t0
        assert summary.failed == 0, (out / "errors.jsonl").read_text()[:2000]
        full_rate = summary.processed / t_full
        print(f"full pipeline (all stages, store, index), --jobs {args.jobs}: {full_rate:8.1f} docs/s")

        import spacy

        from pipeline.paths import repo_path

        nlp = spacy.load(repo_path(cfg["ner"]["model"]))
        t0 = time.perf_counter()
        for _ in nlp.pipe(texts, batch_size=64):
            pass
        ner1 = len(texts) / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        for _ in nlp.pipe(texts, batch_size=64, n_process=args.jobs):
            pass
        nern = len(texts) / (time.perf_counter() - t0)
        print(f"bare NER model, 1 process: {ner1:8.1f} docs/s ({ner1 * words:,.0f} words/s)")
        print(f"bare NER model, {args.jobs} processes: {nern:8.1f} docs/s")
        print(f"full pipeline / bare NER ({args.jobs} processes): {full_rate / nern:.2f} (target >= 0.50)")
        print(f"full pipeline target >= 10 docs/s: {'met' if full_rate >= 10 else 'NOT met'}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
