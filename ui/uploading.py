"""The upload's widgets, for a signed-in data steward: the file read and checked in a worker
process (remembered for this session), its columns corrected, its problems and the changes it
would make shown, and the commit. Who may use them is ui.steward's.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import pandas as pd
import streamlit as st

from citydata.core import boroughs, settings
from citydata.core.formatting import count
from citydata.core.schema import FIELDS
from citydata.feeds import counts
from citydata.ingest import report, template
from citydata.ingest.report import format_label
from citydata.output import exports
from citydata.store import previews, rawfiles, snapshots
from citydata.store.changes import Diff, readable
from ui import preparing
from ui.downloading import downloads
from ui.reading import database, read
from ui.steward import PREPARED, guarded, secrets
from ui.tables import dataframe
from ui.text import plain

MEMO_KEEP = 2  # prepared versions of the current file kept: as read, and as corrected
NOT_IN_FILE = "(not in this file)"


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
    memo: dict = st.session_state.setdefault(PREPARED, {})
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
    st.session_state.pop(PREPARED, None)


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
        st.session_state.pop(PREPARED, None)
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
    st.session_state.pop(PREPARED, None)
    st.rerun()
