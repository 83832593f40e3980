"""Share links: the address of the exact view on screen, and what happens to a link's values.

Every filter and every page choice that changes what is shown is bound to the URL (Streamlit's
`bind="query-params"`), so the address is the view. This module builds links to a view
(`share_link`, `current_link`, the "Copy link" button) and, when a link is opened, names each
value the app could not take (`note_invalid_url_values` for the sidebar's filters,
`note_dropped_page_settings` for a page's own choices) instead of dropping it silently.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

from citydata.core import boroughs
from citydata.core import text as text_rules
from citydata.query import corrections, filters
from citydata.query.filters import FilterState
from citydata.query.links import (
    from_query_params,
    is_page_setting,
    setting_label,
    to_query_params,
    unknown_parameter,
)
from ui import faults

URL_NOTE_LIMIT = 400  # characters of a note about a link's dropped values


def note_invalid_url_values(
    options: dict[str, list[str]],
    regrouped: Callable[[FilterState], tuple[FilterState, list[str]]],
) -> None:
    """Streamlit drops URL values that are not options; say so rather than drop them silently.

    A vendor's name grouped under another since the link was made, in the sidebar's filter or
    a page's own choice of vendor, is read as that vendor, with a note saying so (`regrouped`:
    selection.regrouped, as commands and alerts read it): the address is given the vendor's
    name now, and the page runs again from it, as a widget takes its value from the address
    its run started with (so a link copied from the page names the vendor as it is now)."""
    if "_url_notes" in st.session_state:
        return
    given = {key: st.query_params.get_all(key) for key in filters.URL_KEYS}
    state, unread = from_query_params(given)
    regrouped_state, notes = regrouped(state)
    moved = regrouped_state.vendor != state.vendor
    if moved:
        st.query_params["vendor"] = list(regrouped_state.vendor)
    offered = corrections.as_offered(regrouped_state, options)  # ("MOSAIC" for the system "Mosaic")
    if offered.system != regrouped_state.system:
        st.query_params["system"] = list(offered.system)
        moved = True
    notes += corrections.normalise(offered, options)[1] + unread
    # The page's own settings in the link (market_top, metric, profile...), as given: the page
    # binds them to its widgets, and Streamlit drops a value a widget cannot take.
    settings = {
        key: st.query_params[key]
        for key in st.query_params
        if key not in filters.URL_KEYS and not key.startswith("embed")
    }
    notes += [  # a parameter no page has (a mistyped filter, `boroguh`): not used, said so
        f"The link's {unknown_parameter(key, value)} was not used."
        for key, value in settings.items()
        if not is_page_setting(key)
    ]
    for key in VENDOR_SETTINGS & settings.keys():  # a vendor grouped since, as the filter's
        now, said = regrouped(FilterState(vendor=(settings[key],)))
        if now.vendor != (settings[key],):
            st.query_params[key] = settings[key] = now.vendor[0]
            notes, moved = notes + said, True
    for key in SYSTEM_SETTINGS & settings.keys():  # a system in other capitals, as the filter's
        now = corrections.as_offered(FilterState(system=(settings[key],)), options)
        if now.system != (settings[key],):
            st.query_params[key] = settings[key] = now.system[0]
            moved = True
    st.session_state["_url_notes"] = notes
    st.session_state["_link_settings"] = settings
    if moved:
        st.rerun()


# The page settings that name a vendor: a link naming one grouped under another since is read
# as that vendor, as the sidebar's vendor filter reads it.
VENDOR_SETTINGS = frozenset(("share_vendor", "vendor_profile"))

# The page settings that name a system: a link writing it in other capitals or spacing (or
# naming a spelling fewer records use since) is read as the system shown, as the sidebar's
# system filter reads it.
SYSTEM_SETTINGS = frozenset(("adoption_system", "profile_help"))

# The page settings that name one of the region's councils: a link naming a council of another
# region says where it is, rather than that it cannot be used.
BOROUGH_SETTINGS = frozenset(("profile", "h_borough", "reconcile"))


# A page setting's value in a link is the label its widget shows (Streamlit binds a select box
# or segmented control by its shown label, not by the value behind it): how each key's value is
# shown, for the pages that show a value differently (see `shown_as`).
_SHOWN_AS: dict[str, Callable[[Any], str]] = {}


def shown_as(key: str, format_func: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`format_func` for a URL-bound widget's `key`, remembered so that a link naming the shown
    label of the value on screen (the default one, which Streamlit leaves out of the address)
    is not called dropped. Use as `format_func=ui.shown_as("key", fn)`.

    The labels are the app's own words, so they follow the region: "Council" for "Borough"
    outside London ("Group by: Council", "Councils served")."""

    def shown(value: Any) -> Any:
        label = format_func(value)
        return boroughs.reword(label) if isinstance(label, str) else label

    _SHOWN_AS[key] = shown
    return shown


