"""HTTP API tests: real requests against uvicorn on 127.0.0.1 (a free port)."""

# ruff: noqa: F811  (fixtures are imported from store_fixtures and named as test arguments)
from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
from datetime import date
from urllib.parse import quote

import httpx
import pytest
import uvicorn
from store_fixtures import ROOT, make_store_url, replicated_records, store_params

from pipeline.api import create_app
from pipeline.store import open_store

pytestmark = pytest.mark.shared  # every test uses records built from the seed documents


class FakeIndex:
    """Stand-in for pipeline.similarity.index.SimilarIndex: word-overlap scores,
    ignores filters (the API re-checks them against the store)."""

    def __init__(self, records):
        self.words = {r.id: set(re.findall(r"\w{4,}", r.text.casefold())) for r in records}
        self.titles = {r.id: r.title for r in records}
        self.calls: list[tuple] = []

    def _rank(self, words, k):
        scored = []
        for rid, w in self.words.items():
            union = len(words | w) or 1
            scored.append({"id": rid, "title": self.titles[rid], "score": len(words & w) / union})
        scored.sort(key=lambda x: (-x["score"], x["id"]))
        return scored[:k]

    def query_ids(self, ids, k=10, filters=None):
        """Like the real index: one result list per id, unknown ids raise KeyError."""
        self.calls.append(("ids", tuple(ids), k, filters))
        return [[x for x in self._rank(self.words[i], k + 1) if x["id"] != i][:k] for i in ids]

    def query_text(self, text, k=10, filters=None):
        self.calls.append(("text", text, k, filters))
        return self._rank(set(re.findall(r"\w{4,}", text.casefold())), k)


class LiveServer:
    """uvicorn in a thread, on a socket bound to 127.0.0.1:0 (no port race)."""

    def __init__(self, app):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            assert time.time() < deadline, "server did not start"
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


N = 40


@pytest.fixture(scope="module")
def records():
    return list(replicated_records(N))


@pytest.fixture(scope="module", params=store_params())
def api(request, records, tmp_path_factory):
    url = make_store_url(request.param, tmp_path_factory.mktemp("api"), request)
    st = open_store(url)
    st.upsert_many(records)
    index = FakeIndex(records)
    server = LiveServer(create_app(st, index=index, show_personal=True))
    client = httpx.Client(base_url=server.url, timeout=10)
    default = LiveServer(create_app(st, index=index))  # the default: personal data redacted
    redacted = httpx.Client(base_url=default.url, timeout=10)
    yield client, index, redacted
    client.close()
    redacted.close()
    server.stop()
    default.stop()
    st.close()


@pytest.fixture
def client(api):
    """A server started with show_personal=True (full records)."""
    return api[0]


@pytest.fixture
def redacted_client(api):
    """A server with the defaults (personal data redacted)."""
    return api[2]


def _ids(resp):
    assert resp.status_code == 200, resp.text
    return sorted(x["id"] for x in resp.json()["items"])


def test_health_and_openapi(client):
    h = client.get("/health").json()
    assert h["status"] == "ok" and h["projects"] == N and h["similarity_index"] is True
    spec = client.get("/openapi.json").json()
    for path in (
        "/projects",
        "/projects/{project_id}",
        "/projects/{project_id}/similar",
        "/similar",
        "/themes",
        "/stats/themes",
        "/health",
    ):
        assert path in spec["paths"], path
    params = {p["name"] for p in spec["paths"]["/projects"]["get"]["parameters"]}
    assert {
        "theme",
        "region",
        "owner",
        "period_from",
        "period_to",
        "min_budget",
        "max_budget",
        "q",
        "limit",
        "offset",
    } <= params
    assert client.get("/docs").status_code == 200


