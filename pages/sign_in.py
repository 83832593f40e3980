"""Sign in as a data steward, to upload registers, roll back and restore; or sign out."""

import streamlit as st

import ui
from ui import steward

steward.inside_app()
st.title("Data stewards")
access = steward.access()

if access.allowed:
    st.success(ui.plain(access.reason), icon=":material/verified_user:")
    st.write("You can upload registers, roll back snapshots and restore backups.")
    st.page_link("pages/upload.py", label="Upload a register", icon=":material/upload_file:")
    st.page_link("pages/history.py", label="History and rollback", icon=":material/history:")
    if st.button("Sign out", icon=":material/logout:"):
        steward.sign_out()
    st.stop()

st.write(
    f"Data stewards keep the register up to date: they upload their {ui.noun()}'s register, "
    "check what would change, and can roll back. Everyone else can explore the data without "
    "signing in."
)
steward.sign_in_widgets(access)
