"""A data steward signs in, uploads a register, fixes a column, commits, compares, rolls back.

Run against a real `streamlit run` with an upload password, in Chromium. Visitors who have not
signed in cannot reach the upload page, not even by its address.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import expect, run_server, settle
from tests.test_upload_app import camden_register

PASSWORD = "correct horse battery staple"


def pick(page, label: str, option: str, where: str = "stMain") -> None:
    box = page.get_by_test_id(where).get_by_role("combobox", name=label)
    box.scroll_into_view_if_needed()
    box.click()
    page.keyboard.type(option)  # as a person narrows a long list; it also opens the list
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


def links_to(page, path: str) -> int:
    """How many links on the page lead to the app's page at `path`."""
    # Read in one step: asking link by link, a link that a rerun has just removed is waited for.
    hrefs = page.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href') || '')")
    return sum(h == path or h.endswith(f"/{path}") for h in hrefs)


@pytest.fixture
def steward_server(built_db, tmp_path):
    db = tmp_path / "citytools.duckdb"
    shutil.copyfile(built_db, db)
    with run_server(db, {"CITYTOOLS_UPLOAD_PASSWORD": PASSWORD}) as srv:
        yield srv


def test_without_signing_in_the_upload_page_shows_only_the_sign_in_form(
    steward_server, page, artifacts
):
    # The first request of a fresh server (the app's own recovery) and later ones: the upload
    # page offers the sign-in form and nothing else; the other steward pages lead nowhere.
    for path in ("upload", "backup", "upload?borough=Camden"):
        page.goto(f"{steward_server.url}/{path}")
        settle(page)
        # The first request runs the page file on its own, listing every file in pages/, then
        # again through app.py (ui/pagesdir.py); on a loaded machine the second run can start
        # after the page has been still for a while. Its navigation says it has run.
        nav = page.get_by_test_id("stSidebar").get_by_role("link", name="Overview", exact=True)
        nav.wait_for()
        settle(page)
        assert page.locator('input[type="file"]').count() == 0
        assert links_to(page, "backup") == 0 and links_to(page, "aliases") == 0
        assert links_to(page, "upload") == 1 and links_to(page, "sign_in") == 1
        if path.startswith("upload"):
            expect(page.get_by_role("textbox", name="Upload password")).to_be_visible()
        else:  # sent to the Overview: the link it offers to copy is the Overview's
            page.keyboard.press("Escape")  # Streamlit's "Page not found" notice
            page.get_by_role("dialog").wait_for(state="hidden")
            page.get_by_role("button", name="Copy link").first.click()
            code = page.get_by_test_id("stPopoverBody").get_by_test_id("stCode").first
            code.wait_for()
            assert urlsplit(code.inner_text()).path in ("", "/"), code.inner_text()
        page.screenshot(path=artifacts / f"not-signed-in-{path[:6]}.png", full_page=True)
        page.keyboard.press("Escape")
    page.get_by_role("link", name="Sign in").click()
    settle(page)
    page.screenshot(path=artifacts / "sign-in-password.png", full_page=True)
    page.get_by_role("textbox", name="Your name or email").fill("Mallory")
    page.get_by_role("textbox", name="Upload password").fill("guess")
    page.get_by_role("button", name="Sign in").click()
    settle(page)
    page.get_by_text("That password is not right.").wait_for()
    assert page.locator('input[type="file"]').count() == 0


