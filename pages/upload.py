"""Upload: a data steward checks a register, sees what would change, and commits it."""

import streamlit as st

import ui
from citydata import ingest
from citydata.core import stewards
from citydata.core.formatting import count
from citydata.feeds import counts
from citydata.query.filters import FilterState
from citydata.query.links import to_query_params
from citydata.store import previews, snapshots
from ui import steward, uploading

steward.inside_app()  # before drawing: a server's first request may run this file on its own
st.title("Upload a register")
who = steward.require(offer_sign_in=True)  # signed out: the sign-in form here, then this page
st.caption(
    f"Check a register of systems and contracts, see what would change for each {ui.noun()}, then "
    "store it as a new snapshot. Nothing is stored until you press Commit; earlier snapshots "
    "are kept and can be restored from History."
)
if done := st.session_state.pop("_upload_done", None):
    st.success(done, icon=":material/check_circle:")
    stored = st.session_state.pop("_upload_boroughs", ())
    # The Overview filtered to what was stored, through the same URL parameters as a shared link.
    st.page_link(
        "pages/overview.py",
        label=f"See the new data for {', '.join(stored)}" if stored else "See the new data",
        icon=":material/dashboard:",
        query_params=to_query_params(FilterState(borough=tuple(stored))),
    )
    st.page_link("pages/history.py", label="Compare or roll back", icon=":material/history:")

with st.expander("Start from the template"):
    st.write("A file in the template's layout is always recognised. It has one example row.")
    row = st.container(horizontal=True)
    row.download_button("Template (CSV)", ingest.template_bytes("csv"), "citytools-template.csv")
    row.download_button(
        "Template (Excel)", ingest.template_bytes("xlsx"), "citytools-template.xlsx"
    )

upload = st.file_uploader(
    "Register file: CSV, Excel (.xlsx) or OCDS JSON",
    type=["csv", "xlsx", "json"],
    key=f"upload-{st.session_state.get('_upload_round', 0)}",
    max_upload_size=uploading.upload_limit_mb(),
)
if upload is None:
    uploading.release()  # a file removed from the box leaves nothing behind in this session
    st.info("Choose a file to check. It is only read until you commit it.")
    st.stop()
content = upload.getvalue()
if too_big := stewards.too_big(len(content), uploading.upload_limit()):
    st.error(too_big)
    st.stop()

prepared, needs_borough = uploading.prepared_file(content, upload.name)

# One status at a time: waiting for the borough, refused, or the check's result.
st.subheader("Check")
if needs_borough:
    st.info(
        f"This file has no {ui.noun()} column: choose above which {ui.noun()} it is for, and "
        "it is checked.",
        icon=":material/arrow_upward:",
    )
    st.stop()
if kept_none := counts.nothing_kept(prepared):  # notices, all left out: nothing wrong, none kept
    st.info(ui.plain(kept_none) + " Nothing will be stored.", icon=":material/info:")
    uploading.show_problems(prepared)
    st.stop()
if prepared.refused:
    st.error(ui.plain(prepared.refused) + " Nothing will be stored.", icon=":material/block:")
    uploading.show_problems(prepared)
    st.stop()
figures = [
    ui.Figure("Rows read", f"{prepared.rows_read:,}"),
    ui.Figure("Rows to import", f"{prepared.rows_accepted:,}"),
    ui.Figure("Rows refused", f"{prepared.rows_refused:,}"),
    ui.Figure("Imported with a change", f"{prepared.rows_warned:,}"),
]
if prepared.source_kind == "published":  # nothing to fix in these: not refused
    left_out = ui.Figure(
        "Rows left out",
        f"{prepared.rows_left_out:,}",
        help="Notices not about technology, another council's, an older release of a notice "
        "in this file, or a notice withdrawn or cancelled: nothing to fix, they are not kept",
    )
    figures.insert(3, left_out)
ui.metrics(*figures)
if prepared.records_accepted != prepared.rows_accepted:
    st.caption(
        f"These rows give {count(prepared.records_accepted, 'record')}: a row naming several "
        "suppliers gives one record for each, and a notice several councils bought together "
        "one for each council."
    )
if unused := prepared.unused_columns:
    st.markdown(
        "**These columns will not be imported:** "
        + ui.plain(", ".join(f"“{c}”" for c in unused))
        + ". If one of them holds a field, choose it under Columns above."
    )
if not uploading.show_problems(prepared):
    st.success("No problems found.", icon=":material/check_circle:")

st.subheader("What will change")
changes = previews.preview(ui.database(), prepared)
ui.dataframe(snapshots.changes_table(changes), hide_index=True, width="stretch")
for change in changes[:40]:
    with st.expander(f"{change.borough}: {change.diff.summary()}"):
        uploading.show_diff(change.diff, key=change.borough_code)

changed = [c for c in changes if not c.diff.is_empty]
unchanged = None if changed else previews.unchanged_message(changes)
dated = any(c.dated for c in changes)  # notices held that would take a newer release's date
if unchanged:
    st.info(ui.plain(unchanged), icon=":material/info:")
label = f"Commit {len(changed)} new snapshots" if len(changed) > 1 else "Commit"
left, right, _ = st.columns([2, 1, 4])
if left.button(
    label,
    type="primary",
    icon=":material/save:",
    disabled=not (changed or dated),
    help="Nothing to store: the file changes nothing." if unchanged and not dated else None,
    # The snapshots this preview was drawn against, kept as the click is sent: the run the
    # click starts works the preview out again, from data another steward may have changed.
    on_click=uploading.previewed,
    args=({c.borough_code: c.base_snapshot_id for c in changes},),
):
    uploading.commit(prepared, content, changes, who.who or "data steward")
if right.button("Cancel", icon=":material/close:", help="Forget this file; nothing is stored."):
    uploading.cancel()
