"""Data stewards in the app: who is signed in, which pages they get, and their tools' widgets.

The decision itself is `citydata.core.stewards` (pure, tested without Streamlit); this module
feeds it Streamlit's secrets, `st.user` and the session. Pages that change data are registered
only for a steward, because a page that is not registered cannot be opened, not even by its
address; each of them checks again with `require()`.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from citydata.core import boroughs, settings, stewards
from citydata.core.formatting import count
from citydata.core.schema import FIELDS
from citydata.feeds import counts
from citydata.ingest import report, template
from citydata.ingest.report import format_label
from citydata.output import exports
from citydata.store import previews, rawfiles, snapshots
from citydata.store.changes import Diff, readable
from ui import pagesdir, preparing
from ui.downloading import downloads
from ui.reading import database, read
from ui.tables import dataframe
from ui.text import plain

_SIGNED_IN = "_steward_password_user"
_LAST_NAME = "_steward_last_name"
_ENDED = "_steward_sign_in_ended"  # why this session's password sign-in ended, to say once
_MEMO = "_steward_prepared"
MEMO_KEEP = 2  # prepared versions of the current file kept: as read, and as corrected
NOT_IN_FILE = "(not in this file)"


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
            st.session_state.pop(_MEMO, None)
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
    st.session_state.pop(_MEMO, None)
    if st.user.get("is_logged_in"):
        st.logout()
    st.rerun()


def upload_limit() -> int:
    """The largest file the app accepts: CITYTOOLS_MAX_UPLOAD_MB, within the server's own cap
    (server.maxUploadSize in .streamlit/config.toml), which refuses bigger files before the app
    sees them."""
    server_cap = int(st.get_option("server.maxUploadSize")) * 1024 * 1024
    return min(settings.upload_limit_bytes(secrets()), server_cap)


def upload_limit_mb() -> int:
    """`upload_limit` in whole megabytes, for the upload widgets' own (browser) check."""
    return max(1, math.ceil(upload_limit() / 1024 / 1024))


# ---- the upload's widgets ----------------------------------------------------------------------


def _prepare(
    content: bytes,
    name: str,
    borough: str | None = None,
    mapping: dict | None = None,
    sheet: str | None = None,
) -> Any:
    """ingest.prepare, remembered for this session: the current file only, as read and with the
    steward's latest corrections (MEMO_KEEP), never earlier files."""
    key = (
        hashlib.sha256(content).hexdigest(),
        name,
        borough,
        tuple((mapping or {}).items()),
        sheet,
    )
    memo: dict = st.session_state.setdefault(_MEMO, {})
    if key not in memo:
        for other in [k for k in memo if k[0] != key[0]]:  # another file: forget the old one
            del memo[other]
        while len(memo) >= MEMO_KEEP:
            memo.pop(next(iter(memo)))
        with st.spinner("Checking the file…", show_time=True):
            memo[key] = preparing.prepare(  # in a worker process: see ui/preparing.py
                content,
                name,
                preparing.workers(secrets()),
                borough=borough,
                mapping=mapping,
                sheet=sheet,
                max_bytes=upload_limit(),
            )
    return memo[key]


def release() -> None:
    """Forget the prepared files of this session (after a commit, a cancel or a removed file)."""
    st.session_state.pop(_MEMO, None)


