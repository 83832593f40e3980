"""Every page's own choices are in its link: a link naming a choice opens the page on it, and a
link naming something the page cannot show is named in the sidebar (as for the filters).

The browser side (choosing on screen writes the address; the copied link opened afresh shows the
same view) is tests/browser/test_links_browser.py.
"""

from __future__ import annotations

import pytest

from citydata.query import expiry
from citydata.query.filters import FilterState
from tests.apptest import shown
from tests.test_security import open_page

# (page, the link's settings as a person's link carries them, what each widget then holds)
TAKEN = [
    ("pages/overview.py", {"coverage_view": "Table"}, {"coverage_view": "Table"}),
    (
        "pages/calendar.py",
        {"calendar_view": "Timeline", "timeline_group": "Service area"},
        {"calendar_view": "Timeline", "timeline_group": "service_area"},
    ),
    (
        "pages/calendar.py",
        {"calendar_measure": "Annual value (£)"},
        {"calendar_measure": "annual_value"},
    ),
    ("pages/pipeline.py", {"pipeline_list": "Already ended"}, {"pipeline_list": "Already ended"}),
    ("pages/coming.py", {"coming_show": "Decisions due"}, {"coming_show": "deciding"}),
    (
        "pages/collaborate.py",
        {"include_ended": "true", "group_by": "Vendor"},
        {"include_ended": True, "group_by": "vendor"},
    ),
    ("pages/history.py", {"h_borough": "Camden"}, {"h_borough": "Camden"}),
    # Streamlit binds by the shown label: a link naming one was once called "cannot be used".
    ("pages/market.py", {"market_by": "Boroughs served"}, {"market_by": "boroughs"}),
    ("pages/market.py", {"market_by": "Records"}, {"market_by": "records"}),  # the default
    ("pages/market.py", {"areas_view": "Table"}, {"areas_view": "Table"}),
    ("pages/map.py", {"metric": "Records"}, {"metric": "records"}),  # the default
    (
        "pages/map.py",
        {"metric": "Contracts ending", "window": "Next 12 months"},  # the window's default
        {"metric": "ending", "window": 12},
    ),
    ("pages/pipeline.py", {"pipeline_window": "12 months"}, {"pipeline_window": 12}),  # default
    ("pages/coming.py", {"coming_years": "2 years"}, {"coming_years": 2}),  # the default
]


@pytest.mark.parametrize(
    "page, params, held", TAKEN, ids=[f"{p}-{'-'.join(q)}" for p, q, _ in TAKEN]
)
def test_a_link_opens_the_page_on_its_choices_without_a_note(db_path, page, params, held):
    at = open_page(page, params)
    assert not at.sidebar.warning, [shown(w.value) for w in at.sidebar.warning]
    for key, value in held.items():
        assert at.session_state[key] == value, key


def test_a_link_opens_the_calendar_on_its_month(db, db_path):
    with db.read() as r:
        months = expiry.month_options(expiry.heatmap(r, FilterState()))
    key, label = list(months.items())[-1]  # the latest month: never the default one
    at = open_page("pages/calendar.py", {"calendar_view": "One month", "calendar_month": label})
    assert not at.sidebar.warning, [shown(w.value) for w in at.sidebar.warning]
    assert at.session_state["calendar_month"] == key
    assert any(m.value.endswith(f"ending in {label}**") for m in at.markdown)


DROPPED = [
    ("pages/overview.py", {"coverage_view": "Pie"}, "view “Pie”"),
    ("pages/calendar.py", {"calendar_view": "Agenda"}, "calendar view “Agenda”"),
    ("pages/calendar.py", {"calendar_month": "Smarch 2027"}, "month “Smarch 2027”"),
    ("pages/calendar.py", {"timeline_group": "__class__"}, "timeline grouping “__class__”"),
    ("pages/calendar.py", {"calendar_measure": "Colour"}, "shading “Colour”"),
    ("pages/pipeline.py", {"pipeline_list": "Decide in the next 12 months (3)"}, "list “Decide"),
    ("pages/coming.py", {"coming_show": "Everything"}, "quarter figures “Everything”"),
    ("pages/collaborate.py", {"collab_group": "99. Nothing"}, "group “99. Nothing”"),
    ("pages/history.py", {"h_borough": "Camdem"}, "borough “Camdem”"),
]


@pytest.mark.parametrize(
    "page, params, named", DROPPED, ids=[f"{p}-{'-'.join(q)}" for p, q, _ in DROPPED]
)
def test_a_choice_the_page_cannot_show_is_named(db_path, page, params, named):
    at = open_page(page, params)
    notes = [shown(w.value) for w in at.sidebar.warning]
    assert any(named in n and "cannot be used here" in n for n in notes), notes


def test_a_parameter_no_page_has_is_named_not_silently_ignored(db_path):
    """A link with `boroguh=Camden` (mistyped) showed every borough with no word said."""
    at = open_page("pages/overview.py", {"boroguh": "Camden", "coverage_view": "Table"})
    notes = [shown(w.value) for w in at.sidebar.warning]
    assert notes == [
        "The link's “boroguh=Camden” (not a setting of this app; did you mean borough?) was not "
        "used."
    ], notes


@pytest.mark.parametrize(
    ("page", "params", "expected"),
    [
        ("pages/overview.py", {"borough": "Camden"}, "(/citytools?borough=Camden)"),
        ("pages/borough.py", {"profile": "Camden"}, "(/citytools/borough?profile=Camden)"),
    ],
)
def test_the_link_to_share_keeps_the_server_s_base_path(
    db_path, monkeypatch, page, params, expected
):
    """Served under a base path (`server.baseUrlPath`), the line under a page links to the page
    under that path, from whichever address the visitor opened."""
    import streamlit as st

    from tests.apptest import run_app

    monkeypatch.setattr(st, "get_option", _with_base_path(st.get_option))

    at = run_app(params, page)
    shared = [c.value for c in at.caption if "[this link](" in c.value]
    assert len(shared) == 1 and expected in shared[0], shared


def _with_base_path(get_option):
    return lambda key: "citytools" if key == "server.baseUrlPath" else get_option(key)


def test_a_link_the_history_page_made_is_not_called_a_setting_the_app_does_not_have(db_path):
    """The History page writes which stream it compares (`h_kind`) into its address: its own
    link, opened again, said "“h_kind=Published notices” (not a setting of this app) was not
    used"."""
    at = open_page("pages/history.py", {"h_borough": "Camden", "h_kind": "Published notices"})
    notes = [shown(w.value) for w in at.sidebar.warning]
    assert not [n for n in notes if "h_kind" in n], notes


def test_every_choice_a_page_writes_into_its_address_is_known_as_a_page_setting():
    """Every widget bound to the URL is a filter or a page setting with a name, so a link the
    app made is never called one with a setting the app does not have."""
    import re
    from pathlib import Path

    from citydata.query import filters, links

    bound = set()
    for path in [*Path("pages").glob("*.py"), *Path("ui").rglob("*.py"), Path("app.py")]:
        for call in re.findall(r"\((?:[^()]|\([^()]*\))*?bind=\"query-params\"", path.read_text()):
            bound.update(re.findall(r'key="(\w+)"', call))
    assert len(bound) > 20
    assert [
        k for k in sorted(bound) if k not in filters.URL_KEYS and not links.is_page_setting(k)
    ] == []
