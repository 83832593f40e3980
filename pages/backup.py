"""Backup and restore: everything in the database as one file, and bringing it back."""

import streamlit as st

import ui
from citydata.output import backup, restores
from ui import steward

steward.require()
st.title("Backup and restore")

st.header("Download a backup")
st.write(
    "One .zip file with every snapshot, record, uploaded file, column mapping and vendor alias. "
    "Keep it somewhere safe: if the app's disk is rebuilt (as happens on hosted services), "
    "restoring it brings everything back. The folder `readable` inside it opens in a "
    "spreadsheet."
)
st.download_button(
    "Download a backup",
    data=steward.guarded(lambda: backup.archive_bytes(ui.database())),
    file_name=backup.file_name(),
    mime="application/zip",
    icon=":material/download:",
    type="primary",
    on_click="ignore",  # no rerun: the archive is made on click, for a steward still
)

st.header("Restore a backup")
st.warning(
    "Restoring replaces all the data in the app with the backup's, for everyone. The current "
    "data is not kept: download a backup of it first if you may need it.",
    icon=":material/warning:",
)
archive = st.file_uploader(
    "Backup file (.zip)",
    type=["zip"],
    key=f"restore-{st.session_state.get('_restores', 0)}",
    help=f"Up to {st.get_option('server.maxUploadSize')} MB here (the server's "
    "server.maxUploadSize). Restore a bigger backup where the app runs, with `python -m "
    "citydata restore FILE`.",
)
if done := st.session_state.pop("_restored", None):
    st.success(done, icon=":material/check_circle:")
if archive is not None and st.button("Restore this backup", type="primary"):
    try:
        restored = restores.restore(ui.database(), archive)  # (the upload, not a copy of it)
    except backup.BackupError as exc:
        st.error(ui.plain(f"{exc} Nothing was changed."))
    else:
        st.session_state["_restored"] = ui.plain(restored.summary())  # (its date: as written)
        st.session_state["_restores"] = st.session_state.get("_restores", 0) + 1
        st.rerun()