def stop() -> None:
    """st.stop() for a page that ends early: first name the link's settings it dropped."""
    note_dropped_page_settings()
    st.stop()


@contextmanager
def naming_dropped_settings() -> Iterator[None]:
    """Run the page, then name the link's settings it dropped: also when the page stops early
    (st.stop), not when it is interrupted to run again (its widgets may not exist yet)."""
    try:
        yield
    except RerunException:
        raise
    except StopException:
        note_dropped_page_settings()
        raise
    note_dropped_page_settings()


def note_dropped_page_settings() -> None:
    """After a page's first run from a link: name each of its settings that Streamlit dropped
    because its widget could not take the value (a number out of range, an unknown choice).

    A setting still in the address (Streamlit removes one it could not take), or whose widget
    shows the value given (or its shown label: Streamlit also removes the default value), was
    taken; one whose widget is not on the page (the map's window under another colouring) was
    not used, not dropped. Called once the page has run (naming_dropped_settings).
    """
    given = st.session_state.pop("_link_settings", None)
    if not given:
        return
    notes = st.session_state.setdefault("_url_notes", [])
    for key, raw in given.items():
        if key not in st.session_state:  # no widget of that name on this page
            continue
        shown = st.session_state[key]
        if st.query_params.get_all(key) == [raw] or _same_setting(raw, shown, key):
            continue
        label = setting_label(key)
        value = "none" if shown is None else str(shown)
        where = corrections.outside_region(raw) if key in BOROUGH_SETTINGS else None
        why = f"is {where}" if where else "cannot be used here"
        note = (
            f"The link's {label} “{text_rules.shorten(raw, 60)}” {why}; "
            f"showing {text_rules.shorten(value, 60)}."
        )
        notes.append(note)
        st.sidebar.warning(
            text_rules.markdown_literal(note, URL_NOTE_LIMIT), icon=":material/info:"
        )


def _same_setting(raw: str, shown: Any, key: str = "") -> bool:
    if str(shown) == raw:
        return True
    if key in _SHOWN_AS:
        try:
            if str(_SHOWN_AS[key](shown)) == raw:
                return True
        except (KeyError, TypeError, ValueError):
            pass
    try:
        return float(raw) == float(shown)
    except (TypeError, ValueError):
        return False


def share_link(state: FilterState, page: str = "", extra: dict[str, str] | None = None) -> str:
    """The address of this exact view, to paste into an email.

    `page` is the page's address ("" for the home page, the Overview). `extra` adds a page's own
    URL parameters (e.g. {"profile": "Camden"}) after the filters.
    """
    # From the app's home address, never from the address this session was opened at: a
    # visitor sent to the Overview from a page that is not theirs (/backup, say) must not
    # share a link to that page. The server's base path (`server.baseUrlPath`) is kept.
    prefix = str(st.get_option("server.baseUrlPath") or "").strip("/")
    path = "/".join(part for part in (prefix, page) if part)
    base = f"{site_address()}/{path}" if path else site_address()
    params = to_query_params(state) | {k: [v] for k, v in (extra or {}).items() if v}
    query = urlencode(params, doseq=True)
    return f"{base}?{query}" if query else base


def share_note(what: str, link: str) -> None:
    """The line under a page that says how to share it, with its link to open or copy.

    A plain link rather than a code box (`st.code`): a code box makes the browser load
    Streamlit's syntax highlighter, about 0.2-0.6 s of its work on every page load, for one line
    of text. The copy button is one press away, under **Copy link** at the top of the page.
    """
    st.caption(
        f"Share {what}: press **Copy link** at the top of the page, or send"
        f" [this link]({_in_markdown(link)}); it opens with the same filters."
    )


