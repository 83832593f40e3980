"""The database and the page's reads of it: the process's one handle, the data version pinned
for a script run, and queries cached by small keys (the function's name, the filter state, the
version, the day), never by their DataFrames."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import streamlit as st

from citydata import lifecycle
from citydata.core import dates
from citydata.query import selection
from citydata.store import ledger, versions
from citydata.store.db import Database, Reader

T = TypeVar("T")
CACHE_TTL_SECONDS = 300


@st.cache_resource(show_spinner="Opening the database…")
def _database(path: str) -> Database:
    db = lifecycle.open_store(path)
    ledger.fold(db, path)  # what `alerts send` recorded while this app was stopped or serving
    return db


def database() -> Database:
    """The process's one database handle (built from the embedded data when missing)."""
    return _database(str(lifecycle.db_path()))


def data_version() -> int:
    return versions.data_version(database())


class _NewerData(Exception):
    """The data changed since this script run began (not cached, so never a stale entry)."""


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=512, show_spinner=False)
def _cached(
    _fn: Callable[..., Any], name: str, path: str, version: int, state: Any, args: tuple, day: date
) -> Any:
    # (`day`, today's date, only keys the entry: a query that counts from today, the Overview's
    # "ending in the next 12 months", is worked out again when the day changes, not up to
    # CACHE_TTL_SECONDS after midnight)
    with _database(path).read() as r:
        if versions.data_version(r) != version:
            raise _NewerData
        return _fn(r, state, *args)


def pin_version() -> None:
    """Fix the data version and the day for this script run: every panel of the page reads
    that state of the data, on that day."""
    st.session_state["_data_version"] = data_version()
    st.session_state["_day"] = dates.today()


def _day() -> date:
    return st.session_state.get("_day") or dates.today()


def query(fn: Callable[..., T], state: Any, *args: Any) -> T:
    """Run `fn(reader, state, *args)`, cached per data version, filters and arguments.

    Keys are small (names, the filter state, the snapshot version), never DataFrames. Every
    query of one run reads the version pinned at its start; if a commit lands part-way, the
    page runs again from the top, so it never shows panels from two states of the data.
    """
    name = f"{fn.__module__}.{fn.__qualname__}"
    version = st.session_state.get("_data_version") or data_version()
    try:
        return _cached(fn, name, str(lifecycle.db_path()), version, state, tuple(args), _day())
    except _NewerData:
        st.rerun()


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=512, show_spinner=False)
def _derived(
    _then: Callable[..., Any],
    then_name: str,
    _fn: Callable[..., Any],
    name: str,
    path: str,
    version: int,
    state: Any,
    args: tuple,
    then_args: tuple,
    day: date,
) -> Any:
    return _then(_cached(_fn, name, path, version, state, args, day), *then_args)


def derive(
    then: Callable[..., T], fn: Callable[..., Any], state: Any, args: tuple, *then_args: Any
) -> T:
    """`then(query(fn, state, *args), *then_args)`, cached by the same small keys as `query`:
    a panel worked out from a query's result (the Market page's panels from its one read of
    the selection) is worked out once per selection, not on every rerun."""
    name = f"{fn.__module__}.{fn.__qualname__}"
    then_name = f"{then.__module__}.{then.__qualname__}"
    version = st.session_state.get("_data_version") or data_version()
    path = str(lifecycle.db_path())
    try:
        return _derived(
            then, then_name, fn, name, path, version, state, tuple(args), then_args, _day()
        )
    except _NewerData:
        st.rerun()


def read(fn: Callable[[Reader], T]) -> T:
    """Run `fn(reader)` uncached, in one consistent read."""
    with database().read() as r:
        return fn(r)


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=16, show_spinner=False)
def filter_options(path: str, version: int) -> dict[str, list[str]]:
    with _database(path).read() as r:
        return selection.options(r)
