"""Wrong upload passwords are counted by the server: five from one browser lock that name out
of another browser too (its own context: no shared cookies, storage or Streamlit session), with
a message that says what happened and how long to wait. The README promises it; the AppTest
sessions of tests/test_lockout.py show the rule, this shows it over a real server.
"""

from __future__ import annotations

import re
import shutil

import pytest

from citydata.core import stewards
from tests.browser.conftest import expect, forget, run_server, settle

PASSWORD = "correct horse battery staple"
LOCKED = re.compile(r"Too many wrong passwords\. Try again in \d+ minutes?\.")


@pytest.fixture
def steward_server(built_db, tmp_path):
    db = tmp_path / "citytools.duckdb"
    shutil.copyfile(built_db, db)
    with run_server(db, {"CITYTOOLS_UPLOAD_PASSWORD": PASSWORD}) as srv:
        yield srv


def open_sign_in(page, url: str):
    """The sign-in page in `page`."""
    page.goto(f"{url}/sign_in")
    settle(page)
    page.get_by_role("heading", name="Data stewards").wait_for()
    return page


def sign_in(page, name: str, password: str) -> None:
    page.get_by_role("textbox", name="Your name or email").fill(name)
    page.get_by_role("textbox", name="Upload password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    settle(page)


def test_wrong_passwords_in_one_browser_lock_the_name_in_another(
    steward_server, page, colleague, artifacts
):
    # Three browsers, as far as the server can tell: the test's, a colleague's (another
    # context: no cookie or storage shared), and the test's again after forgetting all.
    guesser = open_sign_in(page, steward_server.url)
    for _ in range(stewards.MAX_FAILURES - 1):
        sign_in(guesser, "Ann Steward", "guess")
        guesser.get_by_text("That password is not right.").wait_for()
        assert guesser.get_by_text(LOCKED).count() == 0
    sign_in(guesser, "Ann Steward", "guess")
    guesser.get_by_text(LOCKED).wait_for()
    # No form to guess in. The run that counts the fifth wrong password says so and runs the
    # page again without the form: wait for that run, not for the first sight of the message.
    guesser.get_by_role("button", name="Sign in").wait_for(state="detached")
    settle(guesser)
    expect(guesser.get_by_text(LOCKED)).to_be_visible()
    guesser.screenshot(path=artifacts / "lockout-first-browser.png", full_page=True)
    forget(page.context)  # the first browser gone, and all it kept

    # Another browser: a fresh form, but the name stays locked, even with the right password.
    ann = open_sign_in(colleague, steward_server.url)
    sign_in(ann, "Ann Steward", PASSWORD)
    message = ann.get_by_text(LOCKED)
    message.wait_for()
    expect(message).to_be_visible()
    assert ann.get_by_role("link", name="Upload a register").count() == 0
    assert ann.get_by_text("Signed in").count() == 0
    ann.screenshot(path=artifacts / "lockout-second-browser.png", full_page=True)

    # The lock is on the name, not on the server: another name signs in from a third browser.
    bob = open_sign_in(page.context.new_page(), steward_server.url)
    sign_in(bob, "Bob Steward", PASSWORD)
    bob.get_by_text("Signed in as Bob Steward").wait_for()
    # The sidebar's list of pages gains the upload pages in the same run, but the browser can
    # draw the page's text before the sidebar: wait for the link rather than look at once.
    bob.get_by_role("link", name="Upload a register").wait_for()
    expect(bob.get_by_role("link", name="Upload a register")).to_be_visible()
    assert bob.get_by_text(LOCKED).count() == 0
