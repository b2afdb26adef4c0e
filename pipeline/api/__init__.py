"""Read-only HTTP API over the project store: ``create_app(store, index=...)``."""

from .app import app_from_env, create_app

__all__ = ["app_from_env", "create_app"]