def test_list_filters(client, records):
    def expect(pred):
        return sorted(r.id for r in records if pred(r))

    body = client.get("/projects", params={"limit": 100}).json()
    assert body["total"] == N and len(body["items"]) == N
    item = next(x for x in body["items"] if x["id"] == records[0].id)
    assert item["title"] == records[0].title and [t["id"] for t in item["themes"]] == [t.id for t in records[0].themes]
    assert "text" not in item

    assert _ids(client.get("/projects", params={"region": "västsverige", "limit": 100})) == expect(
        lambda r: r.metadata.region == "Västsverige"
    )
    assert _ids(client.get("/projects", params={"theme": "integration", "limit": 100})) == expect(
        lambda r: any(t.id == "integration" for t in r.themes)
    )
    assert _ids(
        client.get("/projects", params=[("theme", "integration"), ("theme", "jamstalldhet"), ("limit", 100)])
    ) == expect(lambda r: any(t.id in ("integration", "jamstalldhet") for t in r.themes))
    assert _ids(client.get("/projects", params={"owner": "AVESTA", "limit": 100})) == expect(
        lambda r: "avesta" in (r.metadata.owner or "").lower()
    )
    lo, hi = date(2012, 1, 1), date(2013, 12, 31)
    assert _ids(
        client.get("/projects", params={"period_from": lo.isoformat(), "period_to": hi.isoformat(), "limit": 100})
    ) == expect(
        lambda r: r.metadata.period_start is not None and r.metadata.period_start <= hi and r.metadata.period_end >= lo
    )
    assert _ids(
        client.get("/projects", params={"min_budget": 1_000_000, "max_budget": 9_000_000, "limit": 100})
    ) == expect(
        lambda r: r.metadata.total_budget_sek is not None and 1_000_000 <= r.metadata.total_budget_sek <= 9_000_000
    )
    assert _ids(client.get("/projects", params={"q": "Västkraft", "limit": 100})) == expect(
        lambda r: "västkraft" in r.text.casefold()
    )
    combo = client.get(
        "/projects", params={"theme": "samverkan", "region": "Skåne-Blekinge", "min_budget": 100, "limit": 100}
    )
    assert _ids(combo) == expect(
        lambda r: (
            r.metadata.region == "Skåne-Blekinge"
            and (r.metadata.total_budget_sek or 0) >= 100
            and any(t.id == "samverkan" for t in r.themes)
        )
    )
    assert combo.json()["total"] == len(_ids(combo))


def test_pagination(client, records):
    all_ids = sorted(r.id for r in records)
    pages = [client.get("/projects", params={"limit": 15, "offset": o}).json() for o in (0, 15, 30)]
    assert [len(p["items"]) for p in pages] == [15, 15, 10]
    assert [x["id"] for p in pages for x in p["items"]] == all_ids
    assert all(p["total"] == N for p in pages)
    assert client.get("/projects", params={"offset": 1000}).json()["items"] == []
    assert client.get("/projects").json()["limit"] == 20


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 101},
        {"limit": 0},
        {"offset": -1},
        {"period_from": "2020-13-01"},
        {"period_from": "2020-01-01", "period_to": "2019-01-01"},
        {"min_budget": -5},
        {"min_budget": 10, "max_budget": 5},
        {"q": "x" * 201},
        {"limit": "many"},
        {"q": ""},
    ],
)
def test_list_validation(client, params):
    r = client.get("/projects", params=params)
    assert r.status_code == 422, (params, r.text)


def test_get_project(client, records):
    r = records[3]
    body = client.get(f"/projects/{r.id}").json()
    from pipeline.record import Record

    assert Record.from_json(body) == r  # tags, evidence, entities, sections all present
    assert body == r.to_json()  # the records.jsonl shape
    assert body["themes"] and body["themes"][0]["evidence"]
    slim = client.get(f"/projects/{r.id}", params={"include_text": False}).json()
    assert slim["text"] == "" and slim["themes"] == body["themes"]
    slashed = next(x for x in records if "/" in x.id)  # e.g. project numbers like 2017/00434
    assert Record.from_json(client.get(f"/projects/{slashed.id}").json()) == slashed
    assert client.get(f"/projects/{slashed.id.replace('/', '%2F')}").json()["id"] == slashed.id
    sim = client.get(f"/projects/{slashed.id}/similar", params={"k": 2}).json()
    assert sim["query"]["id"] == slashed.id and slashed.id not in [x["id"] for x in sim["items"]]
    assert client.get("/projects/does-not-exist").status_code == 404
    assert client.get("/projects/bad id!").status_code == 404  # a possible id, not stored
    assert client.get("/projects/bad%00id").status_code == 422  # control characters never are
    assert client.get("/projects/" + "x" * 600).status_code == 422