def prepared_file(content: bytes, name: str) -> tuple[Any, bool]:
    """Read the file, let the steward correct the columns and name the borough.

    Returns the prepared file, and whether it still waits for the steward to say which borough
    it is for (a file without a borough column): until then it is not checked further.
    """
    digest = hashlib.sha256(content).hexdigest()[:16]
    first = _prepare(content, name)
    sheet = None
    if len(first.sheets) > 1:
        sheet = st.selectbox(
            "Sheet",
            first.sheets,
            index=first.sheets.index(first.sheet) if first.sheet in first.sheets else 0,
            key=f"sheet-{digest}",
            help="The workbook has several sheets; the one that looks like a register is chosen.",
        )
        if sheet != first.sheet:
            first = _prepare(content, name, sheet=sheet)
    if not first.columns:  # nothing could be read: the check says why
        return first, False
    st.markdown(f"Recognised as **{plain(format_label(first.format))}**.")
    mapping = _mapping_editor(first, f"{digest}-{sheet}")
    chosen = mapping or first.mapping
    borough = None
    if not (chosen.get("borough") or chosen.get("borough_code")):
        word = boroughs.noun()  # 'council' outside London
        borough = st.selectbox(
            f"Which {word} is this file for?",
            sorted(boroughs.NAMES),  # A-Z: people look for a name, not a GSS code
            index=None,
            placeholder=f"Choose the {word}",
            key=f"borough-{digest}",
            help=f"This file has no {word} column, so all its rows are for one {word}.",
        )
        if borough is None:
            return first, True
    if borough is None and mapping == first.mapping:
        return first, False
    return _prepare(content, name, borough, mapping, sheet), False


def _mapping_editor(first: Any, digest: str) -> dict[str, str | None]:
    chosen: dict[str, str | None] = {}
    with st.expander("Columns: which column of your file holds each field", expanded=True):
        st.caption(
            "Matched from the column names. If one is wrong, pick the right column; the check "
            "below updates."
        )
        options = [NOT_IN_FILE, *first.columns]
        grid = st.columns(3)
        for i, field in enumerate(FIELDS):
            current = first.mapping.get(field.name)
            picked = grid[i % 3].selectbox(
                boroughs.reword(field.label),
                options,
                index=options.index(current) if current in options else 0,
                key=f"map-{digest}-{field.name}",
                help=template.field_help(field.name),  # the region's example council
            )
            chosen[field.name] = None if picked == NOT_IN_FILE else picked
    return chosen


def show_problems(prepared: Any) -> bool:
    """Notes about the whole file (in words, no row), then the problems of single rows (with
    their row and column) as a table with its downloads, after what kinds they are when there
    are too many to read one by one; then, apart, the rows of published notices left out with
    nothing to fix, and why (not problems). Returns whether there were any problems."""
    left_out = prepared.left_out_problems
    notes, rows = prepared.file_notes, prepared.row_faults
    if notes:
        st.markdown(f"**About the file ({len(notes):,})**")
        st.markdown("\n".join(f"- {plain(p.reason)}" for p in notes))
    if rows:
        st.markdown(f"**Problems in rows ({len(rows):,})**")
        if len(rows) > report.SHOWN:
            st.markdown(_by_kind(prepared, rows))
        problems = snapshots.problems_table(rows, file_refused=bool(prepared.refused))
        dataframe(problems, hide_index=True, width="stretch")
        downloads(problems, "upload-problems", key="problems", filtered=False)
    if left_out:
        with st.expander(f"Rows left out, with nothing to fix ({prepared.rows_left_out:,})"):
            table = snapshots.left_out_table(left_out)
            dataframe(table, hide_index=True, width="stretch")
            downloads(table, "upload-left-out", key="left-out", filtered=False)
    return bool(notes or rows)


def _by_kind(prepared: Any, rows: list[Any]) -> str:
    """The rows' problems summed up by kind (`report.kinds`, as `import` sums them up): how
    many rows each kind has, and its first."""
    kinds = report.kinds(rows)
    lines = []
    for kind in kinds[: report.KINDS]:
        first = kind.problems[0]
        lines.append(
            f"- {count(len(kind.problems), 'row')}, such as {plain(first.where())}: "
            f"{plain(first.reason)} ({prepared.outcome(first)})"
        )
    if beyond := report.beyond_kinds(kinds):
        lines.append(f"- {beyond}")
    return "\n".join(lines) + "\n\nEvery one is in the table below and its download."


def show_diff(diff: Diff, key: str) -> None:
    """Added, removed and changed records, as tabs of tables."""
    added, removed, changed = st.tabs(
        [
            f"Added ({len(diff.added):,})",
            f"Removed ({len(diff.removed):,})",
            f"Changed ({diff.records_changed:,})",
        ]
    )
    _table(added, readable(diff.added), "No records added.")
    _table(removed, readable(diff.removed), "No records removed.")
    fields = diff.changed.drop(columns=["record_no"]).rename(
        columns={"record": "Record", "field": "Field", "before": "Before", "after": "After"}
    )
    _table(changed, fields, "No record changed.")


