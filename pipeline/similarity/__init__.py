"""Similar projects: embeddings, a hybrid (dense + lexical) index, queries.

Runner entry point: :func:`update_index`; queries: :class:`SimilarIndex`;
CLI: :func:`pipeline.similarity.cli.similar`.
"""

from .index import SimilarIndex, load_config, update_index

__all__ = ["SimilarIndex", "load_config", "update_index"]
