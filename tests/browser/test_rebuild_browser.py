"""An unusable database file: the app explains, rebuilds on request and keeps the old file."""

from __future__ import annotations

from citydata.core import demo
from tests.browser.conftest import run_server, settle


def test_rebuild_from_the_embedded_data_keeps_the_unusable_file(tmp_path, page, artifacts):
    db = tmp_path / "citytools.duckdb"
    junk = b"this is not a database\n" * 500
    db.write_bytes(junk)
    with run_server(db) as server:
        page.goto(server.url)
        settle(page)
        assert page.get_by_text("The database cannot be used").is_visible()
        page.screenshot(path=artifacts / "rebuild-offer.png")
        page.get_by_role("button", name="Rebuild from the embedded data").click()
        settle(page)
        page.get_by_text("Rebuilt from the embedded data").wait_for()
        embedded = sum(1 for _ in demo.EMBEDDED_CSV.open(encoding="utf-8")) - 1
        assert page.get_by_test_id("stMetricValue").first.inner_text() == f"{embedded:,}"
        page.screenshot(path=artifacts / "rebuild-done.png")
    kept = list(tmp_path.glob("citytools.duckdb.unusable-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == junk
