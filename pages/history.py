"""History: every snapshot stored, the difference between two of a borough's, and rollback."""

import pandas as pd
import streamlit as st

import ui
from citydata.query import filters
from citydata.store import previews, rollbacks, snapshots, withdrawals
from citydata.store.history import KINDS
from ui import steward, uploading

KIND_LABELS = {snapshots.REGISTER: "Register", snapshots.PUBLISHED: "Published notices"}
COLUMNS = {
    "id": st.column_config.NumberColumn("Snapshot", format="%d"),
    "borough": "Borough",
    "created_at": st.column_config.DatetimeColumn("Stored", format="DD/MM/YYYY HH:mm"),
    "created_by": "By",
    "file_name": "File",
    "rows_imported": st.column_config.NumberColumn("Records", format="%d"),
    "rows_rejected": st.column_config.NumberColumn(
        "Rows refused", format="%d", help="Rows of the whole file refused, of every borough in it"
    ),
    "rows_left_out": st.column_config.NumberColumn(
        "Rows left out",
        format="%d",
        help="Published notices: rows of the whole file left out, not refused: not technology, "
        "another council's, or an older release of a notice",
    ),
    "status": "Status",
    "source": "Source",
    "restored_from": st.column_config.TextColumn("Copy of"),
    "note": "Note",
}

state = ui.page_filters()  # first: a page running on its own reruns through app.py

st.title("History")
st.caption(
    f"Every snapshot of every {ui.noun()}'s data: who stored it, when, from which file. Pick a "
    f"{ui.noun()} to compare two of its snapshots."
)
if done := st.session_state.pop("_rolled_back", None):
    st.success(done, icon=":material/check_circle:")

if not state.is_empty():
    st.caption(
        ui.plain(f"Sidebar selection: {filters.summary(state)}. ")
        + f"The history is not filtered by it: it lists whole {ui.noun(2)}' snapshots."
    )
history = ui.read(snapshots.history)
names = sorted(history["borough"].unique())
chosen = names.index(state.borough[0]) if len(state.borough) == 1 else None
borough = st.selectbox(
    ui.noun(capital=True),
    names,
    index=chosen,
    placeholder=f"All {ui.noun(2)}",
    key="h_borough",
    bind="query-params",
)
shown = history if borough is None else history[history["borough"] == borough]
ui.dataframe(
    shown.drop(columns=["borough_code"]).assign(
        restored_from=shown["restored_from"].map(lambda v: "" if pd.isna(v) else f"{int(v)}")
    ),
    hide_index=True,
    width="stretch",
    column_order=list(COLUMNS),
    column_config=COLUMNS,
)
if borough is None:  # (rolling back is a signed-in steward's only)
    also = " or roll back" if steward.access().allowed else ""
    st.info(f"Choose a {ui.noun()} to compare its snapshots{also}.")
    ui.stop()

# A register and published notices are two streams of snapshots: compared and rolled back
# each within its own kind.
kinds = [k for k in KINDS if (shown["kind"] == k).any()]
kind = kinds[0]
if len(kinds) > 1:
    kind = st.segmented_control(
        "Snapshots of",
        kinds,
        format_func=ui.shown_as("h_kind", KIND_LABELS.get),
        default=kinds[0],
        required=True,
        key="h_kind",
        bind="query-params",
    )
rows = shown[shown["kind"] == kind].to_dict("records")
labels = {r["id"]: uploading.snapshot_label(r) for r in rows}
ids = list(labels)
what = KIND_LABELS[kind].lower()
if len(ids) < 2:
    st.info(f"{ui.plain(borough)} has one snapshot of its {what} so far: nothing to compare.")
    ui.stop()

st.subheader(f"Compare two snapshots of {borough}'s {what}")
left, right = st.columns(2)
# Keyed by the newest snapshot, so the pickers start again at "previous -> current" after a change.
old = left.selectbox("From", ids, index=1, format_func=labels.get, key=f"h_from-{ids[0]}")
new = right.selectbox("To", ids, index=0, format_func=labels.get, key=f"h_to-{ids[0]}")
diff = ui.read(lambda r: previews.compare(r, old, new))
st.markdown(f"**{ui.plain(diff.summary())}**")
uploading.show_diff(diff, key="history")

access = steward.access()
if access.allowed:
    uploading.original_download(new)
    st.subheader("Roll back")
    earlier = [r["id"] for r in rows if r["status"] != "active"]  # (one kind: one is active)
    target = st.selectbox(
        "Make this snapshot current again",
        earlier,
        format_func=labels.get,
        key=f"h_target-{ids[0]}",
    )
    st.caption(
        "Rolling back stores a new snapshot with the chosen one's records; nothing is deleted, "
        "so a rollback can itself be undone. A published notice withdrawn or cancelled after "
        "the chosen snapshot's version of it stays out."
    )
    if st.button(f"Roll back {borough} to snapshot {target}", type="primary"):
        try:
            new_id = rollbacks.rollback(ui.database(), target, access.who or "data steward")
        except previews.CommitRefused as exc:
            st.error(ui.plain(str(exc)))
        else:
            left_out = withdrawals.left_out(ui.read(lambda r: withdrawals.kept_out(r, new_id)))
            again = ui.read(lambda r: snapshots.illustrative_again(r, new_id))
            st.session_state["_rolled_back"] = (
                f"{borough} is back to the records of snapshot {target} (stored as snapshot "
                f"{new_id})" + (f", but {ui.plain(left_out)}." if left_out else ".") + f" {again}"
            ).strip()
            st.rerun()
