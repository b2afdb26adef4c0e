"""Similar-project index, encoders and the `similar` command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from pipeline.cli.similar import similar
from pipeline.record import Record, Theme
from pipeline.sections import split_sections
from pipeline.similarity.encoders import (
    StaticStudentEncoder,
    build_encoder,
    read_safetensors,
    write_safetensors,
)
from pipeline.similarity.index import (
    SimilarIndex,
    content_text,
    load_config,
    update_index,
)
from training.similarity.samples import SEEDS_DIR, load_samples

GROUPS = ("unga_uvas", "nyanlanda_kvinnor", "vard_kompetens", "varsel_fordon", "landsbygd")


def _records(groups=GROUPS) -> list[Record]:
    recs = []
    for s in load_samples():
        if s.group in groups:
            r = s.to_record()
            recs.append(r.model_copy(update={"sections": split_sections(r.text)}))
    return recs


class CountingEncoder:
    """Wraps an encoder and counts the texts it embeds."""

    def __init__(self, inner):
        self.inner, self.name, self.dim, self.signature = inner, inner.name, inner.dim, inner.signature
        self.calls = 0

    def encode(self, texts, kind="passage"):
        self.calls += len(texts)
        return self.inner.encode(texts, kind)


STATIC = {
    "encoder": {"type": "static", "path": "models/embeddings/sv-e5-static"},
    "hybrid": {"weights": {"chars": 1.0, "themes": 0.25, "dense": 0.5}},
}


@pytest.fixture(scope="module")
def static_encoder():
    return build_encoder(STATIC["encoder"])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """An index with the shipped configuration."""
    d = tmp_path_factory.mktemp("index")
    recs = _records()
    update_index(d, recs, load_config())
    return d, recs


def test_static_student_is_fast(static_encoder):
    assert isinstance(static_encoder, StaticStudentEncoder)
    texts = [" ".join(s.text.split()[:350]) for s in load_samples()[:20]]
    m = static_encoder.encode(texts)
    assert m.shape == (len(texts), static_encoder.dim)
    assert np.allclose(np.linalg.norm(m, axis=1), 1.0, atol=1e-4)


def test_shipped_config_is_content_lexical_and_themes(built):
    cfg = load_config()
    assert cfg["encoder"]["type"] == "none"
    w = cfg["hybrid"]["weights"]
    assert w["chars"] > 0 and w["themes"] > 0
    d, _ = built
    assert (d / "chars.npz").exists() and (d / "themes.npy").exists() and not (d / "dense.npy").exists()


def test_query_ids_excludes_self_and_finds_same_focus(built):
    d, recs = built
    idx = SimilarIndex.load(d)
    assert len(idx) == len(recs)
    group = {s.id: s.group for s in load_samples()}
    ids = [r.id for r in recs]
    results = idx.query_ids(ids, k=5)
    assert len(results) == len(ids)
    precisions = []
    for q, res in zip(ids, results):
        assert len(res) == 5
        assert q not in [x["id"] for x in res]
        scores = [x["score"] for x in res]
        assert scores == sorted(scores, reverse=True)
        assert all(0.0 <= x <= 1.0 for x in scores)  # scores read as 0-1, higher is more similar
        assert set(res[0]) == {"id", "title", "project_name", "score"}
        precisions.append(sum(group[x["id"]] == group[q] for x in res) / 5)
    assert np.mean(precisions) >= 0.6
    with pytest.raises(KeyError):
        idx.query_ids(["no-such-id"])


def test_query_text(built):
    d, _ = built
    idx = SimilarIndex.load(d)
    res = idx.query_text("omställning för varslade bilarbetare hos underleverantörer till fordonsindustrin", k=3)
    assert [r["id"].split("-")[0] for r in res].count("fordon") >= 2
    res = idx.query_text("unga nyanlända kvinnor i glesbygd, praktik i vården", k=5)
    assert len(res) == 5 and all(r["title"] for r in res)


def test_filters(built):
    d, recs = built
    idx = SimilarIndex.load(d)
    res = idx.query_ids(["uvas-1"], k=10, filters={"region": "Västsverige"})[0]
    by_id = {r.id: r for r in recs}
    assert res and all(by_id[x["id"]].metadata.region == "Västsverige" for x in res)
    res = idx.query_ids(["uvas-1"], k=30, filters={"period": "2009-2011"})[0]
    assert res
    for x in res:
        md = by_id[x["id"]].metadata
        assert md.period_start.year <= 2011 and md.period_end.year >= 2009
    assert idx.query_text("unga", k=5, filters={"theme": "no-such-theme"}) == []


def test_incremental_update_embeds_only_new_or_changed(tmp_path, static_encoder):
    enc = CountingEncoder(static_encoder)
    recs = _records(("unga_uvas", "landsbygd"))
    update_index(tmp_path, recs, load_config(overrides=STATIC), encoder=enc)
    assert enc.calls == len(recs)
    before = np.load(tmp_path / "dense.npy")

    enc.calls = 0
    update_index(tmp_path, recs, load_config(overrides=STATIC), encoder=enc)  # unchanged: nothing embedded
    assert enc.calls == 0
    assert np.array_equal(before, np.load(tmp_path / "dense.npy"))

    changed = recs[0].model_copy(
        update={"text": "Projektet ger varslade inom fordonsindustrin utbildning i svets och CNC.", "sha256": "changed"}
    )
    added = _records(("varsel_fordon",))[0]
    themed = recs[1].model_copy(update={"themes": [Theme(id="unga", label="Unga", score=0.9)]})
    enc.calls = 0
    update_index(tmp_path, [changed, added, themed], load_config(overrides=STATIC), encoder=enc)
    assert enc.calls == 2  # the changed and the new one; the re-themed one only updates metadata
    meta = json.loads((tmp_path / "meta.json").read_text(encoding="utf-8"))
    assert len(meta["docs"]) == len(recs) + 1
    assert meta["docs"][0]["sha256"] == "changed"
    idx = SimilarIndex.load(tmp_path, encoder=static_encoder)
    after = np.load(tmp_path / "dense.npy")
    assert not np.allclose(before[0], after[0]) and np.array_equal(before[2:], after[2 : len(recs)])
    assert changed.id in [x["id"] for x in idx.query_text("svets och CNC för varslade", k=3)]  # new text is searched
    assert idx.query_text("unga", k=3, filters={"theme": "unga"})[0]["id"] == themed.id

    # prune: the given records are the whole corpus now
    enc.calls = 0
    update_index(tmp_path, [changed, added], STATIC, encoder=enc, prune=True)
    assert enc.calls == 0
    idx = SimilarIndex.load(tmp_path, encoder=static_encoder)
    assert sorted(idx.ids) == sorted([changed.id, added.id])
    assert idx.query_id(added.id, k=5) == [
        {
            "id": changed.id,
            "title": changed.title,
            "project_name": changed.metadata.project_name,
            "score": idx.query_id(added.id)[0]["score"],
        }
    ]


def test_hnsw_above_threshold_matches_exact(tmp_path, static_encoder):
    recs = _records(("unga_uvas", "landsbygd", "varsel_fordon", "vard_kompetens"))
    cfg = load_config(overrides={**STATIC, "index": {"exact_max": 10}})
    update_index(tmp_path / "ann", recs, cfg, encoder=static_encoder)
    assert (tmp_path / "ann" / "hnsw.bin").exists()
    update_index(tmp_path / "exact", recs, load_config(overrides=STATIC), encoder=static_encoder)
    assert not (tmp_path / "exact" / "hnsw.bin").exists()
    ann = SimilarIndex.load(tmp_path / "ann", encoder=static_encoder)
    exact = SimilarIndex.load(tmp_path / "exact", encoder=static_encoder)
    assert ann._hnsw is not None and exact._hnsw is None
    for q in ("uvas-2", "lands-3", "fordon-1"):
        a, e = ann.query_id(q, k=5), exact.query_id(q, k=5)
        # the hubness term is estimated from hnswlib's neighbours on this path: near-identical results
        assert [x["id"] for x in a][:3] == [x["id"] for x in e][:3]
        assert len({x["id"] for x in a} & {x["id"] for x in e}) >= 4
        assert np.allclose([x["score"] for x in a][:3], [x["score"] for x in e][:3], atol=0.02)
    # incremental add into an existing hnsw graph
    extra = _records(("entreprenorskap",))
    update_index(tmp_path / "ann", extra, cfg, encoder=static_encoder)
    ann = SimilarIndex.load(tmp_path / "ann", encoder=static_encoder)
    assert ann.query_id("entr-1", k=3)[0]["id"].startswith("entr-")


def _tiny_sentence_transformers_folder(root: Path, dim: int = 16) -> Path:
    """A sentence-transformers StaticEmbedding model folder made locally (random weights, no download)."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    words = sorted({w for s in load_samples() for w in s.text.lower().split()})[:3000]
    vocab = {"[UNK]": 0, **{w: i + 1 for i, w in enumerate(words)}}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    sub = root / "0_StaticEmbedding"
    sub.mkdir(parents=True)
    tok.save(str(sub / "tokenizer.json"))
    rng = np.random.default_rng(0)
    write_safetensors(
        sub / "model.safetensors", {"embedding.weight": rng.normal(size=(len(vocab), dim)).astype(np.float32)}
    )
    (root / "modules.json").write_text(
        json.dumps(
            [
                {
                    "idx": 0,
                    "name": "0",
                    "path": "0_StaticEmbedding",
                    "type": "sentence_transformers.models.StaticEmbedding",
                },
                {"idx": 1, "name": "1", "path": "1_Normalize", "type": "sentence_transformers.models.Normalize"},
            ]
        )
    )
    (root / "1_Normalize").mkdir()
    (root / "config_sentence_transformers.json").write_text(json.dumps({"similarity_fn_name": "cosine"}))
    return root


