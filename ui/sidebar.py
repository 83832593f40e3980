"""The sidebar's filters: drawn by app.py on every run, bound to the URL, and read by every
page (`page_filters`)."""

from __future__ import annotations

import streamlit as st

from citydata import lifecycle
from citydata.query import corrections, filters, selection
from citydata.query.filters import FilterState
from ui import datefields, links
from ui.reading import data_version, filter_options, read
from ui.text import plain


def page_filters() -> FilterState:
    """The sidebar filters app.py drew for this run; call at the top of every page.

    Without them the page file is running on its own, not through app.py (a server's very first
    request opening a page by its address: see ui.pagesdir); then it runs again through app.py.
    """
    from ui import pagesdir

    if not pagesdir.inside_app():
        pagesdir.run_through_app()
    return st.session_state["filters"]


SOURCE_HELP = (
    "With both (nothing picked), a published notice matched to a register record counts once, "
    "as the register record: its dates, service area and system are the register's, and the "
    "filters decide by them. With published notices alone, each notice counts with its own, so "
    "a contract-end range can keep a notice whose register record it leaves out, or the other "
    "way round. The Reconciliation page shows where the two disagree."
)


def sidebar_filters() -> FilterState:
    """Draw the filters in the sidebar, bound to the URL, and return the user's selection."""
    options = filter_options(str(lifecycle.db_path()), data_version())
    links.note_invalid_url_values(
        options, lambda given: read(lambda r: selection.regrouped(r, given))
    )
    with st.sidebar:
        st.header("Filters")
        for choice in filters.CHOICES:
            st.multiselect(
                choice.shown,
                options[choice.key],
                key=choice.key,
                bind="query-params",
                placeholder=f"All {choice.noun} values" if choice.key == "hosting" else "All",
                help=SOURCE_HELP if choice.key == "source_kind" else None,
            )
        st.caption("Contract ends")
        # One above the other: side by side, each box was too narrow to show a whole date.
        st.date_input("From", value=None, key="end_from", bind="query-params", format="DD/MM/YYYY")
        st.date_input("To", value=None, key="end_to", bind="query-params", format="DD/MM/YYYY")
        datefields.enter_applies_dates()
        st.text_input(
            "Search",
            key="q",
            bind="query-params",
            placeholder="system, vendor, reference…",
            max_chars=200,
        )
        st.button("Clear filters", on_click=_clear_filters, width="stretch")
        for note in st.session_state.get("_url_notes", []):
            st.warning(plain(note, links.URL_NOTE_LIMIT), icon=":material/info:")
    state = filters.state_from_widgets({k: st.session_state.get(k) for k in filters.URL_KEYS})
    state, notes = corrections.normalise(state, options)  # the same clean-up as the command line's
    for note in notes:
        st.sidebar.warning(note, icon=":material/info:")
    return state


def _clear_filters() -> None:
    for choice in filters.CHOICES:
        st.session_state[choice.key] = []
    for key in filters.DATE_KEYS:
        st.session_state[key] = None
    st.session_state[filters.SEARCH_KEY] = ""
    st.session_state["_url_notes"] = []
