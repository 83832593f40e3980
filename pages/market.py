"""Market: vendor shares, concentration per service area and supplier satisfaction."""

import streamlit as st

import ui
from citydata.core import boroughs
from citydata.core.formatting import count
from citydata.query import links, market, satisfaction
from ui.charts import market as charts

state = ui.page_filters()

st.title("Market: vendors and concentration")
st.caption(
    f"Who holds the {ui.noun(2)}' technology contracts, how concentrated each service area is, "
    f"and how satisfied {ui.noun(2)} are with their suppliers."
)
ui.selection_header(state)

# Each choice as wide as its options, side by side where they fit: in fixed columns a laptop
# zoomed in (1024 px, menu open) hid the "Value" option and the number's - and + buttons.
controls = st.container(horizontal=True, gap="medium")
by = controls.segmented_control(
    "Rank vendors by", list(market.MEASURE_LABELS),
    format_func=ui.shown_as("market_by", market.MEASURE_LABELS.get),
    default="records", required=True, key="market_by", bind="query-params",
)  # fmt: skip
role = controls.segmented_control(
    "Count each contract under", list(market.ROLE_LABELS),
    format_func=ui.shown_as("market_role", market.ROLE_LABELS.get),
    default="supplier", required=True, key="market_role", bind="query-params",
    help="Supplier: who holds the contract. Maker: who makes the product, so a reseller's "
    "contracts count for the maker of what it sells.",
)  # fmt: skip
top_n = controls.number_input(
    "Vendors to show", min_value=3, max_value=50, value=market.DEFAULT_TOP_N, key="market_top",
    bind="query-params", width=160,
)  # fmt: skip

# The selection is read once (market.aggregate); each panel is worked out from that read,
# once per selection and choice (ui.derive), so a rerun only draws.
source = (market.aggregate, state, (role,))
head = ui.derive(market.headline_from, *source, top_n)
if not head["records"]:
    st.info("No contracts match these filters. Remove a filter in the sidebar to see more.")
    ui.stop()
if not head["vendors"]:
    st.info(
        f"No vendor is named in the {count(head['records'], 'contract')} these filters pick "
        "(published notices often name none), so there is no market to show."
    )
    ui.stop()

ranking = ui.derive(market.ranking_from, *source, by, top_n)
st.header(ui.plain(market.headline_sentence(head, ranking, by)))  # (names the leading vendor)
# Short labels, the words in their help: "Top 10 vendors' share of records" was cut to "Top 10
# vendors' share of re…" on a tablet, and made the row of four too wide for a laptop's.
top = head["top_n"]
leaders = count(top, "vendor")
value_share = head["value_share"]
ui.metrics(
    ui.Figure("Vendors", f"{head['vendors']:,}"),
    ui.Figure(
        f"Top {top} share of records",
        f"{head['share']:.1f}%",
        help=f"Share of the records held by the {leaders} with the most records.",
    ),
    ui.Figure(
        "Vendors holding half",
        f"{head['half_vendors']:,}",
        help="The fewest vendors that together hold more than half of the records that name one.",
    ),
    ui.Figure(
        f"Top {top} share of value",
        "no values" if value_share is None else f"{value_share:.1f}%",
        help=f"Share of the annual value recorded held by the {leaders} with the most value.",
    ),
)

st.header("Vendor ranking")
ui.charting.draw(charts.ranking_chart(ranking, by, market.authorities()))
st.caption(
    f"Share of {ui.noun(2)} is out of {boroughs.all_of(market.authorities())}, whatever the "
    f"filters: a vendor serving every {ui.noun()} in the selection may still serve few of "
    "them. Select a vendor in the table to open its profile."
)
shown = charts.ranking_table(ranking)
picked = ui.table(shown, key="market_ranking", selectable=True)
rows = picked.selection.rows if picked else []
if rows and ranking["rank"].notna().iloc[rows[0]]:
    name = ranking["vendor"].iloc[rows[0]]
    st.page_link(
        "pages/vendor.py", label=f"Open the profile of {ui.plain(name)}",
        icon=":material/storefront:",
        query_params=links.to_query_params(state) | {"vendor_profile": [name]},
    )  # fmt: skip
ui.downloads(shown, "vendor-ranking", key="ranking")

st.header("Vendor shares by service area")
areas = ui.derive(market.area_shares_from, *source, 3)
ui.chart_and_table(charts.area_share_chart(areas), charts.labelled(areas), "area-shares", "areas")

ui.service_type_split(state)

st.header("Concentration per service area")


@ui.fragment  # moving the threshold reruns this panel alone, not the page
def concentration(source, by):
    threshold = st.slider(
        "Highlight markets with an HHI above", min_value=500, max_value=5000, step=100,
        value=market.DEFAULT_HHI_THRESHOLD, key="hhi_threshold", bind="query-params",
    )  # fmt: skip
    measure = "annual_value" if by == "annual_value" else "records"
    conc = ui.derive(market.concentration_from, *source, threshold, measure)
    above = conc[conc.above_threshold]
    areas = "service area" if len(conc) == 1 else "service areas"  # ('1 of 1 service area')
    verb = "is" if len(above) == 1 else "are"  # ('1 of 19 service areas is above')
    st.markdown(
        f"**{len(above)} of {len(conc)}** {areas} {verb} above {threshold:,}"
        + (": " + ui.plain(", ".join(above.service_area)) if len(above) else ".")
    )
    st.caption(
        f"Shares of {'annual value' if measure == 'annual_value' else 'records'}. The "
        "Herfindahl-Hirschman index adds up the squared percentage shares of every vendor: 10,000 "
        "is one vendor holding everything. UK merger guidance (2010) called a market above 1,000 "
        "concentrated and above 2,000 highly concentrated."
    )
    ui.chart_and_table(
        charts.concentration_chart(conc, threshold),
        charts.labelled(conc),
        "concentration",
        "conc",
    )


concentration(source, by)

st.header("Satisfaction with suppliers")
sat = ui.derive(satisfaction.summary_from, *source)
if not sat["scored"]:
    st.info("None of these records carries a satisfaction score.")
    ui.stop()
ui.metrics(
    ui.Figure("Scored records", f"{sat['scored']:,} of {sat['records']:,}"),
    ui.Figure(f"{ui.noun(2, True)} with scores", f"{sat['boroughs_scored']:,}"),
    ui.Figure("Average satisfaction (1-5)", f"{sat['average']:.2f}"),
)
per_borough = ui.derive(satisfaction.by_borough_from, *source)
link = satisfaction.correlation_words(sat["correlation"], per_borough)
st.markdown(
    f"Suppliers and satisfaction across {boroughs.the(sat['boroughs_scored'])} with scores: "
    f"**{ui.plain(link)}**."
)
st.caption(
    f"Each {ui.noun()}'s number of suppliers against its average score; the number in brackets is "
    "its scored records. A handful of scores says little: read the counts before the line."
)
ui.chart_and_table(
    charts.satisfaction_scatter(per_borough), charts.labelled(per_borough),
    f"satisfaction-by-{ui.noun()}", "sat-borough",
)  # fmt: skip
per_vendor = ui.derive(satisfaction.by_vendor_from, *source)
st.markdown("**By vendor** (the 20 with the most scored records in the chart; all in the table)")
ui.chart_and_table(
    charts.vendor_satisfaction_chart(per_vendor), charts.labelled(per_vendor),
    "satisfaction-by-vendor", "sat-vendor",
)  # fmt: skip