def test_similar_to_project(api, records):
    client, index, _ = api
    rid = records[0].id
    body = client.get(f"/projects/{rid}/similar", params={"k": 5}).json()
    assert body["query"]["id"] == rid and len(body["items"]) == 5
    assert rid not in [x["id"] for x in body["items"]]
    assert all(set(x) == {"id", "title", "project_name", "score"} for x in body["items"])
    scores = [x["score"] for x in body["items"]]
    assert scores == sorted(scores, reverse=True)
    assert index.calls[-1][0] == "ids" and index.calls[-1][1] == (rid,)

    # filters are passed to the index and enforced against the store
    body = client.get(f"/projects/{rid}/similar", params={"k": 3, "region": "Övre Norrland"}).json()
    assert index.calls[-1][3] == {"region": "Övre Norrland"}
    regions = {r.id: r.metadata.region for r in records}
    assert body["items"] and all(regions[x["id"]] == "Övre Norrland" for x in body["items"])
    assert client.get("/projects/nope/similar").status_code == 404
    period = client.get(f"/projects/{rid}/similar", params={"k": 3, "period_from": "2012-01-01"}).json()
    assert index.calls[-1][3] == {"period_from": "2012-01-01", "period": [2012, 9999]} or index.calls[-1][3] == {
        "period_from": "2012-01-01",
        "period": (2012, 9999),
    }
    ends = {r.id: r.metadata.period_end for r in records}
    assert period["items"] and all(ends[x["id"]] and ends[x["id"]] >= date(2012, 1, 1) for x in period["items"])
    assert client.get(f"/projects/{rid}/similar", params={"k": 0}).status_code == 422
    assert client.get(f"/projects/{rid}/similar", params={"k": 101}).status_code == 422


def test_similar_to_text(api, records):
    client, index, _ = api
    text = " ".join(records[1].text.split()[:80])
    body = client.get("/similar", params={"text": text, "k": 4}).json()
    assert len(body["items"]) == 4 and body["items"][0]["id"].startswith(records[1].id)
    assert index.calls[-1][0] == "text"
    post = client.post("/similar", json={"text": records[1].text, "k": 4, "theme": ["integration"]})
    assert post.status_code == 200, post.text
    assert index.calls[-1][3] == {"theme": ["integration"]}
    with_theme = {r.id for r in records if any(t.id == "integration" for t in r.themes)}
    assert post.json()["items"] and {x["id"] for x in post.json()["items"]} <= with_theme
    assert client.get("/similar").status_code == 422
    assert client.get("/similar", params={"text": "x" * 2001}).status_code == 422
    assert client.post("/similar", json={"text": ""}).status_code == 422
    assert client.post("/similar", json={"text": "a", "unknown": 1}).status_code == 422
    assert (
        client.post("/similar", json={"text": "a", "period_from": "2020-01-01", "period_to": "2010-01-01"}).status_code
        == 422
    )


