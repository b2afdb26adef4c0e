#!/usr/bin/env python
"""Hostile-input fuzzing and an 8-client load test of the registry API, on 127.0.0.1.

    python scripts/fuzz_api.py [--n 500] [--store S --index DIR] [--max-requests 6000]
                               [--max-seconds 240] [--load-requests 2000] [--clients 8]
                               [--workers 1] [--show-personal]

1. A store of N projects (default 500) is built in a temporary folder from the sample
   documents in ``corpus/`` (processed by the pipeline; the spine stages if a model is
   missing), replicated with new ids — a third of them ``NUMBER~hash`` ids as the
   pipeline makes for a second document with the same project number, many with
   ``/`` — plus the similar-projects index. Or give ``--store`` and ``--index``.
2. The API is started in a separate process (``serve``'s code path, ``--workers`` uvicorn
   worker processes) bound to 127.0.0.1 only.
3. Fuzzing: every parameter of every endpoint listed in ``/openapi.json`` gets each
   hostile value (huge, negative, non-finite and 4,000-digit numbers, malformed dates,
   control characters, invalid UTF-8, very long strings, SQL and path fragments …),
   with the other parameters valid; JSON bodies get hostile JSON values, malformed
   JSON and wrong types; path ids get hostile ids and every real id shape. Bounded by
   ``--max-requests`` and ``--max-seconds``. Prints the count of responses by status;
   any 5xx is listed and makes the exit status 1.
4. Load: ``--clients`` threads (default 8), each with its own keep-alive connection,
   send ``--load-requests`` mixed valid requests in total (filtered lists, one project,
   similar by id and by text, themes, stats). Prints p50/p95/p99 (ms) overall and per
   kind, and requests per second. Target: p95 < 50 ms at 8 clients.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import quote

import httpx

from pipeline.ner.gazetteers import ESF_REGIONS

ROOT = Path(__file__).resolve().parent.parent

REGIONS = ESF_REGIONS

# values sent as query/path strings (httpx percent-encodes them)
HOSTILE_STR = [
    "",
    " ",
    "-1",
    "0",
    "1",
    "-0",
    "2147483648",
    str(2**63 - 1),
    str(2**63),
    str(2**64),
    "-" + str(2**63 + 1),
    "9" * 4000,
    "9" * 5000,
    "1" + "0" * 400,
    "1e999",
    "-1e999",
    "1e-999",
    "NaN",
    "nan",
    "inf",
    "-Infinity",
    "1.5",
    "0x10",
    "1_000",
    "١٢٣",
    "true",
    "null",
    "None",
    "[]",
    "{}",
    "x" * 201,
    "x" * 2001,
    "ü" * 5000,
    "\x00",
    "a\x00b",
    "\x1f\x7f",
    "\ud7ff",
    "🙂" * 300,
    "%",
    "%%",
    "_",
    "*",
    "\\",
    "'",
    '"',
    "' OR 1=1 --",
    "'; DROP TABLE projects; --",
    "../../etc/passwd",
    "/",
    "//",
    "~",
    "a~b",
    "2018/00517~1a2b3c",
    "<script>alert(1)</script>",
    "2019",
    "2019-05",
    "2019-05-17",
    "2019-13",
    "2019-02-30",
    "2019-00",
    "0000-01-01",
    "9999-12-31",
    "99999-01-01",
    "2019-05-17T10:00:00",
    "20190517",
    "17/05/2019",
    "region",
    "year",
    "period",
    "colour",
    "integration",
    "Integration",
    "INTEGRATION",
    " jämställdhet ",
    "Västsverige",
    "västsverige",
    "\u200b",
    "\ufeff",
    "a" * 128,
    "a" * 129,
]
# raw, already-encoded query values (what httpx would refuse to produce)
HOSTILE_RAW = ["%ff", "%ff%fe", "%ED%A0%80", "%C0%AE", "%", "%zz", "%00", "%0a%0d", "+" * 50]
# JSON values for body properties (raw JSON text)
HOSTILE_JSON = [
    "null",
    "-1",
    "0",
    "1",
    str(2**63),
    str(2**64),
    "9" * 4000,
    "9" * 5000,
    "1e999",
    "-1e999",
    "NaN",
    "Infinity",
    "-Infinity",
    "1.5",
    "true",
    "false",
    '""',
    '" "',
    json.dumps("x" * 30_000),
    json.dumps("\x00"),
    '"2019"',
    '"2019-13"',
    '"2019-02-30"',
    '"x"',
    "[]",
    "{}",
    '["x"]',
    json.dumps(["x"] * 50),
    "[" * 2000 + "]" * 2000,
    '{"a": 1}',
    json.dumps("🙂" * 6000),
    '"\\ud800"',
]
BAD_BODIES = [
    b"",
    b"{",
    b"not json",
    b"[]",
    b"null",
    b"1",
    b'"text"',
    b'{"text": "a", "text": "b"}',
    b'{"text": "\\ud800"}',
    b"\xff\xfe",
    b'{"text": "a"' + b" " * 100_000 + b"}",
    b"[" * 100_000,
    b'{"text": "a", "k": 1e999}',
    b'{"text": "a", "k": NaN}',
]


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


# ----------------------------------------------------------------------------- data


def build(n: int, work: Path) -> tuple[str, str | None]:
    import hashlib
    from datetime import date

    from pipeline.config import load_config
    from pipeline.pipeline import Pipeline
    from pipeline.record import Theme
    from pipeline.store import open_store

    files = sorted(p for p in (ROOT / "corpus").iterdir() if p.suffix in (".txt", ".html", ".pdf"))
    cfg = load_config()
    try:
        base = [Pipeline(cfg).process_file(p) for p in files]
    except Exception as exc:  # a model missing in this checkout
        print(f"full pipeline unavailable ({type(exc).__name__}: {exc}); spine stages", file=sys.stderr)
        cfg["pipeline"]["stages"] = ["clean", "metadata", "sections"]
        base = [Pipeline(cfg).process_file(p) for p in files]
    rnd = random.Random(3)
    pool = sorted({(t.id, t.label) for r in base for t in r.themes}) or [("integration", "Integration")]
    recs = []
    for i in range(n):
        b = base[i % len(base)]
        sha = hashlib.sha256(f"{b.sha256}{i}".encode()).hexdigest()
        number = f"{2008 + i % 15}/{i:05d}"
        rid = [f"{number}~{sha[:8]}", number, f"{(b.title or 'dokument')[:20].lower().replace(' ', '-')}-{sha[:8]}"][
            i % 3
        ]
        md = b.metadata.model_copy(
            update=dict(
                region=rnd.choice(REGIONS),
                total_budget_sek=rnd.randrange(200_000, 30_000_000),
                period_start=date(2008 + i % 15, 1 + i % 12, 1),
                period_end=date(2010 + i % 15, 1 + i % 12, 28),
            )
        )
        themes = list(b.themes)
        have = {t.id for t in themes}
        themes += [
            Theme(id=t, label=lab, score=0.5) for t, lab in rnd.sample(pool, k=min(2, len(pool))) if t not in have
        ]
        recs.append(b.model_copy(update=dict(id=rid, sha256=sha, title=f"{b.title} #{i}", metadata=md, themes=themes)))
    store = str(work / "store.sqlite")
    with open_store(store) as st:
        st.upsert_many(recs)
    index = work / "index"
    try:
        from pipeline.similarity.index import load_config as sim_config
        from pipeline.similarity.index import update_index

        scfg = sim_config()
        try:
            update_index(index, recs, scfg)
        except (FileNotFoundError, OSError) as exc:
            print(f"encoder unavailable ({exc}); lexical-only index", file=sys.stderr)
            scfg["encoder"] = {"type": "none"}
            update_index(index, recs, scfg)
    except ImportError as exc:
        print(f"no similarity index ({exc})", file=sys.stderr)
        return store, None
    return store, str(index)


SERVER = """
import uvicorn
from pipeline.api import create_app
app = create_app({store!r}, index_dir={index!r}, show_personal={show!r})
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", access_log=False)
"""
SERVER_WORKERS = """
import os, uvicorn
os.environ["ESF_API_STORE"], os.environ["ESF_API_INDEX"] = {store!r}, {index!r} or ""
os.environ["ESF_API_SHOW_PERSONAL"] = "1" if {show!r} else ""
uvicorn.run("pipeline.api:app_from_env", factory=True, host="127.0.0.1", port={port}, workers={workers},
            log_level="warning", access_log=False)
