"""Streamlit's legacy `pages/` folder mode, switched off: the one place that touches Streamlit's
internals for it (`PagesManager.uses_pages_directory`, Streamlit 1.67).

Why. Streamlit decides, when the first session of a server process starts, whether the app uses
the legacy multipage mode: yes, because a `pages/` folder sits beside app.py (the layout this
project's users asked for). The mode is switched off only when `st.navigation` runs. Until then
every run goes through Streamlit's legacy runner, which runs the requested page file on its own:
without app.py, so without its navigation (a steward page could open, and every file in pages/
is listed), its page settings and the sidebar filters. That happens when a server's very first
request opens a page by its address (a shared link after a restart).

What. At the top of every page (`ui.page_filters`, `ui.steward.inside_app`), a run that is not
inside app.py switches the mode off and runs again: the new run goes through app.py, on the same
page and URL. `tests/test_pagesdir.py` fails if a Streamlit upgrade renames the attribute or
drops the legacy runner, and `tests/browser/test_pagesdir_browser.py` opens a page as a fresh
server's first request and waits for the sidebar filters.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def legacy_mode() -> bool:
    """Whether this process still runs page files on their own (Streamlit's legacy mode)."""
    return bool(PagesManager.uses_pages_directory)


def run_through_app() -> None:
    """Switch the legacy mode off for this process and run this session again, through app.py.

    Nothing of this run is kept: the rerun starts from app.py before anything is drawn.
    """
    PagesManager.uses_pages_directory = False
    st.rerun()


def inside_app() -> bool:
    """Whether this run went through app.py, which leaves the sidebar filters for the page."""
    return "filters" in st.session_state


def ensure_inside_app() -> None:
    """Stop a page file that runs on its own, and run it again through app.py.

    Only when both say so: the legacy mode is on and app.py has not run (a rerun drops a
    click's trigger, so never rerun a run that did go through app.py).
    """
    if legacy_mode() and not inside_app():
        run_through_app()
