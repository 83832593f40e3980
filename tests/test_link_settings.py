"""A page setting in a link that the page cannot take is named in the sidebar, as the sidebar
filters already are, instead of silently falling back to the default."""

from __future__ import annotations

import pytest

from tests.apptest import inert, shown
from tests.test_security import open_page

CASES = [
    ("pages/market.py", {"market_top": "-5"}, "number of vendors to show “-5”", "showing 10"),
    ("pages/map.py", {"metric": "__class__"}, "map colouring “__class__”", "showing records"),
    ("pages/collaborate.py", {"window": "-3"}, "window “-3”", "showing"),
]


@pytest.mark.parametrize("page, params, named, fallback", CASES, ids=[c[0] for c in CASES])
def test_a_setting_the_page_cannot_take_is_named(db_path, page, params, named, fallback):
    at = open_page(page, params)
    notes = [w.value for w in at.sidebar.warning]
    said = [shown(n) for n in notes if named in shown(n)]
    assert said, [shown(n) for n in notes]
    assert fallback in said[0]
    assert not any(inert(n) for n in notes)


def test_a_setting_the_page_takes_gives_no_note(db_path):
    at = open_page("pages/market.py", {"market_top": "12"})
    assert not at.sidebar.warning, [shown(w.value) for w in at.sidebar.warning]
    assert at.number_input(key="market_top").value == 12


def test_a_setting_of_a_widget_not_on_the_page_is_not_called_dropped(db_path):
    at = open_page("pages/map.py", {"window": "24"})  # only used under "contracts ending"
    assert not at.sidebar.warning, [shown(w.value) for w in at.sidebar.warning]