"""


def start_server(store: str, index: str | None, show: bool, workers: int) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tpl = SERVER if workers <= 1 else SERVER_WORKERS
    code = tpl.format(store=store, index=index, port=port, show=show, workers=workers)
    proc = subprocess.Popen([sys.executable, "-c", code])
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while True:
        try:
            if httpx.get(base + "/health", timeout=2).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise SystemExit("server did not start")
        time.sleep(0.2)


# ----------------------------------------------------------------------------- fuzz


def fuzz_cases(spec: dict, ids: list[str]):
    """(method, path, params, body bytes or None, label) for every parameter of every endpoint."""
    real_ids = ids[:3] + [i for i in ids if "~" in i][:2] + [i for i in ids if "/" in i and "~" not in i][:2]
    valid = {
        "text": "unga nyanlända kvinnor praktik",
        "theme": "integration",
        "region": "Västsverige",
        "project_id": real_ids[0],
    }
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            params = op.get("parameters", [])
            required = {
                p["name"]: valid.get(p["name"], "1") for p in params if p.get("required") and p["in"] == "query"
            }

            def url(pid: str | None, path: str = path) -> str:
                return path.replace("{project_id}", quote(pid if pid is not None else real_ids[0], safe="/~"))

            for p in params:
                values = HOSTILE_STR
                for v in values:
                    if p["in"] == "path":
                        yield method, url(v), dict(required), None, f"{path} {p['name']}={v[:20]!r}"
                    else:
                        yield method, url(None), {**required, p["name"]: v}, None, f"{path} {p['name']}={v[:20]!r}"
                if p["in"] == "query":
                    for raw in HOSTILE_RAW:
                        yield (
                            method,
                            url(None) + f"?{p['name']}={raw}",
                            dict(required),
                            None,
                            f"{path} {p['name']}=raw {raw[:12]}",
                        )
                    yield (
                        method,
                        url(None),
                        [(p["name"], "integration")] * 200 + list(required.items()),
                        None,
                        f"{path} {p['name']}x200",
                    )
            if any(p["in"] == "path" for p in params):
                for rid in real_ids:
                    yield method, url(rid), dict(required), None, f"{path} real id {rid!r}"
            yield method, url(None), {**required, "unknown_param": "x"}, None, f"{path} unknown param"
            body = op.get("requestBody")
            if body:
                ref = body["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
                props = spec["components"]["schemas"][ref]["properties"]
                for name in props:
                    for v in HOSTILE_JSON:
                        base = {"text": "unga i vården"}
                        doc = "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(x)}" for k, x in base.items() if k != name)
                        doc += (", " if name != "text" else "") + f"{json.dumps(name)}: {v}" + "}"
                        yield method, url(None), None, doc.encode(), f"{path} body {name}={v[:20]}"
                for b in BAD_BODIES:
                    yield method, url(None), None, b, f"{path} body {b[:20]!r}"


def fuzz(base: str, ids: list[str], max_requests: int, max_seconds: float) -> tuple[Counter, list[str]]:
    statuses: Counter = Counter()
    bad: list[str] = []
    deadline = time.time() + max_seconds
    with httpx.Client(base_url=base, timeout=60) as c:
        spec = c.get("/openapi.json").json()
        cases = list(fuzz_cases(spec, ids))
        print(f"fuzz: {len(cases)} cases over {len(spec['paths'])} paths", file=sys.stderr)
        for i, (method, path, params, body, label) in enumerate(cases):
            if i >= max_requests or time.time() > deadline:
                print(f"fuzz: stopped after {i} of {len(cases)} cases (bound)", file=sys.stderr)
                break
            try:
                if body is not None:
                    r = c.request(method.upper(), path, content=body, headers={"content-type": "application/json"})
                else:
                    r = c.request(method.upper(), path, params=params)
                statuses[r.status_code] += 1
                if r.status_code >= 500:
                    bad.append(f"{r.status_code} {label}: {r.text[:200]}")
            except httpx.HTTPError as exc:
                statuses["transport-error"] += 1
                bad.append(f"transport error {label}: {exc}")
    return statuses, bad


def long_text(base: str, n: int = 20) -> dict | None:
    """Latency of the longest free-text query the API accepts (POST /similar)."""
    words = (
        "unga nyanlända kvinnor praktik vården kompetens samverkan digital glesbygd "
        "arbetsmarknaden utbildning handledare jämställdhet"
    ).split()
    rnd = random.Random(5)
    with httpx.Client(base_url=base, timeout=120) as c:
        if not c.get("/health").json()["similarity_index"]:
            return None
        spec = c.get("/openapi.json").json()
        limit = spec["components"]["schemas"]["SimilarTextRequest"]["properties"]["text"].get("maxLength", 20_000)
        lat, statuses = [], Counter()
        for _ in range(n):
            text = " ".join(rnd.choice(words) + str(rnd.randrange(10_000)) for _ in range(limit // 8))[:limit]
            t = time.perf_counter()
            statuses[c.post("/similar", json={"text": text, "k": 10}).status_code] += 1
            lat.append((time.perf_counter() - t) * 1000)
    return {
        "chars": limit,
        "requests": n,
        "p50_ms": round(statistics.median(lat), 1),
        "max_ms": round(max(lat), 1),
        "statuses": dict(statuses),
    }


# ----------------------------------------------------------------------------- load


def load(base: str, ids: list[str], total: int, clients: int) -> dict:
    rnd = random.Random(11)
    with httpx.Client(base_url=base) as c:
        themes = [t["theme_id"] for t in c.get("/themes").json()] or ["integration"]
        has_index = c.get("/health").json()["similarity_index"]
    words = [
        "unga",
        "nyanlända",
        "kvinnor",
        "praktik",
        "vården",
        "kompetens",
        "samverkan",
        "digital",
        "glesbygd",
        "arbetsmarknaden",
        "utbildning",
        "handledare",
        "jämställdhet",
    ]

    def make():
        kind = rnd.choice(
            ["list", "list", "project", "project", "themes", "stats"]
            + (["similar_id", "similar_text", "similar_post"] if has_index else [])
        )
        lo = rnd.randrange(0, 20_000_000, 500_000)
        if kind == "list":
            return (
                kind,
                "GET",
                "/projects",
                {
                    "theme": rnd.choice(themes),
                    "region": rnd.choice(REGIONS),
                    "min_budget": lo,
                    "max_budget": lo + 10_000_000,
                    "limit": 20,
                },
                None,
            )
        if kind == "project":
            return kind, "GET", "/projects/" + quote(rnd.choice(ids), safe="/~"), None, None
        if kind == "themes":
            return kind, "GET", "/themes", {"region": rnd.choice(REGIONS)}, None
        if kind == "stats":
            return kind, "GET", "/stats/themes", [("by", "region"), ("by", "year"), ("theme", rnd.choice(themes))], None
        if kind == "similar_id":
            return kind, "GET", "/projects/" + quote(rnd.choice(ids), safe="/~") + "/similar", {"k": 10}, None
        text = " ".join(rnd.sample(words, 5))
        if kind == "similar_text":
            return kind, "GET", "/similar", {"text": text, "k": 10}, None
        return kind, "POST", "/similar", None, {"text": text, "k": 10, "period_from": "2012"}

    plan = [make() for _ in range(total)]
    lat: dict[str, list[float]] = defaultdict(list)
    statuses: Counter = Counter()
    lock = threading.Lock()
    it = iter(plan)

    def worker():
        with httpx.Client(base_url=base, timeout=60) as c:
            for _ in range(5):  # warm-up, not counted
                c.get("/health")
            while True:
                with lock:
                    job = next(it, None)
                if job is None:
                    return
                kind, method, path, params, body = job
                t = time.perf_counter()
                try:
                    status = c.request(method, path, params=params, json=body).status_code
                except httpx.HTTPError:
                    status = "transport-error"
                ms = (time.perf_counter() - t) * 1000
                with lock:
                    lat[kind].append(ms)
                    statuses[status] += 1

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    every = [x for xs in lat.values() for x in xs]
    out = {
        "clients": clients,
        "requests": len(every),
        "seconds": round(wall, 2),
        "req_per_s": round(len(every) / wall, 1),
        "statuses": {k: v for k, v in statuses.items()},
        "all": {
            "p50_ms": round(statistics.median(every), 1),
            "p95_ms": round(pct(every, 95), 1),
            "p99_ms": round(pct(every, 99), 1),
        },
    }
    for kind, xs in sorted(lat.items()):
        out[kind] = {
            "n": len(xs),
            "p50_ms": round(statistics.median(xs), 1),
            "p95_ms": round(pct(xs, 95), 1),
            "p99_ms": round(pct(xs, 99), 1),
        }
    return out


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of ``pid`` and its children (Linux /proc), else None."""
    total = 0.0
    try:
        pids = [pid] + [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        for p in pids:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
    return total


def _loadavg() -> str | None:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=500, help="projects in the generated store")
    ap.add_argument("--store", help="use this existing store instead")
    ap.add_argument("--index", help="… and this similarity index")
    ap.add_argument("--max-requests", type=int, default=6000, help="fuzz: at most this many requests")
    ap.add_argument("--max-seconds", type=float, default=240, help="fuzz: at most this long")
    ap.add_argument("--load-requests", type=int, default=2000, help="load: requests in total (0: no load test)")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    ap.add_argument("--show-personal", action="store_true", help="serve unredacted records")
    ap.add_argument("--no-fuzz", action="store_true")
    ap.add_argument("--url", help="test a server already running on 127.0.0.1 (with --store: its store, for the ids)")
    args = ap.parse_args()

    if args.store:
        store, index = args.store, args.index
    else:
        work = Path(tempfile.mkdtemp(prefix="fuzz_api_"))
        t = time.perf_counter()
        store, index = build(args.n, work)
        print(f"built store of {args.n} projects + index in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    from pipeline.store import open_store

    with open_store(store) as st:
        ids = st.ids()
    if args.url:
        if httpx.URL(args.url).host not in ("127.0.0.1", "localhost"):
            raise SystemExit("--url: only a server on 127.0.0.1")
        proc, base = None, args.url.rstrip("/")
    else:
        proc, base = start_server(store, index, args.show_personal, args.workers)
    report: dict = {
        "projects": len(ids),
        "workers": args.workers,
        "cores": os.cpu_count(),
        "loadavg_before": _loadavg(),
    }
    failed = False
    try:
        if not args.no_fuzz:
            t = time.perf_counter()
            statuses, bad = fuzz(base, ids, args.max_requests, args.max_seconds)
            report["fuzz"] = {
                "requests": sum(statuses.values()),
                "seconds": round(time.perf_counter() - t, 1),
                "by_status": {str(k): v for k, v in sorted(statuses.items(), key=str)},
            }
            print("fuzz responses by status: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=str)))
            fivexx = sum(v for k, v in statuses.items() if isinstance(k, int) and k >= 500)
            print(f"5xx: {fivexx}")
            for line in bad[:50]:
                print("  " + line)
            failed = bool(bad)
        if not args.no_fuzz:
            report["long_text"] = long_text(base)
            lt = report["long_text"]
            if lt:
                print(
                    f"POST /similar with {lt['chars']:,} characters: p50 {lt['p50_ms']} ms, max {lt['max_ms']} ms "
                    f"({lt['requests']} sequential requests, statuses {lt['statuses']})"
                )
        if args.load_requests:
            cpu0 = _cpu_seconds(proc.pid) if proc else None
            res = load(base, ids, args.load_requests, args.clients)
            cpu1 = _cpu_seconds(proc.pid) if proc else None
            if cpu0 is not None and cpu1 is not None:
                res["server_cpu_ms_per_request"] = round(1000 * (cpu1 - cpu0) / max(1, res["requests"]), 2)
            res["loadavg_after"] = _loadavg()
            report["load"] = res
            a = res["all"]
            print(
                f"load: {res['requests']} mixed requests, {res['clients']} clients, {res['req_per_s']} req/s: "
                f"p50 {a['p50_ms']} ms, p95 {a['p95_ms']} ms, p99 {a['p99_ms']} ms "
                f"(server CPU {res.get('server_cpu_ms_per_request')} ms/request; load average before "
                f"{report['loadavg_before']}, after {res['loadavg_after']})"
            )
            for kind, v in res.items():
                if isinstance(v, dict) and "n" in v:
                    print(
                        f"  {kind:13s} n={v['n']:4d}  p50 {v['p50_ms']:6.1f}  p95 {v['p95_ms']:6.1f}  p99 {v['p99_ms']:6.1f} ms"
                    )
            if any(not isinstance(k, int) or k >= 400 for k in res["statuses"]):
                print(f"load: unexpected statuses {res['statuses']}")
                failed = True
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(json.dumps(report, ensure_ascii=False))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
