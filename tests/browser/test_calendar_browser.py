"""A programme lead looks at when contracts end, adds the dates to a calendar, and downloads a
briefing on a group of boroughs that could buy together."""

from __future__ import annotations

import csv
import io

import docx
from icalendar import Calendar

from citydata import lifecycle
from tests.browser.conftest import POLL_MS, settle

MARKS = """(chart) => {
    const svg = chart.querySelector('svg');
    if (!svg) return null;
    const box = svg.getBoundingClientRect();
    const count = (sel) => svg.querySelectorAll(sel).length;
    const marks = (type, el) => count(`g.mark-${type}.role-mark ${el}`);
    return {width: box.width, height: box.height, rects: marks('rect', 'path'),
            rules: marks('rule', 'line'), symbols: marks('symbol', 'path'),
            texts: marks('text', 'text')};
}"""


def open_page(page, server, path: str) -> None:
    """The page opened by its address (the shared server has served the home page already;
    the home page opened first was a full page load more, 3-5 CPU s)."""
    page.goto(f"{server.url}/{path}")
    settle(page)


def visible_chart(page):
    chart = page.locator('[data-testid="stVegaLiteChart"]:visible').first
    chart.locator("svg").first.wait_for(state="visible")
    # Drawn: the chart has marks, and the same marks on two animation frames in a row.
    chart.evaluate(
        f"""(chart) => new Promise((done) => {{
            const marks = {MARKS};
            let last = null;
            const look = () => {{
                const now = JSON.stringify(marks(chart));
                if (now === last && now !== 'null' && chart.querySelector('g.role-mark')) done();
                else {{ last = now; requestAnimationFrame(look); }}
            }};
            look();
        }})"""
    )
    return chart


def test_heatmap_and_timeline_draw_and_the_calendar_file_downloads(
    server, page, artifacts, built_db
):
    open_page(page, server, "calendar?service_area=Housing")
    page.get_by_text("Contracts where service area is Housing").first.wait_for()

    heat = visible_chart(page).evaluate(MARKS)
    db = lifecycle.open_store(built_db)
    with db.read() as r:
        years, dated = r.rows(
            "SELECT year(max(contract_end)) - year(min(contract_end)) + 1, count(contract_end) "
            "FROM current_contracts WHERE service_area = 'Housing'"
        )[0]
    db.close()
    assert heat["width"] > 300 and heat["height"] > 100
    assert heat["rects"] >= years * 12, heat  # one cell per month, plus this month's outline
    assert heat["texts"] > 0
    page.screenshot(path=artifacts / "calendar-heatmap.png", full_page=True)

    page.get_by_role("tab", name="Timeline").click()
    settle(page)
    timeline = visible_chart(page).evaluate(MARKS)
    assert timeline["width"] > 300 and timeline["height"] > 300
    assert timeline["rects"] > 0 and timeline["symbols"] == dated, timeline
    assert timeline["rules"] >= 1, "today is marked"
    assert page.locator("svg text", has_text="Today").count() >= 1
    page.screenshot(path=artifacts / "calendar-timeline.png", full_page=True)

    page.get_by_role("tab", name="One month").click()
    settle(page)
    month = visible_chart(page).evaluate(MARKS)
    assert month["rects"] >= 28
    page.screenshot(path=artifacts / "calendar-month.png", full_page=True)

    with page.expect_download() as info:
        page.get_by_role("button", name="Download calendar (.ics)").click()
    download = info.value
    assert download.suggested_filename.endswith(".ics")
    events = Calendar.from_ical(download.path().read_bytes()).events
    assert len(events) == 2 * dated
    assert all(str(e["CATEGORIES"].cats[0]) == "Housing" for e in events)


def test_a_collaboration_group_downloads_as_a_briefing(server, page, artifacts):
    open_page(page, server, "collaborate")
    groups = page.get_by_test_id("stMetric").filter(has_text="Groups found")
    groups.wait_for()
    assert int(groups.get_by_test_id("stMetricValue").inner_text()) > 0
    page.screenshot(path=artifacts / "collaboration.png", full_page=True)

    before = page.get_by_role("combobox", name="Group").input_value()
    page.get_by_role("radio", name="Vendor", exact=True).click()
    page.wait_for_function("() => location.search.includes('group_by=Vendor')", polling=POLL_MS)
    page.wait_for_function(
        "(before) => document.querySelector('input[aria-label=\"Group\"]').value !== before",
        arg=before,
        polling=POLL_MS,
    )
    settle(page)
    chosen = page.get_by_role("combobox", name="Group").input_value()
    assert "1. " in chosen and "boroughs" in chosen
    vendor = chosen.split("1. ", 1)[1].split(":", 1)[0]

    with page.expect_download() as info:
        page.get_by_role("button", name="Download briefing (CSV)").click()
    text = info.value.path().read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len({r["Borough"] for r in rows}) >= 2
    assert {r["Vendor"] for r in rows} == {vendor}
    boroughs = int(chosen.split(": ", 1)[1].split(" boroughs")[0])
    assert len({r["Borough"] for r in rows}) == boroughs

    with page.expect_download() as info:  # every group, written by DuckDB on the click
        page.get_by_role("button", name="Download all groups (CSV)").click()
    every = list(csv.DictReader(io.StringIO(info.value.path().read_bytes().decode("utf-8-sig"))))
    first = [{k: r[k] for k in rows[0]} for r in every if r["Group"] == "1"]
    assert first == rows  # group 1 is the group chosen, its contracts in the same order
    assert len(every) > len(rows) and list(every[0])[:2] == ["Group", "Borough"]

    with page.expect_download() as info:
        page.get_by_role("button", name="Download briefing (Markdown)").click()
    markdown = info.value.path().read_text(encoding="utf-8")
    assert markdown.startswith(f"# Collaboration opportunity: {vendor}")
    assert f"{boroughs} boroughs have {len(rows)} contracts for the same vendor" in markdown
    assert "Illustrative data: the register records of" in markdown  # the default data is examples

    with page.expect_download() as info:
        page.get_by_role("button", name="Download briefing (Word)").click()
    assert info.value.suggested_filename.endswith(".docx")
    document = docx.Document(info.value.path())
    assert document.paragraphs[0].text == f"Collaboration opportunity: {vendor}"
    assert document.paragraphs[1].text.startswith("Illustrative data: the register records of")
    assert len(document.tables[0].rows) == len(rows) + 1
    page.screenshot(path=artifacts / "collaboration-vendor.png", full_page=True)
