"""City Tools Explorer: the frame. Navigation, page config and the shared sidebar filters."""

import streamlit as st

import ui

st.set_page_config(
    page_title="City Tools Explorer",
    page_icon=":material/location_city:",
    layout="wide",
    menu_items={"About": "Which London borough uses which system, from whom, until when."},
)

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
]

page = st.navigation(PAGES)
ui.database_or_rebuild_offer()
st.session_state["filters"] = ui.sidebar_filters()
page.run()
