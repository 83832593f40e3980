"""Vendor profile: one vendor's boroughs, systems, service areas, contract ends and value."""

import streamlit as st

import ui
from citydata.core import boroughs
from citydata.core.dates import day_label
from citydata.core.formatting import NOT_RECORDED, count, money_in_full
from citydata.output import exports
from citydata.query import vendor_profile
from citydata.query.filters import FilterState
from ui.charts import market as charts

state = ui.page_filters()

st.title("Vendor profile")
st.caption(
    f"One vendor: the {ui.noun(2)} it serves, its systems and service areas, when its "
    "contracts end and what they are worth. A vendor that holds contracts for another maker's "
    "product (a reseller or partner) is shown as such, apart from the maker."
)
vendor = st.selectbox(
    "Vendor", ui.query(vendor_profile.vendor_names, FilterState()), index=None,
    key="vendor_profile", bind="query-params", placeholder="Choose or type a vendor",
)  # fmt: skip
ui.selection_header(state)
if vendor is None:
    st.info("Choose a vendor above, or open one from the ranking on the Market page.")
    ui.stop()

# Every panel from one read of the vendor's records; the first rows of its records are shown,
# and the downloads read every record when clicked.
profile = ui.query(vendor_profile.profile, state, vendor, ui.tables.TABLE_ROWS)
figures = profile.summary
if not figures["held"] and not figures["made"]:
    st.info(
        f"No contracts of {ui.plain(vendor)} match these filters. Remove a filter in the "
        "sidebar to see more."
    )
    ui.stop()

if figures["held"]:
    next_end = figures["next_end"]
    ui.metrics(
        ui.Figure(f"{ui.noun(2, True)} served", f"{figures['boroughs']} of {boroughs.count()}"),
        ui.Figure("Contracts held", f"{figures['held']:,}"),
        ui.Figure(
            "Of which another maker's product",
            f"{figures['resale']:,}",
            help="Contracts this vendor holds for a product someone else makes (as a reseller).",
        ),
        ui.Figure("Systems", f"{figures['systems']:,}"),
        ui.Figure("Annual value", money_in_full(figures["annual_value"], missing=NOT_RECORDED)),
        ui.Figure("Next contract end", day_label(next_end) if next_end else "none ahead"),
        per_row=3,
    )
else:
    st.info(f"{ui.plain(vendor)} holds no contracts in this selection.")
if figures["made"]:
    where = count(figures["made_boroughs"], ui.noun(), ui.noun(2))
    st.markdown(
        f"Its products are in **{count(figures['made'], 'contract')}** held by other vendors, "
        f"in **{where}** (listed under Systems and Records)."
    )

served = profile.boroughs
if not served.empty:
    st.subheader(f"{ui.noun(2, True)} served")
    ui.table(charts.labelled(served))
    ui.downloads(charts.labelled(served), f"vendor-{ui.noun(2)}", key="vendor-boroughs")

st.subheader("Systems")
systems = profile.systems
ui.table(charts.labelled(systems))
ui.downloads(charts.labelled(systems), "vendor-systems", key="vendor-systems")

years = profile.end_years
if not years.empty:
    st.subheader("When its contracts end")
    ui.chart_and_table(charts.end_years_chart(years), charts.labelled(years), "vendor-ends", "ends")

st.subheader("Records")
records = profile.contracts
if note := exports.shown_note(len(records), figures["records"], "records, its own contracts first"):
    st.caption(note)
ui.table(charts.labelled(records))
ui.downloads(
    lambda: charts.labelled(ui.read(lambda r: vendor_profile.contracts(r, state, vendor))),
    "vendor-records",
    key="vendor-records",
    records=figures["records"],
)

ui.share_note("this profile", ui.share_link(state, "vendor", {"vendor_profile": vendor}))