def test_themes_and_stats(client, records):
    themes = client.get("/themes").json()
    expect: dict = {}
    for r in records:
        for t in r.themes:
            expect[t.id] = expect.get(t.id, 0) + 1
    assert {x["theme_id"]: x["count"] for x in themes} == expect

    rows = client.get("/stats/themes").json()
    assert rows["by"] == ["region"]
    exp_r: dict = {}
    for r in records:
        for t in r.themes:
            exp_r[(r.metadata.region, t.id)] = exp_r.get((r.metadata.region, t.id), 0) + 1
    assert {(x["region"], x["theme_id"]): x["count"] for x in rows["rows"]} == exp_r

    both = client.get("/stats/themes", params=[("by", "region"), ("by", "period")]).json()
    assert both["by"] == ["region", "year"]
    exp_ry: dict = {}
    for r in records:
        y = r.metadata.period_start.year if r.metadata.period_start else None
        for t in r.themes:
            exp_ry[(r.metadata.region, y, t.id)] = exp_ry.get((r.metadata.region, y, t.id), 0) + 1
    assert {(x["region"], x["year"], x["theme_id"]): x["count"] for x in both["rows"]} == exp_ry
    filtered = client.get("/stats/themes", params={"by": "year", "region": "Västsverige"}).json()
    assert sum(x["count"] for x in filtered["rows"]) == sum(
        len(r.themes) for r in records if r.metadata.region == "Västsverige"
    )
    assert client.get("/stats/themes", params={"by": "colour"}).status_code == 422


def test_similar_without_index_is_503(tmp_path, records):
    st = open_store(tmp_path / "s.sqlite")
    st.upsert_many(records[:3])
    server = LiveServer(create_app(st))
    try:
        with httpx.Client(base_url=server.url) as c:
            assert c.get(f"/projects/{records[0].id}/similar").status_code == 503
            assert c.get("/similar", params={"text": "x"}).status_code == 503
            assert c.get("/health").json()["similarity_index"] is False
            assert c.get("/projects").json()["total"] == 3
    finally:
        server.stop()
        st.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _serve_process(db, *extra: str, timeout: float = 60):
    """`serve` (through a typer app, as the console script runs it) in a subprocess on a free
    port; yields (port, process) once /health answers, and stops it afterwards."""
    code = (
        f"import sys, typer; sys.path.insert(0, {str(ROOT)!r})\n"
        "from pipeline.store.cli import serve\n"
        "app = typer.Typer(); app.command('serve')(serve); app.command('noop')(lambda: None)\n"
        "app()\n"
    )
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--store", str(db), "--port", str(port), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        deadline = time.time() + timeout
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.time() < deadline, "serve did not come up"
                time.sleep(0.1)
        yield port, proc
    finally:
        proc.terminate()
        proc.wait(10)


def test_serve_command_binds_localhost(tmp_path, records):
    """`serve` via a typer app in a subprocess: localhost by default, answers HTTP."""
    db = tmp_path / "s.sqlite"
    with open_store(db) as st:
        st.upsert_many(records[:5])
    with _serve_process(db) as (port, _):
        r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
        assert r.json()["projects"] == 5
        # bound to loopback only: the listening socket is 127.0.0.1, not 0.0.0.0
        listening = open("/proc/net/tcp").read().lower()
        assert f"0100007f:{port:04x}" in listening and f"00000000:{port:04x}" not in listening


def test_real_similarity_module(tmp_path, records):
    """The real index (pipeline.similarity.index) behind the API, over HTTP."""
    try:
        from pipeline.similarity.index import SimilarIndex, update_index  # noqa: F401
    except ImportError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"pipeline.similarity.index not importable in CI: {exc}")
        pytest.skip(f"pipeline.similarity.index not importable yet: {exc}")
    recs = records[:10]
    update_index(tmp_path / "index", recs, {"encoder": {"type": "none"}})  # lexical only: no model files needed
    st = open_store(tmp_path / "s.sqlite")
    st.upsert_many(recs)
    server = LiveServer(create_app(st, index_dir=str(tmp_path / "index")))
    try:
        with httpx.Client(base_url=server.url, timeout=30) as c:
            assert c.get("/health").json()["similarity_index"] is True
            body = c.get(f"/projects/{recs[0].id}/similar", params={"k": 3}).json()
            assert 0 < len(body["items"]) <= 3 and recs[0].id not in [x["id"] for x in body["items"]]
            names = {r.id: r.metadata.project_name for r in recs}
            assert all(
                x["project_name"] == names[x["id"]] for x in body["items"]
            )  # the project's name beside the title
            body = c.get("/similar", params={"text": recs[2].title, "k": 3}).json()
            assert body["items"] and all(x["id"] in {r.id for r in recs} for x in body["items"])
            # a later run adds projects to store and index: the server picks the new index up
            more = records[10:14]
            st.upsert_many(more)
            time.sleep(0.01)
            update_index(tmp_path / "index", more, {"encoder": {"type": "none"}})
            body = c.get(f"/projects/{more[0].id}/similar", params={"k": 3}).json()
            assert body["items"], body
    finally:
        server.stop()
        st.close()


