"""Calendar: when contracts end, by year and month, within one month, and as a timeline."""

import streamlit as st

import ui
from citydata.core import dates
from citydata.output import exports, ics, provenance
from citydata.query import expiry, pipeline
from ui.charts import calendar as charts

state = ui.page_filters()
today = dates.today()

st.title("Contract calendar")
st.caption(
    f"When contracts end. {ui.noun(2, True)} whose contracts for the same service end at the "
    "same time can plan and buy together."
)
ui.selection_header(state)

figures = ui.query(expiry.counts, state, today)
if not figures["records"]:
    st.info("No contracts match these filters. Remove a filter in the sidebar to see more.")
    ui.stop()

ui.metrics(
    ui.Figure("Contracts with an end date", f"{figures['with_end']:,}"),
    ui.Figure("Ending in next 12 months", f"{figures['ending_12_months']:,}"),
    ui.Figure("Already ended", f"{figures['ended']:,}"),
    ui.Figure(
        "No end date",
        f"{figures['no_end']:,}",
        help="Unknown or rolling contracts. They cannot be placed on the calendar; the Renewal "
        "pipeline page lists them.",
    ),
)
if not figures["with_end"]:
    st.info("None of these contracts has an end date recorded, so none can be shown in time.")
    ui.stop()


@ui.fragment  # a tab or a choice inside the calendar reruns the calendar alone, not the page
def calendar_views(state, today, with_end):
    heat = ui.query(expiry.heatmap, state)
    # Every choice on this page is in its link (the tab, the shading, the month, the grouping).
    tab_year, tab_month, tab_timeline = st.tabs(
        ["Year by month", "One month", "Timeline"], key="calendar_view", bind="query-params"
    )

    # Every tab's choice is drawn (so it stays in the link), only the tab on screen is built.
    with tab_year:
        measure = st.segmented_control(
            "Shade by",
            list(charts.MEASURES),
            format_func=ui.shown_as("calendar_measure", charts.MEASURES.get),
            default="contracts",
            required=True,
            key="calendar_measure",
            bind="query-params",
        )
        if tab_year.open:
            ui.charting.draw(charts.heatmap_chart(heat, measure, today))
            st.caption(
                "Each cell counts the contracts ending in that month (hover for the annual value); "
                "this month is outlined in red."
            )

    with tab_month:
        months = expiry.month_options(heat)
        chosen = st.selectbox(
            "Month",
            list(months),
            index=list(months).index(expiry.default_month(months, today)),
            format_func=ui.shown_as("calendar_month", months.get),
            key="calendar_month",
            bind="query-params",
        )
        if tab_month.open:
            days = ui.query(expiry.month_days, state, chosen)
            n = int(days["contracts"].sum())
            st.markdown(f"**{n:,} contract{'' if n == 1 else 's'} ending in {months[chosen]}**")
            ui.charting.draw(charts.month_chart(expiry.month_grid(days, chosen)))
            ending = ui.query(expiry.month, state, chosen, ui.tables.TABLE_ROWS)
            if note := expiry.describe_month_limit(len(ending), int(days["records"].sum())):
                st.caption(note)
            ui.dataframe(
                ending,
                hide_index=True,
                width="stretch",
                column_config=ui.tables.RECORD_COLUMN_CONFIG,
            )

    with tab_timeline:
        group_by = st.segmented_control(
            "Group by",
            list(expiry.TIMELINE_GROUPS),
            format_func=ui.shown_as("timeline_group", expiry.TIMELINE_GROUPS.get),
            default="borough",
            required=True,
            key="timeline_group",
            bind="query-params",
        )
        if tab_timeline.open:
            periods = ui.query(expiry.timeline, state, group_by, today)
            if note := expiry.describe_limit(len(periods), with_end):
                st.caption(note)
            ui.charting.draw(charts.timeline_chart(periods, group_by, today))


calendar_views(state, today, figures["dated_records"])  # (a bar for each record)

st.header("Add these dates to your calendar")
lead, problem = pipeline.lead_times_or_default()
if problem:
    st.warning(ui.plain(problem), icon=":material/warning:")
st.caption(ics.describe(figures["dated_records"]))  # (each record's dates)
calendar_name, calendar_identity = ics.for_selection(state)  # (what it holds names it)
st.download_button(
    "Download calendar (.ics)",
    data=lambda: ics.build(
        ui.read(lambda r: pipeline.with_decide_by(r, state, lead, ics.MAX_CONTRACTS, today)),
        name=calendar_name,
        identity=calendar_identity,
    ),
    file_name=exports.file_name(provenance.named("city-tools-contract-dates", state), "ics", today),
    mime="text/calendar",
    key="calendar-ics",
    icon=":material/event:",
    on_click="ignore",  # no rerun: the file is made on click
)
