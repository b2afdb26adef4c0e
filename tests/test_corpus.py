"""The bundled sample corpus: every stated field, title and section exact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CORPUS

EXPECTED = json.loads((Path(__file__).with_name("corpus_expected.json")).read_text(encoding="utf-8"))["files"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_document(spine, name):
    exp = EXPECTED[name]
    rec = spine.process_file(CORPUS / name)
    assert rec.format == exp["format"]
    assert rec.title == exp["title"]
    assert rec.to_json()["metadata"] == exp["metadata"]
    assert [s.key for s in rec.sections] == exp["sections"]
    assert [s.heading for s in rec.sections] == [h.rstrip(":") for h, _ in exp["section_headings"]]
    for s in rec.sections:
        assert rec.text[s.start : s.end].startswith(s.heading)