def test_sentence_transformers_folder_is_pluggable(tmp_path):
    folder = _tiny_sentence_transformers_folder(tmp_path / "tiny-st")
    w = read_safetensors(folder / "0_StaticEmbedding" / "model.safetensors")["embedding.weight"]
    assert w.shape[1] == 16
    cfg = load_config(overrides={"encoder": {"type": "sentence-transformers", "path": str(folder)}})
    enc = build_encoder(cfg["encoder"])
    m = enc.encode(["unga som varken arbetar eller studerar", "okänt"])
    assert m.shape == (2, 16)
    recs = _records(("unga_uvas", "landsbygd"))
    update_index(tmp_path / "idx", recs, cfg)  # encoder built from the config alone
    meta = json.loads((tmp_path / "idx" / "meta.json").read_text(encoding="utf-8"))
    assert meta["encoder"].startswith("st:tiny-st") and meta["dim"] == 16
    idx = SimilarIndex.load(tmp_path / "idx")
    res = idx.query_text("unga utanför arbete och studier", k=3)
    assert len(res) == 3
    # switching the encoder in the config rebuilds the index with the new vectors
    update_index(tmp_path / "idx", recs, load_config(overrides=STATIC))
    meta = json.loads((tmp_path / "idx" / "meta.json").read_text(encoding="utf-8"))
    assert meta["encoder"].startswith("static:") and len(meta["docs"]) == len(recs)
    with pytest.raises(FileNotFoundError):
        build_encoder({"type": "sentence-transformers", "path": str(tmp_path / "missing")})


