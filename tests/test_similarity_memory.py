"""Memory per document in the similar-projects index is bounded (one pasted megabyte of letters)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from pipeline.paths import ROOT

resource = pytest.importorskip("resource")

LIMIT = 2_500 * 1024 * 1024  # address space of the child process

SCRIPT = textwrap.dedent(
    """
    import resource, sys, tempfile
    from pathlib import Path
    resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
    from pipeline.record import Record
    from pipeline.similarity.index import SimilarIndex, load_config, update_index

    prose = ("Projektet ska ge unga som varken arbetar eller studerar stöd att hitta praktik och arbete. " * 20)
    import random, string
    blob = "".join(random.Random(0).choices(string.ascii_letters, k=1_100_000))  # ~1 MB run of letters (base64-like)
    recs = [
        Record(id="long", source="long.txt", sha256="a", format="txt", title="Lång sida", text=prose + blob + " " + prose),
        Record(id="short", source="short.txt", sha256="b", format="txt", title="Kort sida", text=prose),
        Record(id="other", source="other.txt", sha256="c", format="txt", title="Annan",
               text="Industriföretag utbildar anställda som varslats om uppsägning i svetsning och CNC-teknik. " * 10),
    ]
    for over in ({{}}, {{"encoder": {{"type": "static", "path": "models/embeddings/sv-e5-static"}},
                        "hybrid": {{"weights": {{"dense": 0.5}}}}}}):
        d = Path(tempfile.mkdtemp())
        update_index(d, recs, load_config(overrides=over))
        idx = SimilarIndex.load(d)
        assert idx.query_id("short", k=1)[0]["id"] == "long"
        assert idx.query_text("unga praktik arbete " + blob, k=1)[0]["id"] in ("long", "short")
    print("ok")
    """
)


def test_one_megabyte_token_indexes_under_a_memory_limit(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(SCRIPT.format(limit=LIMIT), encoding="utf-8")
    r = subprocess.run(
        [sys.executable, str(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
    )
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-2000:]
