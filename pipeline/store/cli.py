"""Moved to :mod:`pipeline.cli.registry`; these names stay importable from here."""

from ..cli.registry import StoreNotFound, export, open_existing_store, serve  # noqa: F401
