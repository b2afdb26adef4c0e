"""Stages declare the record fields they read and write; the pipeline checks the order."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pipeline.errors import ConfigError, PipelineError, StageOrderError
from pipeline.pipeline import Pipeline
from pipeline.record import Record
from pipeline.stages import check_order, describe, register, registered

DEFAULT_ORDER = ["clean", "segment", "metadata", "sections", "ner", "themes", "summary"]


@pytest.fixture(autouse=True)
def _registry_restored():
    """Stages registered by a test leave the registry with it."""
    import pipeline.stages as S

    registered()  # the built-in stages first
    before = dict(S._REGISTRY)
    yield
    S._REGISTRY.clear()
    S._REGISTRY.update(before)


def test_every_builtin_stage_declares_fields_of_the_record():
    fields = set(Record.model_fields)
    for info in describe(registered()):
        assert info.writes, info.name
        assert set(info.reads) | set(info.writes) <= fields


def test_ner_declares_that_it_reads_metadata_and_sentences():
    (ner,) = describe(["ner"])
    assert {"metadata", "sentences"} <= set(ner.reads)


def test_default_order_is_valid():
    check_order(DEFAULT_ORDER)


def test_pipeline_whose_order_breaks_a_dependency_gets_a_clear_error():
    config = {"pipeline": {"stages": ["clean", "ner", "segment", "metadata"]}}
    with pytest.raises(StageOrderError) as err:
        Pipeline(config)
    msg = str(err.value)
    assert "stage 'ner' reads record field 'sentences'" in msg
    assert "written by stage 'segment', which comes after it" in msg
    assert isinstance(err.value, ConfigError) and isinstance(err.value, PipelineError)


def test_a_missing_writer_stage_is_named():
    with pytest.raises(StageOrderError, match=r"'metadata'.*not in the pipeline: add it before 'themes'"):
        check_order(["clean", "sections", "themes"])


def test_register_refuses_undeclared_or_unknown_fields():
    with pytest.raises(TypeError, match="must declare reads"):

        @register("test_undeclared")
        class Undeclared:
            writes = ("summary",)

    with pytest.raises(TypeError, match="not fields of Record"):

        @register("test_unknown_field")
        class Unknown:
            reads = ("text",)
            writes = ("nosuchfield",)

    assert "test_undeclared" not in registered() and "test_unknown_field" not in registered()


def test_cleaning_to_nothing_is_an_ingest_error_whatever_the_stage_is_called():
    from pipeline.errors import IngestError

    @register("test_blank")
    class Blank:
        reads = ("text",)
        writes = ("text",)

        def __init__(self, config):
            pass

        def __call__(self, record):
            return record.model_copy(update={"text": "  "})

    nlp = Pipeline({"pipeline": {"stages": ["test_blank"]}})
    rec = Record(id="x", source="x", sha256="0", format="txt", text="Hej.")
    with pytest.raises(IngestError) as err:
        nlp(rec)
    assert err.value.kind == "empty"


def test_stages_command_prints_reads_and_writes_in_order():
    out = subprocess.run(
        [sys.executable, "-m", "pipeline", "stages"], capture_output=True, text=True, check=True
    ).stdout
    lines = out.splitlines()
    assert lines[0].split() == ["stage", "reads", "writes"]
    names = [ln.split()[0] for ln in lines[1 : 2 + len(DEFAULT_ORDER)]]
    assert names == ["ingest", *DEFAULT_ORDER]
    ner = next(ln for ln in lines if ln.startswith("ner "))
    assert "metadata" in ner and "entities, entity_counts" in ner


def test_process_with_a_broken_order_is_a_usage_error(tmp_path):
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline",
            "process",
            "corpus",
            "--out",
            str(tmp_path),
            "--exclude",
            "segment",
            "--no-store",
            "--no-index",
        ],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2
    assert "'sentences'" in res.stderr and "segment" in res.stderr