def _in_markdown(address: str) -> str:
    """An address to put in Markdown (a link's target, a code span): its values are URL-encoded
    already (share_link); quoting again encodes any character of the app's own address that
    Markdown reads (brackets, parentheses, backticks, spaces), and leaves the rest as it is."""
    return quote(address, safe=":/?&=%+#,;@~!$'*")


def current_link() -> str:
    """The address of the view on screen: this page, with every URL parameter it holds (the
    sidebar's filters and the page's own choices, which are bound to the URL)."""
    base = (st.context.url or "").split("?", 1)[0].rstrip("/")
    params = {key: st.query_params.get_all(key) for key in st.query_params}
    query = urlencode(params, doseq=True)
    return f"{base}?{query}" if query else base


@faults.fragment
def copy_link() -> None:
    """A "Copy link" button at the top of the page: it opens the link of this exact view, with
    a copy button. The link is read when the button is pressed (a rerun of this fragment
    alone): a choice made inside a panel that reran on its own (a fragment) has changed the
    address since the page last ran."""
    _copy_box(
        "Copy link",
        ":material/link:",
        "copy_link",
        "The link to this exact view, with its filters and choices:",
        current_link,
    )


@faults.fragment
def address_to_copy(address: str, *, key: str) -> None:
    """An address for another program (a calendar's feed), shown as a link, with a "Copy
    address" button beside it that opens it with a copy button (as `share_note` and
    `copy_link`: no code box on the page itself)."""
    # Its text in an inline code span (no highlighter: that is only for code boxes), shown and
    # copied as the link's own target.
    target = _in_markdown(address)
    st.markdown(f"[`{target}`]({target})")
    _copy_box("Copy address", ":material/content_copy:", key, "The address:", lambda: target)


def _copy_box(label: str, icon: str, key: str, caption: str, text: Callable[[], str]) -> None:
    """A button that opens `text()` in a box with a copy button. The box is a code box, made
    only when the button is pressed: on the page itself a code box makes the browser load
    Streamlit's syntax highlighter, about 0.2-0.6 s of its work on every load (`share_note`)."""
    popover = st.popover(label, icon=icon, key=key, on_change="rerun")
    if popover.open:
        with popover:
            st.caption(caption)
            st.code(text(), language=None, wrap_lines=True)


def site_address() -> str:
    """This app's address as the browser sees it (scheme and host), for links to static files."""
    parts = urlsplit(st.context.url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""


# Streamlit reads a link's settings on the server, and ignores the whole query string when it has
# more than 1,000 parameters or 512 KiB (streamlit.runtime.state.query_params): the app never sees
# such a link, while the address bar still shows it. Only the browser can tell, so this constant
# script (no user text goes into it) compares the address with those limits and, when they are
# passed, shows a plain note above the page (text only, role "alert").
TOO_LONG_NOTE = (
    "This link holds more settings than the app can read (over 1,000, or over 512 KB), so none "
    "of them was applied: the page shows its usual view, whatever the address says. Ask for a "
    "shorter link, with fewer values in each filter."
)
TOO_LONG_SCRIPT = """
<script>
(() => {
  const w = window;
  const search = w.location.search.replace(/^[?]/, "");
  if (!search || w.__citytoolsCheckedLink === search) return;
  w.__citytoolsCheckedLink = search;
  const fields = search.split("&").length;
  if (fields <= 1000 && search.length <= 512 * 1024) return;
  if (document.getElementById("citytools-link-too-long")) return;
  const note = document.createElement("div");
  note.id = "citytools-link-too-long";
  note.setAttribute("role", "alert");
  note.textContent = NOTE;
  note.style.cssText = "position:fixed;top:0.5rem;left:50%;transform:translateX(-50%);" +
    "z-index:1000000;max-width:40rem;padding:0.75rem 1rem;border-radius:0.5rem;" +
    "background:#fff3cd;color:#3d2e00;border:1px solid #8a6d00;font:1rem sans-serif;";
  document.body.appendChild(note);
})();
</script>
"""


def flag_unreadable_link() -> None:
    """Say so when the address holds a link Streamlit ignored as too long (see TOO_LONG_SCRIPT)."""
    script = TOO_LONG_SCRIPT.replace("NOTE", json.dumps(TOO_LONG_NOTE))
    st.sidebar.html(script, unsafe_allow_javascript=True)  # draws nothing; not in the page
