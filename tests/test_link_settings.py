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


# A borough name that is really a link, an outside image and a colour directive.
HOSTILE_BOROUGH = "[Sign in again](https://example.org/phish) ![x](https://example.org/x.png)"


def test_an_unknown_borough_in_a_profile_link_is_named_as_plain_text(db_path):
    at = open_page("pages/borough.py", {"profile": HOSTILE_BOROUGH})
    notes = [w.value for w in at.sidebar.warning]
    said = [shown(n) for n in notes if "The link's borough" in shown(n)]
    assert said, [shown(n) for n in notes]
    # The value is named as it was given (cut to 60 characters), and nothing is chosen instead.
    assert "“[Sign in again](https://example.org/phish) ![x](https://exa" in said[0]
    assert said[0].endswith("showing none.")
    assert not any(inert(n) for n in notes)  # no link, image or directive: text only
    assert at.selectbox(key="profile").value is None


def test_a_known_borough_in_a_profile_link_gives_no_note(db_path):
    at = open_page("pages/borough.py", {"profile": "Camden"})
    assert not at.sidebar.warning, [shown(w.value) for w in at.sidebar.warning]
    assert at.selectbox(key="profile").value == "Camden"
