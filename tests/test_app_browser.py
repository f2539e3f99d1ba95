"""One end-to-end review in a real browser: Debian's chromium driven by Playwright against `streamlit run`.

On the small synthetic workspace (tests/app_fixture.py): search, open a counterpart pair, mark it `equal`
with a note, reload and see the decision, export the crosswalk as CSV and find the row. Screenshots go to
test-artifacts/; with CROSSWALK_UPDATE_SCREENSHOTS=1 they also replace the README's docs/screenshots/search.png
and review.png (a plain test run leaves tracked files alone).

Never runs `playwright install`: it uses /usr/bin/chromium.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from app_fixture import PAIR, XSS_ID, build_workspace

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ROOT / "docs" / "screenshots"
WAIT = 120_000  # ms: the first search loads the embedding model, on a busy two-core machine
IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
NOTE = "Both forbid paying yield to holders"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`streamlit run app.py` on 127.0.0.1 and a free port, on the synthetic workspace; stopped afterwards."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from crosswalk.bench.app_startup import free_port, stop, wait_healthy
    from crosswalk.app_pages.launch import app_command

    ws = build_workspace(tmp_path_factory.mktemp("browser-ws"))
    port = free_port()
    argv, env = app_command(ws, "127.0.0.1", port)
    log = (tmp_path_factory.mktemp("logs") / "streamlit.log").open("w")
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, **env, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    try:
        wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", proc, timeout=120)
        yield f"http://127.0.0.1:{port}", ws
    finally:
        stop(proc, grace=15)
        log.close()


@pytest.fixture()
def page(server, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        pg = context.new_page()
        pg.set_default_timeout(WAIT)
        dialogs: list[str] = []
        pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        pg.dialogs = dialogs
        yield pg
        context.close()
        browser.close()


def settle(page) -> None:
    """Wait until Streamlit has finished the current run (its running indicator is gone)."""
    time.sleep(0.8)
    page.wait_for_function(IDLE, timeout=WAIT)
    time.sleep(0.3)


def shoot(page, name: str, readme: bool = False, max_height: int = 2400) -> None:
    """A screenshot of the whole page. Streamlit scrolls inside its main element, not the document, so the
    viewport is stretched to the main element's height (at most `max_height` px) for the picture."""
    ARTIFACTS.mkdir(exist_ok=True)
    size = page.viewport_size
    height = page.evaluate("() => { const m = document.querySelector('[data-testid=stMain]');"
                           " if (m) { m.scrollTop = 0; return m.scrollHeight; } return 0; }")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(height) + 20, max_height))})
    time.sleep(0.5)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    page.set_viewport_size(size)
    if readme and os.environ.get("CROSSWALK_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ARTIFACTS / f"{name}.png", SCREENSHOTS / f"{name}.png")


def test_review_flow_in_a_real_browser(server, page, tmp_path):
    base, ws = server
    page.goto(base + "/")
    page.get_by_label("Reviewer", exact=True).fill("Ana Browser")
    page.get_by_label("Reviewer", exact=True).press("Enter")
    settle(page)

    # search
    box = page.get_by_label("Search the provisions", exact=True)
    box.fill("permitted issuer interest yield holder")
    box.press("Enter")
    page.get_by_text("Find counterparts").first.wait_for()
    settle(page)
    assert page.get_by_text("Test Payment Stablecoin Act").first.is_visible()
    # the first answer may be BM25 alone while the model loads; once it is in memory the same URL is hybrid
    loading = page.get_by_text("The embedding model is still loading")
    deadline = time.monotonic() + WAIT / 1000
    while loading.count() and time.monotonic() < deadline:
        time.sleep(2)
        page.reload()
        page.get_by_text("Find counterparts").first.wait_for()
        settle(page)
    assert loading.count() == 0, "the search never moved on from BM25 to hybrid"
    shoot(page, "search", readme=True, max_height=1300)

    # open the counterpart pair of the first hit (sec.4(c)): its best UK candidate is CRYPTO 2.4.33R
    page.get_by_role("button", name=re.compile("Find counterparts")).first.click()
    page.get_by_text("Candidates in UK, best first").wait_for()
    settle(page)
    assert "left=" in page.url and "review" in page.url
    page.locator("label").filter(has_text=re.compile(r"^\d+\. CRYPTO 2\.4\.33R")).first.click()
    settle(page)
    page.get_by_text("shared terms: holder").wait_for()  # the pair's shared defined term is named

    # decide: equal, with a note
    page.locator("label").filter(has_text=re.compile(r"^equal$")).first.click()
    page.locator("label").filter(has_text=re.compile(r"^semantic$")).first.click()
    strength = page.get_by_role("slider").first  # "not set", then 0 … 10
    strength.focus()
    for _ in range(9):
        strength.press("ArrowRight")
    page.get_by_text("Strength (0 weak – 10 strong)").wait_for()
    page.get_by_label("Note", exact=True).fill(NOTE)
    page.get_by_role("button", name="Save decision").click()
    page.get_by_text("Saved: equal by Ana Browser").wait_for()
    settle(page)
    shoot(page, "review", readme=True)

    # reload: the same pair, with the decision in its history
    page.reload()
    page.get_by_text("History of this pair").wait_for()
    settle(page)
    history = page.locator("[data-testid='stTable']").last.inner_text()
    assert "equal" in history and "semantic" in history and NOTE in history and "Ana Browser" in history

    # export CSV from the crosswalk page and find the row
    page.get_by_role("link", name="Crosswalk").click()
    page.get_by_text("Coverage by topic").wait_for()
    settle(page)
    with page.expect_download() as info:
        page.get_by_role("button", name=re.compile("Export CSV")).click()
    target = tmp_path / "crosswalk.csv"
    info.value.save_as(target)
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    mine = [r for r in rows if r["comments"] == NOTE]
    assert len(mine) == 1
    assert (mine[0]["relationship"], mine[0]["rationale"], mine[0]["strength"], mine[0]["reviewer"]) == (
        "equal", "semantic", "8", "Ana Browser")
    assert (mine[0]["focal_element"], mine[0]["reference_element"]) == PAIR
    shoot(page, "crosswalk")

    # the provision with markup in its text shows it literally, and nothing ran
    page.goto(f"{base}/review?left={XSS_ID}")
    page.get_by_text("Candidates in US, best first").wait_for()
    settle(page)
    text = page.locator("[data-testid='stMarkdownContainer']").filter(has_text="alert(1)").first.inner_text()
    assert "<script>alert(1)</script>" in text and "<b>bold</b>" in text
    assert page.locator("[data-testid='stMarkdownContainer'] script").count() == 0
    assert page.dialogs == []
    shoot(page, "review-markup")
