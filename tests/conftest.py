from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
DEV = SHARED / "dev"
CORPUS = ROOT / "corpus"
SPINE = ("clean", "segment", "metadata", "sections")


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


AXE_CACHE = ROOT / ".cache" / "browser" / "node_modules" / "axe-core" / "axe.min.js"  # where .ci/browser.sh puts it


@pytest.fixture(scope="session")
def browser_tools() -> tuple[str, Path]:
    """(Chromium executable, axe-core's axe.min.js) for the headless-browser tests.

    Chromium: ``PIPELINE_CHROMIUM`` or ``chromium`` on PATH (Debian's package); axe-core:
    ``PIPELINE_AXE_JS`` or ``.cache/browser`` (``.ci/browser.sh`` installs both). Missing
    ones skip the test with the reason; with ``PIPELINE_REQUIRE_BROWSER=1`` (set by CI)
    that is an error instead, as ``PIPELINE_REQUIRE_SHARED`` does for the shared folder.
    """
    import shutil

    chromium = os.environ.get("PIPELINE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    axe = Path(os.environ.get("PIPELINE_AXE_JS") or AXE_CACHE)
    missing = []
    if not chromium:
        missing.append("Chromium (Debian: apt-get install chromium)")
    if not axe.is_file():
        missing.append(f"axe-core (npm install --prefix .cache/browser axe-core@4; looked for {axe.name})")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("Playwright for Python (pip install -e '.[dev]')")
    if missing:
        reason = "needs " + ", ".join(missing)
        if os.environ.get("PIPELINE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"PIPELINE_REQUIRE_BROWSER=1 but the browser test {reason} (run .ci/browser.sh)")
        pytest.skip(reason)
    return chromium, axe


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
