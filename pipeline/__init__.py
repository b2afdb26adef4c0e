"""Read Swedish ESF project documents into structured, registry-ready records."""

__version__ = "0.3.0"

from .record import SCHEMA_VERSION, Record  # noqa: E402

__all__ = ["Record", "SCHEMA_VERSION", "Pipeline", "__version__"]


def __getattr__(name):  # lazy: importing the record model must stay cheap
    if name == "Pipeline":
        from .pipeline import Pipeline

        return Pipeline
    raise AttributeError(name)
