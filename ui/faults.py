"""A fault of the program while a page runs, said in words: never Streamlit's red box with
Python's error class, message and traceback (its default), which tells a council user nothing
they can act on. The detail goes to the server's log, where whoever runs the app finds it."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st

from citydata.core import settings
from ui.text import set_up_wrongly

log = logging.getLogger(__name__)

# The pages that only show the data, by URL path (Overview, the default page, has ""): a fault
# part-way through one changed nothing. (The others store something on a click: an upload, a
# rollback, an alert, a fetch, a restore, an alias.)
ONLY_SHOW = frozenset(
    {"", "map", "borough", "calendar", "pipeline", "collaborate", "market", "coming"}
    | {"vendor", "adoption", "reconcile"}
)


def said(page: Any) -> str:
    """What the visitor reads when `page` failed: what did not happen, whether anything was
    changed (only where it cannot have been), and what to do."""
    title = getattr(page, "title", "") or "this page"
    unchanged = " Nothing was changed." if getattr(page, "url_path", None) in ONLY_SHOW else ""
    return (
        f"Something went wrong inside City Tools Explorer, so {title} could not be shown in "
        f"full. This is a fault in the app, not in what you chose.{unchanged} Try again, or "
        "change a filter; if it happens again, please tell whoever runs the app which page it "
        "was and what you did (the server's log says where it happened)."
    )


@contextmanager
def in_words(page: Any) -> Iterator[None]:
    """Run `page`; a fault in it is logged with its traceback and shown as `said(page)`; a
    setting that cannot be used (SettingError) is named, as when the app starts.
    Streamlit's own stop and rerun (BaseException, not Exception) pass through. With
    CITYTOOLS_DEBUG set (as the tests set it) the fault is raised as it is, so that a test of a
    page that fails fails too, rather than finding a polite message."""
    try:
        yield
    except settings.SettingError as exc:  # not a fault of the program: a setting to correct
        log.warning("the page %s stopped on a setting: %s", getattr(page, "url_path", page), exc)
        set_up_wrongly(exc)
    except Exception:
        if os.environ.get(settings.DEBUG):
            raise
        log.exception("the page %s failed", getattr(page, "url_path", page))
        st.error(said(page), icon=":material/error:")


class _Panel:
    """What a panel rerunning alone (a fragment) is called in `said`: its page is not known
    then, so nothing is promised of what it may have changed."""

    title, url_path = "this part of the page", None


def fragment(fn: Callable | None = None, *, run_every: float | None = None) -> Any:
    """`st.fragment` (a panel that reruns alone when its own widgets change), with a fault in
    it said in words as `in_words` says a page's: in the panel, so that the rest of the page
    stays. As a decorator, bare or with `run_every`. (Streamlit tells fragments apart by the
    function's module and name, which `functools.wraps` keeps.)"""

    def wrap(f: Callable) -> Callable:
        @functools.wraps(f)
        def run(*args: Any, **kwargs: Any) -> Any:
            with in_words(_Panel):
                return f(*args, **kwargs)

        return st.fragment(run, run_every=run_every)

    return wrap(fn) if fn is not None else wrap
