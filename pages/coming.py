"""Coming to market: for suppliers and new entrants, the contracts ending in the next 1-3 years."""

import streamlit as st

import ui
from citydata.core import dates, settings
from citydata.core.formatting import NOT_RECORDED, count, money_in_full
from citydata.output import alerts
from citydata.query import opportunities, pipeline
from ui import steward

state = ui.page_filters()
today = dates.today()
secrets = steward.secrets()
try:
    hide = opportunities.values_hidden(secrets)
except settings.SettingError as exc:
    st.error(ui.plain(str(exc)))
    hide = True

st.title("Coming to market")
st.caption(
    "For suppliers and new entrants: which council contracts end in the next few years, in "
    "which service areas, and who holds them now. Councils usually decide whether to buy again "
    "a year or more before a contract ends (the decide-by date), so that is when to talk to "
    f"them. Figures come from the {ui.noun(2)}' own registers and the contracts they published, "
    "and may be incomplete."
)
ui.selection_header(state)
lead, problem = pipeline.lead_times_or_default()
if problem:
    st.warning(ui.plain(problem), icon=":material/warning:")

years = st.segmented_control(
    "Looking ahead",
    opportunities.YEARS,
    format_func=ui.shown_as("coming_years", lambda n: f"{n} year{'s' if n > 1 else ''}"),
    default=opportunities.DEFAULT_YEARS,
    required=True,
    key="coming_years",
    bind="query-params",
)
markets = ui.query(opportunities.markets, state, lead, years, today)
if markets.empty:
    st.info(
        "No contracts in this selection end or fall due for decision in that time. Look further "
        "ahead, or remove a filter in the sidebar."
    )
    ui.stop()
head = opportunities.headline(markets)

ui.metrics(
    ui.Figure(f"Contracts ending in {count(years, 'year')}", f"{head['ending']:,}"),
    ui.Figure("Their annual value", "not published")
    if hide
    else ui.Figure(
        "Their combined annual value", money_in_full(head["value_ending"], missing=NOT_RECORDED)
    ),
    ui.Figure("Renewal decisions due", f"{head['deciding']:,}"),
    ui.Figure(
        "Room for a challenger",
        f"{head['room']:,}",
        help=(
            f"Service areas with at least {opportunities.ROOM_MIN_ENDING} contracts ending whose "
            f"market is held by {opportunities.ROOM_MAX_VENDORS} suppliers or fewer, or is "
            f"highly concentrated (HHI above {opportunities.HIGH_HHI:,})."
        ),
    ),
)

st.header("By service area")
st.caption(
    "Main incumbents: the suppliers holding most of the contracts that end. Concentration "
    "(the Herfindahl-Hirschman index, 0-10,000) measures how much of the whole market a few "
    "suppliers hold: above 2,000 a few suppliers hold most of it, below 1,000 it is shared by "
    "many. Suppliers and concentration are the whole market's, whichever vendor or system the "
    "filters pick. A challenger has most room where many contracts end and few suppliers "
    "compete."
)
shown = opportunities.without_values(markets) if hide else markets
table = opportunities.labelled(shown)
ui.table(table, key="coming_markets")
ui.downloads(table, "coming-to-market", key="coming")

st.header("By quarter")
quarters = ui.query(opportunities.quarters, state, lead, years, today)
what = st.segmented_control(
    "Show",
    ["ending", "deciding", *([] if hide else ["value_ending"])],
    format_func=ui.shown_as(
        "coming_show",
        {
            "ending": "Contracts ending",
            "deciding": "Decisions due",
            "value_ending": "Annual value ending (£)",
        }.get,
    ),
    default="ending",
    required=True,
    key="coming_show",
    bind="query-params",
)
grid = opportunities.quarter_grid(quarters, what)
ui.table(grid, key="coming_quarters")
st.caption("Quarters are calendar quarters: Q1 is January to March.")

st.header("Follow it in your calendar")
public_url = settings.public_url(secrets) or ui.site_address()
if alerts.feeds_dir(secrets) is None:
    st.caption("This installation publishes no calendar feeds.")
else:
    st.markdown(
        "Every contract ending in the next three years, on its end date and its decide-by "
        "date, as a calendar that updates itself. In Outlook: *Add calendar → Subscribe from "
        "web*, and paste this address:"
    )
    ui.address_to_copy(alerts.market_feed_url(public_url), key="coming_feed_copy")
