"""Metadata stage: typed, normalised fields the document states (see :mod:`pipeline.metadata.stage`)."""

from .extract import MetadataExtractor
from .stage import MetadataConfig, MetadataStage

__all__ = ["MetadataStage", "MetadataConfig", "MetadataExtractor"]