def _table(where: Any, df: pd.DataFrame, empty: str) -> None:
    if df.empty:
        where.caption(empty)
    else:
        with where:
            dataframe(df, hide_index=True, width="stretch")


def snapshot_label(row: dict[str, Any]) -> str:
    """'34 · 26/11/2026 15:24 · camden.csv (upload, current)' for a picker."""
    when = pd.Timestamp(row["created_at"]).strftime("%d/%m/%Y %H:%M")
    state = ", current" if row["status"] == "active" else ""
    return f"{row['id']} · {when} · {row['file_name'] or 'no file'} ({row['source']}{state})"


def original_download(snapshot_id: int) -> None:
    """The file a snapshot came from, as received (its bytes checked against the SHA-256 they
    are kept under), read only when the button is clicked; or why there is none."""
    held = read(lambda r: rawfiles.of_snapshot(r, snapshot_id))
    if held is None:
        st.caption(f"Snapshot {snapshot_id} keeps no file of its own (a fetch, or generated data).")
        return
    name, file_hash, taken = held
    st.download_button(
        f"Download the file of snapshot {snapshot_id}, as received",
        data=guarded(lambda: read(lambda r: rawfiles.verified(r, file_hash))),
        file_name=exports.original_name(name, snapshot_id, taken),
        mime="application/octet-stream",
        icon=":material/download:",
        on_click="ignore",  # (read on click)
        key=f"original-{snapshot_id}",
        help=plain(f"{name}: the file exactly as it was uploaded, byte for byte."),
    )


def cancel() -> None:
    """Drop the file being checked: an empty upload box, nothing kept in this session."""
    release()
    st.session_state["_upload_round"] = st.session_state.get("_upload_round", 0) + 1
    st.rerun()


_PREVIEWED = "_steward_previewed"


def previewed(bases: dict[str, int | None]) -> None:
    """On the click of Commit: the snapshots (borough code -> active snapshot id) of the
    preview the steward saw, for `commit` to refuse the file if another steward changed one."""
    st.session_state[_PREVIEWED] = bases


def commit(prepared: Any, content: bytes, changes: list[previews.BoroughChange], who: str) -> None:
    """Store the file, unless a borough's data changed since the preview the steward saw
    (`previewed`); on success remember the message and start a fresh upload."""
    expect = {c.borough_code: c.base_snapshot_id for c in changes}
    expect |= st.session_state.pop(_PREVIEWED, None) or {}
    try:
        ids = snapshots.commit(database(), prepared, content, who, expect=expect)
    except snapshots.NothingChanged as exc:
        if not exc.noted:
            st.error(plain(str(exc)) + " Nothing was stored.")
            return
        # A newer release that changes nothing else: its date was kept, no snapshot made.
        counts.record_upload(database(), prepared, who, [], changes)
        st.session_state["_upload_done"] = str(exc)
        st.session_state["_upload_round"] = st.session_state.get("_upload_round", 0) + 1
        st.session_state.pop(_MEMO, None)
        st.rerun()
    except previews.CommitRefused as exc:
        st.error(plain(str(exc)) + " Nothing was stored.")
        return
    counts.record_upload(database(), prepared, who, ids, changes)  # (published notices only)
    stored = [c for c in changes if not c.diff.is_empty]  # an unchanged borough gets none
    names = ", ".join(f"{c.borough} (snapshot {i})" for c, i in zip(stored, ids, strict=True))
    st.session_state["_upload_done"] = f"Stored {count(len(ids), 'new snapshot')}: {names}."
    st.session_state["_upload_boroughs"] = tuple(c.borough for c in stored)
    st.session_state["_upload_round"] = st.session_state.get("_upload_round", 0) + 1
    st.session_state.pop(_MEMO, None)
    st.rerun()
