"""An unusable database file: the app explains; a signed-in data steward rebuilds it, and the
old file is kept. A visitor is offered no rebuild."""

from __future__ import annotations

from citydata.core import demo
from tests.browser.conftest import expect, run_server, settle

PASSWORD = "correct horse battery staple"


def test_a_steward_rebuilds_from_the_embedded_data_and_the_unusable_file_is_kept(
    tmp_path, page, artifacts
):
    db = tmp_path / "citytools.duckdb"
    junk = b"this is not a database\n" * 500
    db.write_bytes(junk)
    with run_server(db, {"CITYTOOLS_UPLOAD_PASSWORD": PASSWORD}) as server:
        page.goto(server.url)
        settle(page)
        expect(page.get_by_text("The database cannot be used")).to_be_visible()
        expect(page.get_by_text("A data steward can rebuild it")).to_be_visible()
        assert page.get_by_role("button", name="Rebuild from the embedded data").count() == 0
        page.screenshot(path=artifacts / "rebuild-visitor.png")

        page.get_by_role("link", name="Sign in").click()
        settle(page)
        page.get_by_role("textbox", name="Your name or email").fill("Ann Steward")
        page.get_by_role("textbox", name="Upload password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        settle(page)
        rebuild = page.get_by_role("button", name="Rebuild from the embedded data")
        rebuild.wait_for()
        page.screenshot(path=artifacts / "rebuild-offer.png")
        rebuild.click()
        settle(page)
        page.get_by_text("Rebuilt from the embedded data").wait_for()
        page.screenshot(path=artifacts / "rebuild-done.png")
        page.get_by_role("link", name="Overview").click()
        settle(page)
        embedded = sum(1 for _ in demo.EMBEDDED_CSV.open(encoding="utf-8")) - 1
        assert page.get_by_test_id("stMetricValue").first.inner_text() == f"{embedded:,}"
    kept = list(tmp_path.glob("citytools.duckdb.unusable-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == junk
