"""A steward fetches published notices from the Published notices page, in Chromium, against a
real `streamlit run` and a real HTTP server on localhost replaying recorded pages.

The fetch runs in the app's background: the progress bar moves while the publisher is slow,
another visitor's page opens meanwhile, and the result and history appear when it is done.
"""

from __future__ import annotations

import re
import shutil
import threading

import pytest

from tests.browser.conftest import expect, run_server, settle
from tests.test_fetch import Replay, ok

PASSWORD = "correct horse battery staple"


@pytest.fixture
def publisher():
    replay = Replay()
    thread = threading.Thread(target=replay.serve_forever, daemon=True)
    thread.start()
    yield replay
    replay.shutdown()
    replay.server_close()


@pytest.fixture
def steward_server(built_db, tmp_path, publisher):
    db = tmp_path / "citytools.duckdb"
    shutil.copyfile(built_db, db)
    env = {
        "CITYTOOLS_UPLOAD_PASSWORD": PASSWORD,
        "CITYTOOLS_CONTRACTS_FINDER_URL": f"{publisher.base}/search",
    }
    with run_server(db, env) as srv:
        yield srv


def test_a_steward_fetches_with_a_progress_bar_while_a_visitor_reads(
    steward_server, publisher, page, colleague, artifacts
):
    publisher.play("page1", ok(publisher.page("contracts_finder_page1.json")))
    publisher.play("page2", ok(publisher.page("contracts_finder_page2.json")))
    gate = publisher.gates["page2"] = threading.Event()  # page 2 is slow to come

    page.goto(f"{steward_server.url}/sign_in")
    settle(page)
    page.get_by_role("textbox", name="Your name or email").fill("Ann Steward")
    page.get_by_role("textbox", name="Upload password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    settle(page)
    page.get_by_text("Signed in as Ann Steward").wait_for()
    page.get_by_role("link", name="Published notices").click()
    settle(page)
    main = page.get_by_test_id("stMain")
    main.get_by_role("heading", name="Published notices").wait_for()
    expect(main.get_by_text("never fetched").first).to_be_visible()

    main.get_by_role("button", name="Fetch from Contracts Finder").click()
    bar = main.get_by_test_id("stProgress")
    bar.get_by_text(re.compile(r"Page 1 of at most 50")).wait_for(timeout=60_000)
    page.screenshot(path=artifacts / "notices-fetching.png", full_page=True)
    assert main.get_by_role("button", name="Fetch from Contracts Finder").is_disabled()

    visitor = colleague  # someone else, while the fetch waits
    visitor.goto(steward_server.url)
    settle(visitor)
    visitor.get_by_test_id("stMetricValue").first.wait_for()
    assert visitor.get_by_role("link", name="Published notices").count() == 0
    visitor.close()

    gate.set()
    main.get_by_text(re.compile(r"2 pages, 4 notices read, 2 technology records")).first.wait_for(
        timeout=60_000
    )
    settle(page)
    expect(main.get_by_text(re.compile(r"Contracts Finder, last run")).first).to_be_visible()
    assert main.get_by_role("button", name="Fetch from Contracts Finder").is_enabled()
    page.screenshot(path=artifacts / "notices-fetched.png", full_page=True)
