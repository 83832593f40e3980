"""Data stewards in the app: who is signed in, and which pages they get (the upload's widgets
are ui.uploading).

The decision itself is `citydata.core.stewards` (pure, tested without Streamlit); this module
feeds it Streamlit's secrets, `st.user` and the session. Pages that change data are registered
only for a steward, because a page that is not registered cannot be opened, not even by its
address; each of them checks again with `require()`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import streamlit as st

from citydata.core import stewards
from citydata.core.formatting import count
from ui import pagesdir
from ui.text import plain

_SIGNED_IN = "_steward_password_user"
_LAST_NAME = "_steward_last_name"
_ENDED = "_steward_sign_in_ended"  # why this session's password sign-in ended, to say once
# This session's prepared upload (ui.uploading): forgotten when the steward's sign-in ends.
PREPARED = "_steward_prepared"


def secrets() -> dict[str, Any]:
    """Streamlit's secrets as a plain dict ({} when there is no secrets file)."""
    return st.secrets.to_dict() if st.secrets.load_if_toml_exists() else {}


def access() -> stewards.Access:
    """May the person in this browser session change the data? A password sign-in that has
    ended (the password changed, or too long ago) is forgotten here, and the sign-in form says
    why."""
    user = st.user.to_dict() if st.user is not None else {}
    found = st.session_state.get(_SIGNED_IN)
    if found is not None:
        ended = None
        if not isinstance(found, stewards.PasswordSignIn):
            ended = "Sign in again."
        else:
            ended = stewards.sign_in_ended(found, secrets(), time.monotonic())
        if ended:
            st.session_state.pop(_SIGNED_IN, None)
            st.session_state.pop(PREPARED, None)
            st.session_state[_ENDED] = ended
            # (said wherever the steward is: the stewards' pages leave the navigation with the
            # sign-in, so a steward on one of them lands on the first page of the app)
            st.toast(f"Signed out as a data steward. {ended}", icon=":material/lock_clock:")
            found = None
    return stewards.decide(secrets(), user, found.who if found else None)


class NoLongerSteward(PermissionError):
    """A download made on click for someone who is no longer a data steward."""


def still_steward() -> Callable[[], bool]:
    """Whether the person this page is drawn for is still a data steward, decided again at
    each call, from any thread, from the list of stewards and the upload password as they are
    at that moment (`stewards.still_allowed`): for what carries on after the page's run (a
    download made on click, a fetch's later pages), which `require` at the top of the page
    never sees again. Taken off the list, the password changed, the sign-in too old: False."""
    user = st.user.to_dict() if st.user is not None else {}
    found = st.session_state.get(_SIGNED_IN)
    found = found if isinstance(found, stewards.PasswordSignIn) else None
    return lambda: stewards.still_allowed(secrets(), user, found, time.monotonic())


def guarded(make: Callable[[], Any]) -> Callable[[], Any]:
    """`make`, for a download made on click (`st.download_button(data=...)` with a function):
    Streamlit calls it when the button is clicked, without running the page, and answers a
    request for it from this session even after the page is gone. So who may have it is
    decided again then (`still_steward`): a steward taken off the list gets nothing."""
    allowed = still_steward()

    def made() -> Any:
        if not allowed():
            raise NoLongerSteward("Only signed-in data stewards can download this.")
        return make()

    return made


# Pages where the sidebar's filters do nothing: app.py does not draw them there.
WITHOUT_FILTERS = frozenset({"upload", "backup", "aliases", "sign_in"})


def pages() -> list[Any]:
    """The steward's pages for st.navigation: only registered for a signed-in steward.

    The one exception is Upload where stewards can sign in: a visitor gets it too, and it shows
    only the sign-in form (`require(offer_sign_in=True)`), so a steward signs in where they
    meant to go and carries on there.
    """
    upload = st.Page("pages/upload.py", title="Upload", icon=":material/upload_file:")
    found = access()
    if found.allowed:
        return [
            upload,
            st.Page("pages/notices.py", title="Published notices", icon=":material/feed:"),
            st.Page("pages/backup.py", title="Backup and restore", icon=":material/backup:"),
            st.Page("pages/aliases.py", title="Vendor names", icon=":material/merge:"),
            st.Page("pages/alerts.py", title="Alerts", icon=":material/notifications:"),
            st.Page("pages/sign_in.py", title="Sign out", icon=":material/logout:"),
        ]
    sign_in = st.Page("pages/sign_in.py", title="Sign in", icon=":material/login:")
    return [upload, sign_in] if found.mode != stewards.NONE else [sign_in]


