"""A share link's parameters, by what they are: the sidebar's filters (`filters.URL_KEYS`), a
page's own choices, or neither.

The filters are written into a link (`to_query_params`) and read back from one
(`from_query_params`, which names every value it could not take).

A page writes each of its own choices into the address under one of the keys below (its widget
is bound to the URL), as the label the widget shows (`group_by=Vendor`, `coming_years=3+years`).
The app names a choice it could not take in the sidebar (ui/links.py); a command given the link
(`--url`) takes the choices it has too (`collaborate`'s grouping, `coming`'s years) and names the
rest as not used (`unused_note`), so a pasted link never answers something else with no word.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

from citydata.core import boroughs
from citydata.core.text import join_words, shorten
from citydata.query import corrections, filters
from citydata.query.filters import CHOICES, DATE_KEYS, SEARCH_KEY, FilterState

# How a page setting is named in a note (the URL parameter of each page's bound widget). Every
# widget that changes what a page shows is bound to the URL under one of these names (see the
# README's "Share a view" for the few that are not, and why).
PAGE_SETTING_LABELS = {
    "metric": "map colouring",
    "window": "window",
    "share_vendor": "vendor",
    "profile": "borough",
    "profile_help": "system to find helpers for",
    "group_by": "grouping",
    "include_ended": "ended contracts setting",
    "collab_group": "group",
    "market_by": "ranking",
    "market_role": "way of counting",
    "market_top": "number of vendors to show",
    "hhi_threshold": "concentration threshold",
    "vendor_profile": "vendor",
    "adoption_system": "system",
    "pipeline_window": "window",
    "pipeline_list": "list",
    "coming_years": "number of years",
    "coming_show": "quarter figures",
    "coverage_view": "view",
    "calendar_view": "calendar view",
    "calendar_measure": "shading",
    "calendar_month": "month",
    "timeline_group": "timeline grouping",
    "h_borough": "borough",
    "h_kind": "snapshots compared",
    "reconcile": "borough",
}


def setting_label(key: str) -> str:
    """How the page setting bound to the URL as `key` is named to the user."""
    if key.endswith("_view") and key not in PAGE_SETTING_LABELS:
        return "view"  # a chart's Chart/Table tabs (ui.chart_and_table)
    return boroughs.reword(PAGE_SETTING_LABELS.get(key, key))  # 'council' outside London


def is_page_setting(key: str) -> bool:
    return key in PAGE_SETTING_LABELS or key.endswith("_view")


@dataclass(frozen=True)
class Link:
    page: str  # the page's address, its last part ("collaborate"; "" for the Overview)
    params: dict[str, list[str]]

    def choices(self) -> dict[str, str]:
        """Every parameter that is not a filter, as written (the last, when repeated): a
        page's own choices, and anything else a link was given. Streamlit's own `embed`
        options (how the page is framed) are left out: they never change what it shows."""
        return {
            key: values[-1]
            for key, values in self.params.items()
            if key not in filters.URL_KEYS and not key.startswith("embed")
        }


class BadLink(ValueError):
    """Text that cannot be read as a link at all (`http://[::1`), said in words."""


def read(url: str) -> Link:
    """The link's page and parameters; BadLink for text that is no link (Python's own words
    for it, "Invalid IPv6 URL", are never shown)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        raise BadLink(
            f"“{shorten(url.strip(), 80)}” cannot be read as a link: copy it again from the app "
            "(Copy link, at the top of every page)."
        ) from None
    page = parts.path.rstrip("/").rpartition("/")[2]
    return Link(page, parse_qs(parts.query))


def unused_note(link: Link, used: Collection[str], user: str) -> str | None:
    """A sentence naming the link's parameters that `user` did not use (all but `used`), or
    None when it used them all. `user` as said: "`export`" (a command), "an alert"."""
    left = {k: v for k, v in link.choices().items() if k not in used}
    if not left:
        return None
    own = [f"{setting_label(k)} “{shorten(v, 60)}”" for k, v in left.items() if is_page_setting(k)]
    other = [unknown_parameter(k, v) for k, v in left.items() if not is_page_setting(k)]
    parts = [f"its {label} (a choice of its page that {user} does not have)" for label in own]
    parts += other
    return (
        f"Not used from the link: {join_words(parts)}, so the answer can differ from what its page "
        "showed."
    )


def unknown_parameter(key: str, value: str) -> str:
    """A parameter the app never writes, named as such, with the nearest it does write (a
    mistyped `boroguh=Camden` selects nothing: every borough is shown)."""
    near = difflib.get_close_matches(key, [*filters.URL_KEYS, *PAGE_SETTING_LABELS], 1, 0.75)
    hint = f"; did you mean {near[0]}?" if near else ""
    return f"“{shorten(f'{key}={value}', 60)}” (not a setting of this app{hint})"


def to_query_params(state: FilterState) -> dict[str, list[str]]:
    """URL parameters for a state: repeated keys for lists, ISO dates, defaults left out."""
    out: dict[str, list[str]] = {}
    for choice in CHOICES:
        if values := getattr(state, choice.key):
            out[choice.key] = list(values)
    for key in DATE_KEYS:
        if value := getattr(state, key):
            out[key] = [value.isoformat()]
    if state.q.strip():
        out[SEARCH_KEY] = [state.q.strip()]
    return out


def from_query_params(
    params: Mapping[str, Iterable[str]],
    options: Mapping[str, Iterable[str]] | None = None,
) -> tuple[FilterState, list[str]]:
    """A state from URL parameters, and a note for every value that was dropped or changed.

    With `options` (a choice key to its valid values) the state is also `normalise`d.
    """
    notes: list[str] = []
    values: dict[str, Any] = {}
    for choice in CHOICES:
        values[choice.key] = tuple(_dedupe(params.get(choice.key, ())))
    for key in DATE_KEYS:
        raw = list(params.get(key, ()))
        if raw and raw[0]:
            try:
                values[key] = date.fromisoformat(raw[0])
            except ValueError:
                notes.append(
                    f"{corrections.quoted_few(raw[:1])} is not a date (use YYYY-MM-DD); ignored."
                )
    q = list(params.get(SEARCH_KEY, ()))
    values[SEARCH_KEY] = q[0] if q else ""
    state = FilterState(**values)
    if options is None:
        return state, notes
    state, dropped = corrections.normalise(state, options)
    return state, dropped + notes


def _dedupe(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))
