"""The record JSON Schema (record.schema.json) and validation (see :mod:`pipeline.schema.validate`)."""

from .validate import SCHEMA_FILE, record_schema, validate_record, validate_records

__all__ = ["SCHEMA_FILE", "record_schema", "validate_record", "validate_records"]