def test_serve_checks_its_index_folder(tmp_path, records, monkeypatch):
    """`serve --index`: a missing folder is a usage error before anything is served; a run's
    output folder means its index/ (the folder the server watches for a later run's index)."""
    import typer
    from typer.testing import CliRunner

    import pipeline.api as api
    from pipeline.similarity.index import update_index
    from pipeline.store.cli import serve

    db = tmp_path / "s.sqlite"
    with open_store(db) as st:
        st.upsert_many(records[:3])
    served, dirs = [], []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(app))
    monkeypatch.setattr(
        api,
        "create_app",
        lambda st, index_dir=None, **kw: dirs.append(index_dir) or create_app(st, index_dir=index_dir, **kw),
    )
    app = typer.Typer()
    app.command("serve")(serve)
    app.command("noop")(lambda: None)
    r = CliRunner().invoke(app, ["serve", "--store", str(db), "--index", str(tmp_path / "nodir")])
    assert r.exit_code == 2 and "no such folder" in r.output and not served and not dirs
    update_index(tmp_path / "out" / "index", records[:3], {"encoder": {"type": "none"}})
    r = CliRunner().invoke(app, ["serve", "--store", str(db), "--index", str(tmp_path / "out")])
    assert r.exit_code == 0 and dirs == [str(tmp_path / "out" / "index")], r.output
    assert served[0].state.index is not None
    # without --index, a run's store brings the run's index (a store of its own does not)
    run_db = tmp_path / "out" / "store.sqlite"
    with open_store(run_db) as st:
        st.upsert_many(records[:3])
    for where in (run_db, tmp_path / "out"):
        r = CliRunner().invoke(app, ["serve", "--store", str(where)])
        assert r.exit_code == 0 and dirs[-1] == str(tmp_path / "out" / "index"), r.output
        assert "similar projects from" in r.output and served[-1].state.index is not None
    r = CliRunner().invoke(app, ["serve", "--store", str(db)])
    assert r.exit_code == 0 and dirs[-1] is None and "similar projects" not in r.output


# ----------------------------------------------------------------------------- hostile input (issue 14)


def test_themes_filtered_by_theme(client, records):
    """/themes and /stats/themes accept the theme filter (they answered 500 for every value)."""
    having = [r for r in records if any(t.id == "integration" for t in r.themes)]
    assert having
    expect: dict = {}
    for r in having:
        for t in r.themes:
            expect[t.id] = expect.get(t.id, 0) + 1
    for theme in ("integration", "Integration"):  # id or label
        resp = client.get("/themes", params={"theme": theme})
        assert resp.status_code == 200, resp.text
        assert {x["theme_id"]: x["count"] for x in resp.json()} == expect
    stats = client.get("/stats/themes", params={"theme": "integration", "by": "year"})
    assert stats.status_code == 200, stats.text
    assert sum(x["count"] for x in stats.json()["rows"]) == sum(len(r.themes) for r in having)


