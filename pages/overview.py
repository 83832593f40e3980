"""Overview: headline figures, the coverage matrix and the records themselves."""

import streamlit as st

import ui
from citydata.core import boroughs
from citydata.query import filters, selection
from ui.charts.coverage import coverage_heatmap, coverage_table, coverage_width

state = ui.page_filters()

st.title("City Tools Explorer")
st.caption(
    f"Which {boroughs.which()} uses which software system, from which vendor, in which service "
    "area, and when each contract ends."
)
ui.selection_header(state)

figures = ui.query(selection.headline, state)
if not figures["records"]:
    st.info("No contracts match these filters. Remove a filter in the sidebar to see more.")
    ui.stop()

ui.metrics(
    ui.Figure("Records", f"{figures['records']:,}"),
    ui.Figure(f"{ui.noun(2, True)} covered", f"{figures['boroughs']} of {boroughs.count()}"),
    ui.Figure("Ending in the next 12 months", f"{figures['ending_12_months']:,}"),
    ui.Figure("Vendors", f"{figures['vendors']:,}"),
    ui.Figure("Systems", f"{figures['systems']:,}"),
    ui.Figure(
        "Share held by the 10 largest vendors",
        f"{figures['top10_vendor_share']:.1f}%",  # as the Market's "10 vendors hold 62.5%"
        help="Share of the records held by the ten vendors with the most records.",
    ),
    per_row=3,
)
ui.service_type_split(state)

st.header(f"Coverage: records per {ui.noun()} and service area")
narrowed = not state.with_(borough=(), service_area=(), service_type=()).is_empty()
st.caption(
    f"White cells with 0 are service areas where a {ui.noun()} has no record"
    + (" matching the filters." if narrowed else ".")
)
shown = list(state.borough) or list(boroughs.NAMES)
areas = filters.service_areas(state)  # (areas the filters leave out are not gaps)
wide = coverage_table(ui.query(selection.coverage, state), sorted(shown), areas)


@ui.fragment  # switching between the matrix and its table reruns this panel alone
def coverage(wide):
    tab_chart, tab_table = st.tabs(["Matrix", "Table"], key="coverage_view", bind="query-params")
    if tab_chart.open:  # only the tab on screen is built and sent
        with tab_chart:
            ui.charting.draw(coverage_heatmap(wide), width=coverage_width(wide))
    if tab_table.open:
        with tab_table:
            ui.dataframe(wide, width="stretch")


coverage(wide)

st.header("Records")
records = ui.query(selection.records, state, ui.tables.TABLE_ROWS + 1)
if len(records) > ui.tables.TABLE_ROWS:
    st.caption(
        f"Showing the first {ui.tables.TABLE_ROWS:,} of {figures['records']:,} records; "
        "the downloads hold all of them."
    )
ui.dataframe(
    records.head(ui.tables.TABLE_ROWS),
    hide_index=True,
    width="stretch",
    column_config=ui.tables.RECORD_COLUMN_CONFIG,
)
ui.downloads(state, "city-tools-contracts", "records", figures["records"])  # every record
ui.share_note("this view", ui.share_link(state))
