"""Signing in, in a real browser (Debian's chromium, Playwright) against `streamlit run` on a team workspace: the
synthetic workspace's store in a real PostgreSQL server (CROSSWALK_DATABASE_URL), with two accounts.

- an unsigned visitor sees only the sign-in form, on any page's URL;
- a viewer can read, but has no way to save a decision;
- a reviewer's decision records the account's name (from the session, not from any text box);
- five wrong passwords in a row lock the sign-in: the next attempt, even with the right password, is told to
  wait (the lock is in the database).

The lock test runs last: it locks this browser's address too.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from app_fixture import PAIR, build_workspace
from test_app_browser import ARGS, CHROMIUM, WAIT, settle

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def team(tmp_path_factory, postgres):
    """(base URL, database URL): the app on 127.0.0.1 over a PostgreSQL store with a reviewer and a viewer."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from crosswalk.bench.app_startup import free_port, stop, wait_healthy
    from crosswalk.review.accounts import Accounts
    from crosswalk.app_pages.launch import app_command

    url = postgres.new_database("app")
    ws = build_workspace(tmp_path_factory.mktemp("team-ws"), database_url=url)
    with Accounts(url) as accounts:
        accounts.add("rita", PASSWORD, "reviewer")
        accounts.add("vic", PASSWORD, "viewer")
        accounts.add("lou", PASSWORD, "reviewer")
    port = free_port()
    argv, env = app_command(ws, "127.0.0.1", port)
    log = (tmp_path_factory.mktemp("logs") / "streamlit.log").open("w")
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, **env, "CROSSWALK_DATABASE_URL": url, "HF_HUB_OFFLINE": "1",
                                 "TRANSFORMERS_OFFLINE": "1"})
    try:
        wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", proc, timeout=120)
        yield f"http://127.0.0.1:{port}", url
    finally:
        stop(proc, grace=15)
        log.close()
    assert PASSWORD not in (log.name and Path(log.name).read_text()), "the password reached the server log"


@pytest.fixture()
def page(team):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = context.new_page()
        pg.set_default_timeout(WAIT)
        yield pg
        context.close()
        browser.close()


def sign_in(page, name: str, password: str) -> None:
    page.get_by_label("Account", exact=True).fill(name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    settle(page)


def decisions(url: str) -> list[tuple]:
    from crosswalk.review.decisions import DecisionStore

    with DecisionStore(url) as ds:
        return [(d.left_id, d.right_id, d.relationship, d.reviewer) for d in ds.all()]


def test_an_unsigned_visitor_sees_only_the_sign_in_form(team, page):
    base, _ = team
    for path in ("/", f"/review?left={PAIR[0]}&right={PAIR[1]}", "/crosswalk"):
        page.goto(base + path)
        page.get_by_role("button", name="Sign in").wait_for()
        settle(page)
        assert page.get_by_label("Password", exact=True).is_visible()
        body = page.locator("body").inner_text()
        for hidden in ("Search the provisions", "Reserves", "Decision", "History of this pair", "Coverage by topic",
                       "provisions", "Reviewer"):
            assert hidden not in body, f"{hidden!r} shown before sign-in at {path}"
        assert page.get_by_role("link", name="Review").count() == 0


def test_a_viewer_cannot_save_a_decision(team, page):
    base, url = team
    before = decisions(url)
    page.goto(f"{base}/review?left={PAIR[0]}&right={PAIR[1]}")
    sign_in(page, "vic", PASSWORD)
    page.get_by_text("Signed in as vic (viewer)").wait_for()  # on the page asked for
    page.get_by_text("History of this pair").wait_for()
    settle(page)
    assert page.get_by_text("you can read and export the crosswalk, not save decisions").is_visible()
    assert page.get_by_role("button", name="Save decision").count() == 0
    assert page.get_by_role("button", name="Save and next").count() == 0
    assert decisions(url) == before


def test_a_reviewers_decision_records_the_account(team, page):
    base, url = team
    page.goto(f"{base}/review?left={PAIR[0]}&right={PAIR[1]}")
    sign_in(page, "rita", PASSWORD)
    page.get_by_text("Signed in as rita (reviewer)").wait_for()
    page.get_by_text("History of this pair").wait_for()
    settle(page)
    assert page.get_by_label("Reviewer", exact=True).count() == 0  # no name to type: the account decides
    page.locator("label").filter(has_text="equal").first.click()
    page.get_by_role("button", name="Save decision").click()
    page.get_by_text("Saved: equal by rita").wait_for()
    assert decisions(url)[-1] == (PAIR[0], PAIR[1], "equal", "rita")


def test_five_wrong_passwords_in_a_row_are_slowed_down(team, page):
    base, _ = team
    page.goto(base + "/")
    page.get_by_role("button", name="Sign in").wait_for()
    for i in range(4):
        sign_in(page, "lou", f"wrong guess {i}")
        page.get_by_text("wrong name or password").first.wait_for()
        assert page.get_by_text("try again in").count() == 0
    sign_in(page, "lou", "wrong guess 5")
    page.get_by_text("too many failed sign-ins: try again in 30 s").wait_for()
    sign_in(page, "lou", PASSWORD)  # the right password, during the lock
    page.get_by_text("too many failed sign-ins: try again in").wait_for()
    assert page.get_by_role("button", name="Sign in").is_visible()
    assert page.get_by_text("Signed in as").count() == 0