def test_a_theme_filter_that_names_no_theme_is_a_422_with_a_suggestion(client, records):
    """As on the command line: a typo is an error that says what was meant, on every endpoint
    that filters by theme; a theme of the taxonomy that no project has is an empty answer."""
    from pipeline.themes.names import configured_themes

    for path, params in [
        ("/projects", {"theme": "integrashon"}),
        ("/projects", {"theme": ["unga", "integrashon"]}),
        ("/themes", {"theme": "integrashon"}),
        ("/stats/themes", {"theme": "integrashon"}),
        ("/similar", {"text": "unga", "theme": "integrashon"}),
        (f"/projects/{records[0].id}/similar", {"theme": "integrashon"}),
    ]:
        resp = client.get(path, params=params)
        assert resp.status_code == 422, (path, resp.text)
        (err,) = resp.json()["detail"]
        assert err["loc"] == ["query", "theme"] and "did you mean 'integration'?" in err["msg"], err
    resp = client.post("/similar", json={"text": "unga i arbete", "theme": ["integrashon"]})
    assert resp.status_code == 422 and resp.json()["detail"][0]["loc"] == ["body", "theme"], resp.text
    unused = sorted(set(configured_themes()) - {t.id for r in records for t in r.themes})
    assert unused
    resp = client.get("/projects", params={"theme": unused[0]})
    assert resp.status_code == 200 and resp.json()["total"] == 0, resp.text


