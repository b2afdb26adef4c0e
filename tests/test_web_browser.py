"""The web view in a real headless browser: Debian's Chromium driven by Playwright.

`esf-pipeline process` turns the sample corpus into a store and a similarity index, and
`esf-pipeline serve` runs in a subprocess on a free 127.0.0.1 port against them. The test
searches by free text, applies a theme and a region filter, opens a project, picks a
theme and sees its evidence highlighted, follows a similar project, opens the overview,
follows a chart cell, downloads the CSV, checks keyboard entry (skip link) and phone
width, and runs axe-core on the three pages (no serious or critical violations).

Chromium, axe-core and Playwright come from the ``browser_tools`` fixture (tests/conftest.py):
without them the test is skipped with the reason; ``PIPELINE_REQUIRE_BROWSER=1`` (set by CI)
makes that an error. ``PIPELINE_SCREENSHOTS=DIR`` writes screenshots of
the three pages to ``DIR`` (``docs/screenshots`` holds the committed ones).
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from pipeline.record import Record

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory, browser_tools):
    """`esf-pipeline process corpus/` (the invented sample documents, so the screenshots show
    no real page), then `esf-pipeline serve` on its store and index (personal data hidden)."""
    out = tmp_path_factory.mktemp("webui")
    cli = [sys.executable, "-m", "pipeline"]
    subprocess.run([*cli, "process", "corpus", "--out", str(out), "--jobs", "1", "--quiet"], cwd=ROOT, check=True)
    records = [
        Record.from_json(json.loads(line)) for line in (out / "records.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    port = _free_port()
    proc = subprocess.Popen(
        [*cli, "serve", "--store", str(out / "store.sqlite"), "--index", str(out / "index"), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                httpx.get(url + "/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read().decode(errors="replace")
                assert time.time() < deadline, "serve did not come up"
                time.sleep(0.1)
        yield url, records
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def page(browser_tools):
    from playwright.sync_api import sync_playwright

    chromium, _ = browser_tools
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True)  # never a downloaded browser
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="sv-SE")
        pg = ctx.new_page()
        pg.set_default_timeout(15_000)
        yield pg
        ctx.close()
        browser.close()


def _axe(page, axe_js: Path, where: str) -> None:
    """axe-core on the current page: no serious or critical violations."""
    page.add_script_tag(path=str(axe_js))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
    detail = "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}" for v in bad
    )
    assert not bad, f"axe-core on the {where} page: {detail}"


def _shot(page, name: str) -> None:
    folder = os.environ.get("PIPELINE_SCREENSHOTS")
    if folder:
        out = Path(folder)
        out = out if out.is_absolute() else ROOT / out
        out.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out / f"{name}.png"), full_page=False)


def test_analyst_journey_in_chromium(served, page, browser_tools):
    url, records = served
    _, axe_js = browser_tools
    # a query that has full-text matches, and a theme + region that keep some of them
    word = "nyanlända"
    target = next(r for r in records if word in r.text.casefold() and r.metadata.region and r.themes)
    theme, region = target.themes[0], target.metadata.region

    # start page; keyboard: the first Tab reaches the skip link, which moves focus to the content
    page.goto(url + "/")
    assert page.locator("html").get_attribute("lang") == "sv"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "innehall"
    _axe(page, axe_js, "search")

    # free text: full-text matches and similar projects; the URL holds the query
    page.get_by_label("Fritext").fill(word)
    page.get_by_role("button", name="Sök", exact=True).click()
    page.wait_for_url("**/?q=*")
    assert page.locator("section.hits li.result").count() > 0
    assert page.locator("section.similar li.result").count() > 0
    assert page.locator("section.similar dt", has_text="Likhet").count() > 0

    # theme and region filters
    page.get_by_label("Tema", exact=True).select_option(theme.id)
    page.get_by_label("Region", exact=True).select_option(region)
    page.get_by_role("button", name="Använd filter").click()
    page.wait_for_url("**region=*")
    assert f"theme={theme.id}" in page.url and "q=" in page.url
    hits = page.locator("section.hits li.result")
    assert hits.count() > 0
    for i in range(hits.count()):
        assert region in hits.nth(i).inner_text() and theme.label in hits.nth(i).inner_text()
    _shot(page, "search")

    # open a project, pick a theme, see its evidence highlighted in the text
    hits.first.locator("h3 a").click()
    page.wait_for_url("**/projekt/**")
    page.get_by_label("Visa belägg för tema").select_option(theme.id)
    page.get_by_role("button", name="Visa", exact=True).click()
    page.wait_for_url(f"**theme={theme.id}*")
    marks = page.locator(".doctext mark.ev")
    assert marks.count() > 0 and marks.first.is_visible()
    assert page.locator("ol.evidence li").count() > 0
    assert page.locator(".doctext .ent-ORG").count() > 0
    assert "@" not in page.locator("table.meta").inner_text()  # personal data hidden by default
    _axe(page, axe_js, "project")
    _shot(page, "project")

    # follow a similar project
    first_project = page.url.split("?")[0]
    page.locator("aside.similar li.result h3 a").first.click()
    page.wait_for_url("**/projekt/**")
    assert page.url.split("?")[0] != first_project
    assert page.locator("h1").inner_text()

    # overview: a chart cell links to the filtered list; the CSV of the current filter
    page.get_by_role("link", name="Översikt").click()
    page.wait_for_url("**/oversikt*")
    assert page.locator("table.bars").count() == 2
    _axe(page, axe_js, "overview")
    _shot(page, "overview")
    page.get_by_label("Region", exact=True).select_option(region)
    page.get_by_role("button", name="Visa", exact=True).click()
    page.wait_for_url("**region=*")
    with page.expect_download() as dl:
        page.get_by_role("link", name="Hämta urvalet som CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(dl.value.path()).read_text(encoding="utf-8-sig"))))
    want = {r.id for r in records if r.metadata.region == region}
    assert {r["id"] for r in rows} == want
    assert all(not r["email"] and not r["contact_person"] for r in rows)
    cell = page.locator("table.bars td a").first
    label = cell.get_attribute("aria-label")
    cell.click()
    page.wait_for_url("**theme=*")
    n = int(label.rsplit(":", 1)[1].split()[0])
    assert page.locator("section.hits li.result").count() == min(n, 20)

    # phone width: nothing wider than the screen
    page.set_viewport_size({"width": 375, "height": 800})
    for path in ("/", f"/projekt/{target.id}?theme={theme.id}", "/oversikt"):
        page.goto(url + path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
