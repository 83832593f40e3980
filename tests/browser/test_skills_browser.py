"""Who can help, in a real browser: from a borough profile's peers, a person picks one of the
borough's systems; the boroughs that can help appear, most skilled named first, the borough
itself left out, and the choice is in the page's address, so the view can be shared."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from citydata.query import skills
from citydata.query.filters import FilterState
from tests.browser.conftest import settle
from tests.browser.test_upload_browser import pick


def test_a_profile_peer_leads_to_who_can_help_and_the_link_keeps_it(server, page, db, artifacts):
    system = db.scalar(
        "SELECT system FROM current_contracts WHERE system IN (SELECT system FROM"
        " current_contracts WHERE borough = 'Camden') AND borough <> 'Camden'"
        " AND skill_level = 'Expert' GROUP BY system ORDER BY count(*) DESC, system LIMIT 1"
    )
    with db.read() as r:
        expected = skills.in_words(skills.who_can_help(r, FilterState(), system, "Camden"), system)
    page.goto(f"{server.url}/borough?profile=Camden")
    settle(page)
    pick(page, "Which system?", system)

    assert "Most skilled in house:" in expected and "Camden (" not in expected
    assert shown_sentence(page, system) == expected
    assert parse_qs(urlsplit(page.url).query)["profile_help"] == [system]
    page.screenshot(path=artifacts / "who-can-help.png", full_page=True)

    page.goto(page.url)  # the shared link opens the same view
    settle(page)
    assert shown_sentence(page, system) == expected


def shown_sentence(page, system: str) -> str:
    """The "who can help" sentence as the reader sees it (invisible word joiners aside)."""
    found = page.get_by_test_id("stMarkdown").filter(has_text=f"run {system}").first
    found.wait_for()
    return found.inner_text().replace("\u2060", "").strip()
