"""System adoption: which boroughs use a system, and who uses what in every service area."""

import streamlit as st

import ui
from citydata.core import boroughs
from citydata.core.formatting import NOT_RECORDED, money_in_full
from citydata.query import adoption
from citydata.query.filters import FilterState
from ui import skills
from ui.charts import market as charts

state = ui.page_filters()

st.title("System adoption")
st.caption(
    f"Which {ui.noun(2)} use which system, and from which vendor: the place to find the "
    f"{ui.noun(2)} on the same system as yours."
)
ui.selection_header(state)
usage = ui.query(adoption.usage, state)  # one scan of the selection for both tables
systems = adoption.systems(usage)
if systems.empty:
    st.info("No contracts match these filters. Remove a filter in the sidebar to see more.")
    ui.stop()

st.header(f"Which {ui.noun(2)} use a system?")


@ui.fragment  # another system chosen reruns this section alone, not the page
def system_users(state):
    system = st.selectbox(
        "System", ui.query(adoption.system_names, FilterState()), index=None,
        key="adoption_system", bind="query-params", placeholder="Choose or type a system",
    )  # fmt: skip
    if system is not None:
        figures = ui.query(adoption.system_summary, state, system)
        if not figures["records"]:
            st.info(f"No records of {ui.plain(system)} match these filters.")
        else:
            ui.metrics(
                ui.Figure(
                    f"{ui.noun(2, True)} using it", f"{figures['boroughs']} of {boroughs.count()}"
                ),
                ui.Figure("Records", f"{figures['records']:,}"),
                ui.Figure("Vendors holding the contracts", f"{figures['vendors']:,}"),
                ui.Figure(
                    "Annual value", money_in_full(figures["annual_value"], missing=NOT_RECORDED)
                ),
            )
            users = charts.labelled(ui.query(adoption.system_users, state, system))
            ui.table(users)
            ui.downloads(users, "system-users", key="system-users")
            st.header(f"Who can help with {ui.plain(system)}")
            skills.panel(state, system, key="who-can-help")


system_users(state)

st.header("Most used systems")
st.caption(f"The 25 systems used by the most {ui.noun(2)} in the chart; every system in the table.")
ui.chart_and_table(
    charts.systems_chart(systems.head(25)), charts.labelled(systems), "systems", "systems"
)

st.header(f"Who uses what: {ui.noun(2)} by service area")
st.caption(f"Each cell names the systems a {ui.noun()} uses, with the vendor holding the contract.")
shown = sorted(state.borough or boroughs.NAMES)
wide = adoption.matrix_table(adoption.matrix(usage), shown)
ui.dataframe(
    wide, width="stretch", height=36 * (len(wide) + 1),
    column_config={"_index": st.column_config.TextColumn(
        ui.noun(capital=True), width="medium", pinned=True
    )},
)  # fmt: skip
ui.downloads(wide.reset_index(), "who-uses-what", key="matrix")
