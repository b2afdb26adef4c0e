"""Read-only HTTP API over the project store: ``create_app(store, index=...)``."""
from .app import create_app

__all__ = ["create_app"]