class Steward:
    """A steward's hands: every click, typed field, key and chosen file is counted."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def click(self, locator) -> None:
        self.count += 1
        locator.scroll_into_view_if_needed()
        locator.click()
        settle(self.page)

    def fill(self, name: str, text: str) -> None:
        self.count += 1
        self.page.get_by_role("textbox", name=name).fill(text)

    def press(self, key: str) -> None:
        self.count += 1
        self.page.keyboard.press(key)
        settle(self.page)

    def choose_file(self, path) -> None:
        self.count += 1
        self.page.locator('input[type="file"]').set_input_files(path)
        settle(self.page)

    def pick(self, label: str, option: str) -> None:  # click the box, type, choose: three
        self.count += 3
        pick(self.page, label, option)


def test_from_the_home_page_to_the_new_data_signing_in_on_the_upload_page(
    steward_server, page, artifacts, tmp_path
):
    """The whole path, counted: open Upload, sign in there, upload, choose the borough, commit,
    see the borough's new data. Before sign-in moved onto the upload page, the same path took
    14 interactions (Sign in link, name, password, Sign in, Upload a register link, file,
    borough x3, Commit, See the new data, then the sidebar's Borough filter x3)."""
    page.set_viewport_size({"width": 1280, "height": 900})
    register = tmp_path / "camden register.csv"
    content = camden_register(steward_server.db)
    register.write_bytes(content)
    rows = len(content.decode("utf-8-sig").splitlines()) - 1
    page.goto(steward_server.url)
    settle(page)
    ann = Steward(page)
    ann.click(page.get_by_role("link", name="Upload"))
    expect(page.get_by_role("heading", name="Upload a register")).to_be_visible()
    assert page.get_by_test_id("stSidebar").get_by_role("combobox").count() == 0, "no filters"
    page.screenshot(path=artifacts / "upload-sign-in-here-1280.png", full_page=True)
    ann.fill("Your name or email", "Ann Steward")
    ann.fill("Upload password", PASSWORD)
    ann.press("Enter")
    page.locator('input[type="file"]').wait_for(state="attached")
    expect(page.get_by_role("heading", name="Upload a register"), "same page").to_be_visible()
    ann.choose_file(register)
    page.get_by_text("Recognised as").wait_for()
    check = page.get_by_test_id("stMain")
    expect(check.get_by_text("choose above which borough it is for")).to_be_visible()
    assert check.get_by_text("cannot be imported").count() == 0
    assert check.get_by_text("No problems found").count() == 0
    page.screenshot(path=artifacts / "upload-choose-borough-1280.png", full_page=True)
    ann.pick("Which borough is this file for?", "Camden")
    page.get_by_text("What will change").wait_for()
    page.screenshot(path=artifacts / "upload-preview-1280.png", full_page=True)
    ann.click(page.get_by_role("button", name="Commit"))
    page.get_by_text("Stored 1 new snapshot: Camden (snapshot 34).").wait_for()
    ann.click(page.get_by_role("link", name="See the new data for Camden"))
    page.wait_for_url("**/?borough=Camden")
    settle(page)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Camden", exact=True), "the Borough filter is set").to_be_visible()
    assert page.get_by_test_id("stMetricValue").first.inner_text() == f"{rows:,}"
    page.screenshot(path=artifacts / "upload-new-data-camden-1280.png", full_page=True)
    assert ann.count == 10, ann.count


def test_sign_in_upload_fix_a_column_commit_compare_and_roll_back(
    steward_server, page, artifacts, tmp_path
):
    register = tmp_path / "camden register.csv"
    content = camden_register(steward_server.db, vendor_header="Who we pay")
    lines = content.decode("utf-8-sig").splitlines()
    bad = lines[1].split(",")
    bad[5] = "31/02/2027"  # Contract end: not a real date, so the row is refused
    register.write_bytes(("\n".join([*lines, ",".join(bad)]) + "\n").encode("utf-8-sig"))
    accepted = len(lines) - 1

    page.goto(f"{steward_server.url}/sign_in")
    settle(page)
    page.get_by_role("textbox", name="Your name or email").fill("Ann Steward")
    page.get_by_role("textbox", name="Upload password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    settle(page)
    page.get_by_text("Signed in as Ann Steward").wait_for()
    page.screenshot(path=artifacts / "upload-signed-in.png", full_page=True)
    for name in ("Vendor names", "Backup and restore", "Sign out"):  # no filters that do nothing
        page.get_by_role("link", name=name).click()
        settle(page)
        assert page.get_by_test_id("stSidebar").get_by_role("combobox").count() == 0, name
    assert links_to(page, "upload") >= 1

    page.get_by_role("link", name="Upload a register").click()
    settle(page)
    page.locator('input[type="file"]').set_input_files(register)
    settle(page)
    page.get_by_text("Recognised as").wait_for()
    pick(page, "Which borough is this file for?", "Camden")
    expect(page.get_by_text("no column was found for the vendor").first).to_be_visible()
    page.screenshot(path=artifacts / "upload-mapping-needed.png", full_page=True)

    pick(page, "Vendor", "Who we pay")
    page.get_by_text("What will change").wait_for()
    metrics = page.get_by_test_id("stMetricValue").all_inner_texts()
    assert metrics[:3] == [f"{accepted + 1:,}", f"{accepted:,}", "1"]
    expect(page.get_by_text("Problems in rows (1)")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").first.click()
    problems = list(csv.DictReader(io.StringIO(info.value.path().read_text("utf-8-sig"))))
    assert [(p["Value"], p["Outcome"]) for p in problems] == [("31/02/2027", "not imported")]
    assert problems[0]["Row"] == str(accepted + 2) and problems[0]["Column"] == "Contract end"
    page.screenshot(path=artifacts / "upload-preview.png", full_page=True)

    page.get_by_role("button", name="Commit").click()
    settle(page)
    page.get_by_text("Stored 1 new snapshot: Camden (snapshot 34).").wait_for()
    page.screenshot(path=artifacts / "upload-committed.png", full_page=True)

    page.get_by_role("link", name="See the new data for Camden").click()
    settle(page)
    assert page.get_by_test_id("stMetricValue").first.inner_text() == f"{accepted:,}"
    assert page.get_by_text("Illustrative data").count() == 0
    page.screenshot(path=artifacts / "upload-overview-camden.png", full_page=True)

    page.get_by_role("link", name="History").click()
    settle(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("1 removed, 1 changed").first).to_be_visible()
    page.screenshot(path=artifacts / "history-compare.png", full_page=True)
    main.get_by_role("tab", name=re.compile("Changed")).click()
    page.screenshot(path=artifacts / "history-compare-changed.png", full_page=True)
    with page.expect_download() as info:  # made on click, for a steward still (guarded)
        main.get_by_role("button", name="Download the file of snapshot 34, as received").click()
    assert info.value.path().read_bytes() == register.read_bytes()

    main.get_by_role("button", name="Roll back Camden to snapshot 7").click()
    settle(page)
    main.get_by_text("Camden is back to the records of snapshot 7").wait_for()
    page.screenshot(path=artifacts / "history-rolled-back.png", full_page=True)


def test_with_no_sign_in_configured_the_page_says_how_to_enable_uploads(server, page, artifacts):
    page.goto(f"{server.url}/sign_in")
    settle(page)
    expect(page.get_by_text("Uploading is switched off")).to_be_visible()
    assert page.get_by_test_id("stMain").get_by_role("textbox").count() == 0
    assert links_to(page, "upload") == 0
    page.screenshot(path=artifacts / "sign-in-not-configured.png", full_page=True)
