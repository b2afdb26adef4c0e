"""The record JSON Schema, kept in the repo as record.schema.json.

The committed file is generated from :class:`pipeline.record.Record`
(``python -m pipeline schema > pipeline/schema/record.schema.json``);
a test checks the two agree, so the schema can never drift silently.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from ..record import SCHEMA_VERSION, Record

SCHEMA_FILE = Path(__file__).with_name("record.schema.json")


def record_schema() -> dict[str, Any]:
    schema = Record.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://esf-pipeline.example/schema/record-{SCHEMA_VERSION}.json"
    schema["title"] = "ESF project document record"
    # Metadata keys are present only when the document states them.
    meta = schema["$defs"]["Metadata"]
    for prop in meta["properties"].values():
        if "anyOf" in prop:
            prop["anyOf"] = [t for t in prop["anyOf"] if t.get("type") != "null"]
            prop.pop("default", None)
    schema["properties"]["schema_version"]["const"] = SCHEMA_VERSION
    return schema


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(
        json.loads(SCHEMA_FILE.read_text(encoding="utf-8")), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def validate_record(data: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.path)) or '<root>'}: {e.message}" for e in _validator().iter_errors(data)]


def validate_records(path: str | Path) -> list[str]:
    problems = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                for p in validate_record(json.loads(line)):
                    problems.append(f"line {n}: {p}")
    return problems