def inside_app() -> None:
    """Make sure this page runs inside app.py, whose navigation decides who sees which page."""
    pagesdir.ensure_inside_app()


def require(offer_sign_in: bool = False) -> stewards.Access:
    """At the top of a page that changes data: stop unless this is a signed-in steward.

    With `offer_sign_in`, someone who is not signed in gets the sign-in form on this page (and
    nothing else of it); once signed in, the page runs again and carries on.

    A server's very first request can run a page file on its own, without app.py and so
    without its navigation (see ui.page_filters); then run again through app.py, which does not
    register this page for a visitor.
    """
    inside_app()
    found = access()
    if found.allowed:
        return found
    if offer_sign_in and found.mode != stewards.NONE:
        st.write("Only data stewards can upload. Sign in to carry on here.")
        sign_in_widgets(found)
    else:
        st.warning("Only signed-in data stewards can use this page.", icon=":material/lock:")
    st.stop()
    raise AssertionError("st.stop() returned")  # pragma: no cover


def sign_in_widgets(found: stewards.Access) -> None:
    """How to sign in on this installation: the password form, the account button, or why not."""
    if found.mode == stewards.ACCOUNT:
        if st.user.get("is_logged_in"):
            st.warning(plain(found.reason))
            st.button("Sign out", on_click=st.logout)
        else:
            st.button("Sign in with your organisation account", type="primary", on_click=st.login)
    elif found.mode == stewards.PASSWORD:
        password_form()
    else:
        st.info(plain(found.reason), icon=":material/lock:")


@st.cache_resource
def lockout() -> stewards.Lockout:
    """The server's one count of wrong passwords, shared by every browser session."""
    return stewards.Lockout()


def _locked(name: str) -> bool:
    """Say so and return True while `name` (or everyone) must wait before another try."""
    return _say_wait(lockout().wait_seconds(name, time.monotonic()))


def _say_wait(wait: float) -> bool:
    """Say how long to wait and return True, when there is a wait."""
    if wait:
        minutes = math.ceil(wait / 60)
        st.error(
            f"Too many wrong passwords. Try again in {count(minutes, 'minute')}.",
            icon=":material/lock_clock:",
        )
    return bool(wait)


def password_form() -> None:
    """Name and upload password; a few wrong passwords per name, or more for all names
    together, and then a wait, however many browser sessions they come from."""
    if ended := st.session_state.pop(_ENDED, None):
        st.warning(ended, icon=":material/lock_clock:")
    if _locked(st.session_state.get(_LAST_NAME, "")):
        return
    with st.form("sign-in", enter_to_submit=True):
        name = st.text_input(
            "Your name or email",
            max_chars=100,
            help="Recorded in the history beside what you upload or roll back.",
        )
        password = st.text_input("Upload password", type="password", max_chars=200)
        submitted = st.form_submit_button("Sign in", type="primary")
    if not submitted:
        return
    st.session_state[_LAST_NAME] = name
    if not name.strip():
        st.error("Enter your name, so the history can say who changed what.")
    # Checked again (the form may have been open since before the lock) and counted in one
    # step, before the password is compared: other sessions may be trying at the same moment.
    elif _say_wait(lockout().attempt(name, tried := time.monotonic())):
        return
    elif stewards.password_matches(password, secrets()):
        lockout().succeeded(name, tried)
        st.session_state[_SIGNED_IN] = stewards.signed_in(name, password, time.monotonic())
        st.rerun()
    else:
        st.error("That password is not right.")
        if _locked(name):
            st.rerun()


def sign_out() -> None:
    st.session_state.pop(_SIGNED_IN, None)
    st.session_state.pop(PREPARED, None)
    if st.user.get("is_logged_in"):
        st.logout()
    st.rerun()