def test_lexical_only_index(tmp_path):
    cfg = load_config(overrides={"encoder": {"type": "none"}})
    update_index(tmp_path, _records(("unga_uvas", "varsel_fordon")), cfg)
    assert not (tmp_path / "dense.npy").exists()
    idx = SimilarIndex.load(tmp_path)
    assert idx.query_text("varslade inom fordonsindustrin", k=1)[0]["id"].startswith("fordon")


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("similar")(similar)

    @app.command("noop")
    def noop() -> None:  # a second command so that "similar" stays a sub-command
        pass

    return app


def test_cli_json_and_text(built):
    d, recs = built
    runner = CliRunner()
    app = _app()
    r = runner.invoke(app, ["similar", "--index", str(d), "--id", "uvas-1", "--id", "fordon-2", "-k", "3", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert [x["query"] for x in data] == ["uvas-1", "fordon-2"]
    for item in data:
        assert len(item["results"]) == 3
        assert item["query"] not in [x["id"] for x in item["results"]]
        assert set(item["results"][0]) == {"id", "title", "project_name", "score"}
    r = runner.invoke(
        app,
        [
            "similar",
            "--index",
            str(d),
            "--text",
            "unga nyanlända kvinnor i glesbygd, praktik i vården",
            "--json",
            "--period",
            "2014-2020",
            "--region",
            "Stockholm",
        ],
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data[0]["query"].startswith("unga nyanlända") and data[0]["results"]
    r = runner.invoke(app, ["similar", "--index", str(d), "--id", "vard-1"])
    assert r.exit_code == 0 and "vard-" in r.stdout and "1." in r.stdout
    assert all(0.0 <= x["score"] <= 1.0 for item in data for x in item["results"])
    help_text = runner.invoke(app, ["similar", "--help"]).stdout
    assert "between 0 and 1" in help_text and "higher is more similar" in help_text
    assert runner.invoke(app, ["similar", "--index", str(d)]).exit_code != 0
    r = runner.invoke(app, ["similar", "--index", str(d), "--text", "  "])
    assert r.exit_code == 2 and "--text is empty" in r.output, r.output
    assert runner.invoke(app, ["similar", "--index", str(d), "--id", "nope"]).exit_code == 2
    # an id that is not there names the one meant: a near id, or the project whose name was typed
    r = runner.invoke(app, ["similar", "--index", str(d), "--id", "uvas_1"])
    assert r.exit_code == 2 and "not in the index: 'uvas_1' (did you mean 'uvas-1'?)" in r.stderr, r.output
    uvas = next(x for x in recs if x.id == "uvas-1")
    r = runner.invoke(app, ["similar", "--index", str(d), "--id", uvas.title.upper()])
    assert r.exit_code == 2 and f"did you mean 'uvas-1', {uvas.title!r}?" in r.stderr, r.output
    assert runner.invoke(app, ["similar", "--index", str(d), "--text", "x", "--period", "soon"]).exit_code != 0
    r = runner.invoke(app, ["similar", "--index", str(d), "--text", "vården", "--theme", "halssa"])
    assert r.exit_code == 2 and "did you mean 'halsa'?" in " ".join(r.output.replace("│", " ").split()), r.output
    r = runner.invoke(app, ["similar", "--index", str(d), "--text", "vården", "--theme", "Hälsa", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)[0]["query"] == "vården", r.output  # part of a label
    r = runner.invoke(app, ["similar", "--index", str(d), "--text", "vården", "--region", "Skåne"])
    assert r.exit_code == 0 and "(no matching projects)" in r.stdout, r.output
    assert "no project has the region 'Skåne' (stored: " in r.stderr and "Stockholm" in r.stderr


def test_results_carry_the_projects_name_beside_a_headline(tmp_path):
    recs = _records(("unga_uvas",))[:3]
    news = recs[0].model_copy(
        update={
            "title": "Kommunen får fem miljoner för unga",
            "metadata": recs[0].metadata.model_copy(update={"project_name": "Nya Steg"}),
        }
    )
    update_index(tmp_path, [news, *recs[1:]], load_config())
    hits = SimilarIndex.load(tmp_path).query_ids([recs[1].id], k=5)[0]
    hit = next(h for h in hits if h["id"] == news.id)
    assert hit["project_name"] == "Nya Steg" and hit["title"] == "Kommunen får fem miljoner för unga"
    r = CliRunner().invoke(_app(), ["similar", "--index", str(tmp_path), "--id", recs[1].id])
    assert r.exit_code == 0, r.output
    assert "Kommunen får fem miljoner för unga [Nya Steg]" in r.stdout
    # a title that holds the name is not followed by it again
    named = [h for h in hits if h["id"] != news.id]
    assert all("[" not in line for line in r.stdout.splitlines() if any(h["id"] in line for h in named))


@pytest.mark.shared
def test_real_seed_documents_index(tmp_path):
    assert SEEDS_DIR.is_dir(), "the seed documents are expected in ../shared/seeds"
    from pipeline import Pipeline

    nlp = Pipeline.from_config()
    recs = [nlp.process_file(p) for p in sorted(SEEDS_DIR.glob("*.txt"))]  # real records, furniture cleaned
    update_index(tmp_path, recs + _records(("varsel_fordon", "nyanlanda_kvinnor")), load_config())
    idx = SimilarIndex.load(tmp_path)
    # the VästKraft news item (varsel in the vehicle industry) finds the varsel projects
    vk = next(r.id for r in recs if r.source.endswith("004_ddce377725351c1f.txt"))
    top = idx.query_id(vk, k=5)
    # the best hit is a varsel project; the other real pages (long reports) share much vocabulary with it
    assert top[0]["id"].startswith("fordon-") and sum(x["id"].startswith("fordon-") for x in top) >= 2


def test_hubness_cache_is_reused_for_unchanged_documents(tmp_path):
    recs = _records(("unga_uvas", "landsbygd"))
    cfg = load_config(overrides={"hybrid": {"hubness": 0.5, "hubness_k": 10}})
    update_index(tmp_path, recs, cfg)
    before = np.load(tmp_path / "hub.npz")["hub"]
    changed = recs[0].model_copy(
        update={
            "text": recs[0].text + "\nProjektet erbjuder också körkortsteori och yrkessvenska för deltagarna.",
            "sha256": "changed",
        }
    )
    update_index(tmp_path, [changed] + recs[1:], cfg)  # 1 of 12 changed: only that one is recomputed
    after = np.load(tmp_path / "hub.npz")["hub"]
    assert np.array_equal(before[1:], after[1:]) and before[0] != after[0]
    (tmp_path / "hub.npz").unlink()
    fresh, _ = SimilarIndex.load(tmp_path)._load_or_compute_hub(10)
    assert np.isclose(fresh[0], after[0]) and not np.allclose(fresh[1:], after[1:])  # a full recompute moves the others


def test_reciprocal_reranking_mixes_in_neighbourhood_overlap(tmp_path):
    recs = _records(("unga_uvas", "landsbygd", "varsel_fordon"))
    lam = 0.5
    update_index(
        tmp_path, recs, load_config(overrides={"hybrid": {"reciprocal": lam, "hubness": 0.0, "diffusion": 0.0}})
    )
    idx = SimilarIndex.load(tmp_path)
    plain = SimilarIndex.load(tmp_path, config={"hybrid": {"reciprocal": 0.0, "diffusion": 0.0}})
    assert idx.nbr is not None and plain.nbr is None
    z = np.load(tmp_path / "hub.npz")
    row = {k: i for i, k in enumerate(z["keys"].tolist())}
    sets = {i: {row[x] for x in z["nbr_keys"][i].tolist() if x} | {i} for i in range(len(recs))}
    q = idx.row_of["uvas-1"]
    base = {x["id"]: x["score"] for x in plain.query_id("uvas-1", k=len(recs))}
    for x in idx.query_id("uvas-1", k=5):
        d = idx.row_of[x["id"]]
        jac = len(sets[q] & sets[d]) / len(sets[q] | sets[d])
        assert x["score"] == pytest.approx((1 - lam) * base[x["id"]] + lam * jac, abs=2e-4)
    res = idx.query_text("omställning för varslade inom fordonsindustrin", k=3)
    assert all(0.0 <= r["score"] <= 1.0 for r in res) and res[0]["id"].startswith("fordon")


def test_diffusion_smooths_scores_over_each_documents_neighbour_set(tmp_path):
    recs = _records(("unga_uvas", "landsbygd", "varsel_fordon"))
    a = 0.5
    update_index(tmp_path, recs, load_config(overrides={"hybrid": {"diffusion": a, "reciprocal": 0.0, "hubness": 0.0}}))
    idx = SimilarIndex.load(tmp_path)
    plain = SimilarIndex.load(tmp_path, config={"hybrid": {"diffusion": 0.0}})
    assert idx.nbr_mean is not None and plain.nbr is None
    z = np.load(tmp_path / "hub.npz")
    row = {k: i for i, k in enumerate(z["keys"].tolist())}
    sets = {i: {row[x] for x in z["nbr_keys"][i].tolist() if x} | {i} for i in range(len(recs))}
    for q in (idx.text_query("omställning för varslade inom fordonsindustrin"), idx._row_query(idx.row_of["uvas-1"])):
        base = plain._scores(q)
        got = idx._scores(q)
        want = [(base[d] + a * np.mean([base[j] for j in sets[d]])) / (1 + a) for d in range(len(recs))]
        assert np.allclose(got, want, atol=1e-5)
        assert not np.allclose(got, base, atol=1e-3)
    res = idx.query_text("omställning för varslade inom fordonsindustrin", k=3)
    assert all(0.0 <= r["score"] <= 1.0 for r in res) and res[0]["id"].startswith("fordon")


def test_content_text_counts_a_repeated_line_once():
    body = (
        "Projektet ska hjälpa unga vuxna som varken arbetar eller studerar att hitta en väg till jobb.\n"
        "Kontakt och mer information finns på kommunens webbplats för alla som vill veta mer.\n"
    )
    rec = Record(id="rep-1", source="rep.txt", sha256="x", format="txt", title="Vägen vidare", text=body + body + body)
    text = content_text(rec, load_config())
    assert text.count("varken arbetar eller studerar") == 1
    assert text.count("kommunens webbplats") == 1 and text.startswith("Vägen vidare")


def test_text_query_with_nothing_in_common_scores_zero(built):
    d, _ = built
    idx = SimilarIndex.load(d)
    assert idx.lam > 0
    res = idx.query_text("qqqq zzzz", k=3)
    assert [r["score"] for r in res] == [0.0, 0.0, 0.0]


def test_cli_period_bounds_as_in_export(built):
    d, recs = built
    runner, app = CliRunner(), _app()
    by_id = {r.id: r for r in recs}
    base = ["similar", "--index", str(d), "--id", "uvas-1", "-k", "30", "--json"]
    r = runner.invoke(app, base + ["--period-from", "2009-03", "--period-to", "2011-06-30"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)[0]["results"]
    assert res and all(
        by_id[x["id"]].metadata.period_start.year <= 2011 and by_id[x["id"]].metadata.period_end.year >= 2009
        for x in res
    )
    same = runner.invoke(app, base + ["--period", "2009-2011"])
    assert json.loads(same.stdout)[0]["results"] == res
    assert runner.invoke(app, base + ["--period-from", "2019-13"]).exit_code != 0
    assert runner.invoke(app, base + ["--period-from", "2020", "--period-to", "2019"]).exit_code != 0
    assert runner.invoke(app, base + ["--period", "2014-2020", "--period-from", "2015"]).exit_code != 0


def test_stems_come_from_the_pipelines_one_stemmer():
    from pipeline.similarity import text as sim_text
    from pipeline.text import stem

    assert sim_text.stem is stem
    assert sim_text.stems("Kvinnorna fick utbildningar och stöd") == stem(["kvinnorna", "utbildningar", "stöd"])


def test_student_distillation_vocabulary_and_vectors():
    from training.similarity.distill import distil, idf_weights, vocabulary

    texts = [
        "Unga vuxna får stöd till arbete och studier.",
        "Stöd till unga i glesbygd.",
        "Glesbygd glesbygd utan jobb.",
    ]
    vocab, df = vocabulary(texts, n_primary=1, min_count=1, extra_min_count=2)
    # the first text's words need one occurrence, the others two ("glesbygd" has three, "jobb" one)
    assert "vuxna" in vocab and "glesbygd" in vocab and "jobb" not in vocab and "och" not in vocab
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(len(vocab), 12)).astype(np.float32) + 5.0  # a large common component
    reduced, explained = distil(vecs, 4)
    assert reduced.shape == (len(vocab), 4) and np.allclose(np.linalg.norm(reduced, axis=1), 1.0, atol=1e-4)
    assert 0.0 < explained <= 1.0
    w = idf_weights(vocab, df, len(texts))
    assert w[vocab.index("glesbygd")] < w[vocab.index("vuxna")]  # in more texts: a smaller weight
