"""Command line: ``python -m pipeline`` / ``esf-pipeline`` (one package for every command).

* :mod:`pipeline.cli.main` — the app, ``process``, ``stages``, ``schema``, ``validate``;
* :mod:`pipeline.cli.similar` — ``similar``;
* :mod:`pipeline.cli.registry` — ``export``, ``serve``.
"""

from .main import app, main

__all__ = ["app", "main"]


def _after_batch(cfg, store_url, with_index, quiet=True):
    """Deprecated name of :func:`pipeline.batch.store_and_index` (kept for older callers)."""
    from ..batch import store_and_index

    return store_and_index(cfg, store_url, with_index)