@pytest.mark.parametrize(
    "path,params",
    [
        ("/projects", {"min_budget": 2**63}),
        ("/projects", {"max_budget": 2**64 + 1}),
        ("/projects", {"min_budget": "9" * 4000}),
        ("/projects", {"offset": 2**63}),
        ("/projects", {"limit": "1e999"}),
        ("/projects", {"limit": "NaN"}),
        ("/themes", {"min_budget": 2**63}),
        ("/stats/themes", {"max_budget": "9" * 4000}),
        ("/similar", {"text": "vård", "k": "1e999"}),
        ("/similar", {"text": "vård", "k": 2**70}),
    ],
)
def test_huge_and_non_finite_numbers_get_422(client, path, params):
    r = client.get(path, params=params)
    assert r.status_code == 422, (params, r.status_code, r.text[:300])
    assert r.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        '{"text": "vård", "k": 1e999}',
        '{"text": "vård", "k": NaN}',
        '{"text": "vård", "k": -Infinity}',
        '{"text": "vård", "k": ' + "9" * 4000 + "}",
        '{"text": "vård", "min_budget": ' + "9" * 30 + "}",
        '{"text": "vård", "max_budget": 1e400}',
        '{"text": "vård", "k": ' + "9" * 5000 + "}",
        '{"text": "vård", "theme": ["x"], "period_from": "2019-02-30"}',
    ],
)
def test_post_similar_hostile_json(client, body):
    r = client.post("/similar", content=body, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500, (body[:60], r.status_code, r.text[:300])
    assert r.json()["detail"]


def test_ids_with_tilde(tmp_path, records):
    """Ids the pipeline makes for a second document with the same number ("NUMBER~hash")
    or stated numbers with other characters can be fetched and used for similar."""
    base = records[3]
    odd = [
        base.model_copy(update={"id": i})
        for i in (f"{base.id}~1a2b3c4d", "2018/00517~1a2b3c", "dnr 2019 (ny) #4", "projekt-å~ä")
    ]
    st = open_store(tmp_path / "s.sqlite")
    st.upsert_many(odd + records[:5])
    server = LiveServer(create_app(st, index=FakeIndex(odd + records[:5]), show_personal=True))
    try:
        with httpx.Client(base_url=server.url, timeout=10) as c:
            for rec in odd:
                quoted = "/projects/" + quote(rec.id, safe="/~")  # "#" and "?" must be escaped
                got = c.get(quoted)
                assert got.status_code == 200, (rec.id, got.text[:200])
                assert got.json()["id"] == rec.id
                sim = c.get(quoted + "/similar", params={"k": 3})
                assert sim.status_code == 200, (rec.id, sim.text[:200])
                assert rec.id not in [x["id"] for x in sim.json()["items"]]
    finally:
        server.stop()
        st.close()


def test_long_text_query_is_capped(api):
    client, index, _ = api
    from pipeline.api.app import MAX_TEXT_CHARS, QUERY_TEXT_CHARS

    text = ("unga nyanlända kvinnor praktik vården " * 1000)[:MAX_TEXT_CHARS]
    r = client.post("/similar", json={"text": text, "k": 3})
    assert r.status_code == 200, r.text[:300]
    assert r.json()["query"]["truncated"] is True
    assert index.calls[-1][0] == "text" and len(index.calls[-1][1]) == QUERY_TEXT_CHARS
    short = client.post("/similar", json={"text": "unga i vården", "k": 3}).json()
    assert "truncated" not in short["query"] and index.calls[-1][1] == "unga i vården"
    too_long = client.post("/similar", json={"text": text + "x", "k": 3})
    assert too_long.status_code == 422 and str(MAX_TEXT_CHARS) in too_long.text


def test_period_bounds_accept_year_month_date(client, records):
    """period_from/period_to: a year, a year-month or a date (one parser, as in export)."""

    def ids(**params):
        r = client.get("/projects", params={**params, "limit": 100})
        assert r.status_code == 200, (params, r.text)
        return sorted(x["id"] for x in r.json()["items"])

    def expect(lo, hi):
        return sorted(
            r.id
            for r in records
            if r.metadata.period_start and r.metadata.period_start <= hi and r.metadata.period_end >= lo
        )

    assert (
        ids(period_from="2012", period_to="2013")
        == expect(date(2012, 1, 1), date(2013, 12, 31))
        == ids(period_from="2012-01-01", period_to="2013-12-31")
    )
    assert ids(period_from="2012-03", period_to="2012-06") == expect(date(2012, 3, 1), date(2012, 6, 30))
    assert ids(period_to="2012-02") == ids(period_to="2012-02-29")
    for bad in ("2019-13", "2019-02-30", "19", "20190", "2019/05", "x" * 11, "2019-00"):
        r = client.get("/projects", params={"period_from": bad})
        assert r.status_code == 422, (bad, r.text)
    body = client.post("/similar", json={"text": "vård", "period_from": "2012", "period_to": "2013-06"}).json()
    assert body["query"]["filters"] == {"period_from": "2012-01-01", "period_to": "2013-06-30"}


def test_docs_work_offline(client):
    """Swagger UI is served from this server, not from a CDN."""
    html = client.get("/docs").text
    assert "cdn." not in html and "unpkg" not in html
    js = re.findall(r"""src=["']([^"']+\.js)["']""", html)
    css = re.findall(r"""href=["']([^"']+\.css)["']""", html)
    assert js and css
    for url in js + css:
        assert url.startswith("/"), url
        r = client.get(url)
        assert r.status_code == 200 and len(r.content) > 10_000, url


def test_personal_data_redacted_by_default(client, redacted_client, records):
    rec = next(r for r in records if r.metadata.contact_person and r.metadata.email)
    full = client.get(f"/projects/{rec.id}").json()
    assert full["metadata"]["email"] == rec.metadata.email
    body = redacted_client.get(f"/projects/{rec.id}")
    assert body.status_code == 200
    data = body.json()
    assert not {"contact_person", "email", "phone"} & set(data["metadata"])
    assert rec.metadata.email not in body.text and rec.metadata.contact_person not in body.text
    if rec.metadata.phone:
        assert rec.metadata.phone not in body.text
    assert "[PERSON-" in body.text
    from pipeline.record import Record

    red = Record.from_json(data)  # still a valid record with offsets into the redacted text
    for e in red.entities:
        assert red.text[e.start : e.end] == e.text
    slim = redacted_client.get(f"/projects/{rec.id}", params={"include_text": False}).json()
    assert slim["text"] == "" and slim["summary"] == data["summary"]


def test_theme_counts_follow_store_changes(tmp_path, records):
    """/themes and /stats/themes are cached briefly, but a write to the store shows at once."""
    from pipeline.record import Theme

    st = open_store(tmp_path / "s.sqlite")
    st.upsert_many(records[:3])
    server = LiveServer(create_app(str(tmp_path / "s.sqlite")))
    try:
        with httpx.Client(base_url=server.url, timeout=10) as c:
            first = c.get("/themes").json()
            assert first and "nytt_tema" not in {x["theme_id"] for x in first}
            assert c.get("/themes").json() == first
            new = records[3].model_copy(update={"themes": [Theme(id="nytt_tema", label="Nytt tema", score=0.9)]})
            st.upsert(new)
            assert "nytt_tema" in {x["theme_id"] for x in c.get("/themes").json()}
            rows = c.get("/stats/themes", params={"by": "region"}).json()["rows"]
            assert any(x["theme_id"] == "nytt_tema" for x in rows)
            st.delete(new.id)
            assert "nytt_tema" not in {x["theme_id"] for x in c.get("/themes").json()}
    finally:
        server.stop()
        st.close()


def test_serve_workers_and_show_personal(tmp_path, records):
    """`serve --workers 2` answers with redacted records; `--show-personal` with full ones."""
    db = tmp_path / "s.sqlite"
    rec = next(r for r in records if r.metadata.email)
    with open_store(db) as st:
        st.upsert_many([rec])
    for extra, shown in ((["--workers", "2"], False), (["--show-personal"], True)):
        with _serve_process(db, *extra) as (port, _):
            r = httpx.get(f"http://127.0.0.1:{port}/projects/{quote(rec.id, safe='/~')}", timeout=5)
            assert r.status_code == 200
            assert (rec.metadata.email in r.text) is shown, extra


def test_programme_area_filter_and_full_text_rank(client, records):
    """programme_area: case-insensitive exact; q: full-text, ranked best first, any inflection."""
    area = next(r.metadata.programme_area for r in records if r.metadata.programme_area)
    want = sorted(r.id for r in records if r.metadata.programme_area == area)
    assert _ids(client.get("/projects", params={"programme_area": area.upper(), "limit": 100})) == want
    assert client.get("/themes", params={"programme_area": area}).status_code == 200
    body = client.get("/projects", params={"q": "nyanländas", "limit": 100}).json()
    assert body["total"] == len(body["items"]) > 0
    assert {x["id"] for x in body["items"]} == {r.id for r in records if "nyanlända" in r.text.casefold()}
    ranks = [x["rank"] for x in body["items"]]
    assert ranks == sorted(ranks, reverse=True)
    for q in ('"', "NEAR(", "*", "och", "a & !b", "x" * 200):
        r = client.get("/projects", params={"q": q})
        assert r.status_code == 200, (q, r.text[:200])


def test_sqlite_endpoints_answer_on_the_event_loop(tmp_path, records):
    """SQLite endpoints skip the thread pool (8 concurrent clients queued on the GIL there);
    they still answer concurrent clients correctly."""
    import inspect

    db = tmp_path / "s.sqlite"
    with open_store(db) as st:
        st.upsert_many(records[:5])
    app = create_app(str(db))
    on_loop = {r.path: inspect.iscoroutinefunction(r.endpoint) for r in app.routes if hasattr(r, "endpoint")}
    assert on_loop["/projects"] and on_loop["/projects/{project_id:path}"] and on_loop["/themes"]
    server = LiveServer(app)
    try:
        want = {r.id: r.title for r in records[:5]}
        errors: list[str] = []

        def client() -> None:
            with httpx.Client(base_url=server.url, timeout=10) as c:
                for rid in list(want) * 4:
                    got = c.get(f"/projects/{quote(rid, safe='/~')}").json()
                    if got["id"] != rid or c.get("/projects").json()["total"] != 5:
                        errors.append(rid)

        threads = [threading.Thread(target=client) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
    finally:
        server.stop()
