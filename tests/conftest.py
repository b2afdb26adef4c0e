from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
DEV = SHARED / "dev"
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


def pytest_collection_modifyitems(config, items):
    """Tests marked ``shared`` need the shared data folder (``../shared``: seeds, dev set, NER corpora).

    Without it they are skipped with one reason, as on a user's fresh clone; with ``PIPELINE_REQUIRE_SHARED=1``
    (set by CI) a missing folder is an error instead, so nothing is skipped there.
    """
    if SEEDS.is_dir():
        return
    if os.environ.get("PIPELINE_REQUIRE_SHARED") == "1":
        raise pytest.UsageError(f"PIPELINE_REQUIRE_SHARED=1 but the shared data folder is missing: {SHARED}")
    skip = pytest.mark.skip(reason="needs the shared data folder (../shared beside the repository), which is absent")
    for item in items:
        if "shared" in item.keywords:
            item.add_marker(skip)
