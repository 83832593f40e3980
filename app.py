"""City Tools Explorer: the frame. Navigation, page config and the shared sidebar filters."""

import streamlit as st

import ui
from citydata.query.filters import FilterState
from ui import faults, links, memory, reading, sidebar, startup, steward

st.set_page_config(
    page_title="City Tools Explorer",
    page_icon=":material/location_city:",
    layout="wide",
    menu_items={"About": "Which council uses which system, from whom, until when."},
)
startup.configure_region()

# One flat list: Streamlit's sectioned menu puts headings inside its <ul>, which screen readers
# (and axe-core) report as a broken list.
PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/map.py", title="Map", icon=":material/map:"),
    st.Page(
        "pages/borough.py",
        title="Borough profile" if ui.noun() == "borough" else "Council profile",
        icon=":material/location_city:",
    ),
    st.Page("pages/calendar.py", title="Calendar", icon=":material/calendar_month:"),
    st.Page("pages/pipeline.py", title="Renewal pipeline", icon=":material/event_upcoming:"),
    st.Page("pages/collaborate.py", title="Collaboration", icon=":material/handshake:"),
    st.Page("pages/market.py", title="Market", icon=":material/leaderboard:"),
    st.Page("pages/coming.py", title="Coming to market", icon=":material/trending_up:"),
    st.Page("pages/vendor.py", title="Vendor profile", icon=":material/storefront:"),
    st.Page("pages/adoption.py", title="Adoption", icon=":material/apps:"),
    st.Page("pages/history.py", title="History", icon=":material/history:"),
    st.Page("pages/reconcile.py", title="Reconciliation", icon=":material/compare_arrows:"),
]

# Upload, backup and restore are registered only for a signed-in data steward (see steward.py).
page = st.navigation(PAGES + steward.pages(), expanded=True)
startup.open_database(page)  # or explain why not (busy, unusable) and stop
startup.start_inbox()  # imports the fetches queued while the app holds the file (or stops)
reading.pin_version()
# The steward pages use no filter: no sidebar of filters that would do nothing there.
if page.url_path in steward.WITHOUT_FILTERS:
    st.session_state["filters"] = FilterState()
else:
    st.session_state["filters"] = sidebar.sidebar_filters()
links.copy_link()  # at the top of every page: the link of the view on screen
links.flag_unreadable_link()  # a link too long for Streamlit to read is named
# A fault in the page is said in words (ui/faults.py), never as Python's traceback; a link's
# settings the page could not take are named.
try:
    with faults.in_words(page), links.naming_dropped_settings():
        page.run()
finally:  # (also after a page that ends early, as a profile with no choice yet does)
    memory.keep_modules_out_of_collection()  # Streamlit's collection after each run stays short
