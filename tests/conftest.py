from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
CORPUS = ROOT / "corpus"
SPINE = ("clean", "metadata", "sections")


def seed_path(prefix: str) -> Path:
    matches = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    assert matches, f"seed {prefix} not found in {SEEDS} (the shared/ folder must sit beside the repo)"
    return matches[0]


@pytest.fixture(scope="session")
def spine():
    """A pipeline with only the spine stages (fast; no models)."""
    from pipeline.config import load_config
    from pipeline.pipeline import Pipeline

    cfg = load_config()
    cfg["pipeline"]["stages"] = list(SPINE)
    return Pipeline(cfg)


@pytest.fixture(scope="session")
def seed_records(spine):
    return {p.name[:3]: spine.process_file(p) for p in sorted(SEEDS.glob("*.txt"))}
