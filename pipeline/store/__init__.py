"""Project registry store: ``open_store(path_or_url) -> Store`` (SQLite or PostgreSQL)."""

from .core import DEFAULT_FILENAME, ProjectFilter, Store, canonical_json, open_store

__all__ = ["DEFAULT_FILENAME", "ProjectFilter", "Store", "canonical_json", "open_store"]
