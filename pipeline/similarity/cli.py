"""Moved to :mod:`pipeline.cli.similar`; the name stays importable from here."""

from ..cli.similar import similar  # noqa: F401
