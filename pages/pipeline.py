"""Renewal pipeline: what ends soon, by when to decide, what has ended and what has no end date."""

from datetime import date

import streamlit as st

import ui
from citydata.output import exports
from citydata.query import pipeline

state = ui.page_filters()
today = date.today()
COLUMNS = ui.RECORD_COLUMN_CONFIG | {
    "decide_by": st.column_config.DateColumn("Decide by", format="DD/MM/YYYY"),
    "decision": st.column_config.TextColumn("Decision"),
    "days_left": st.column_config.NumberColumn("Days to end"),
    "days_since_end": st.column_config.NumberColumn("Days since end"),
    "lead_months": st.column_config.NumberColumn("Lead time (months)"),
}

st.title("Renewal pipeline")
st.caption(
    f"Contracts ending soon, and the date by which each {ui.noun()} should decide what comes next: "
    "re-procure, extend, or buy together with neighbours."
)
ui.selection_header(state)
lead, problem = pipeline.lead_times_or_default()
if problem:
    st.warning(problem, icon=":material/warning:")

figures = ui.query(pipeline.summary, state, lead, today)
if not figures["records"]:
    st.info("No contracts match these filters. Remove a filter in the sidebar to see more.")
    st.stop()

window = st.segmented_control(
    "Contracts ending in the next",
    pipeline.WINDOWS,
    format_func=lambda n: f"{n} months",
    default=12,
    required=True,
    key="pipeline_window",
)
cols = st.columns(4)
cols[0].metric(f"Ending in next {window} months", f"{figures[f'ending_{window}']:,}")
cols[1].metric(
    "Of these, decide-by date passed",
    f"{figures[f'overdue_{window}']:,}",
    help="Their decide-by date (end date minus the service area's lead time) is past: decide now.",
)
cols[2].metric("Already ended", f"{figures['ended']:,}")
cols[3].metric("No end date", f"{figures['no_end_date']:,}", help="Unknown or rolling contracts.")

tabs = st.tabs(
    [
        f"Ending in the next {window} months ({figures[f'ending_{window}']:,})",
        f"Already ended ({figures['ended']:,})",
        f"No end date ({figures['no_end_date']:,})",
    ]
)
# Each list: its query's function and arguments, the figure counting it, its order, its file.
lists = [
    (pipeline.upcoming, (lead, window, today), f"ending_{window}", "soonest decision first",
     "renewal-pipeline"),
    (pipeline.ended, (today,), "ended", "most recently ended first", "contracts-ended"),
    (pipeline.undated, (), "no_end_date", "by borough", "contracts-no-end-date"),
]  # fmt: skip
for tab, (fn, args, total, order, stem) in zip(tabs, lists, strict=True):
    with tab:
        if not figures[total]:
            st.info("No contracts in this list for the current filters.")
            continue
        rows = ui.query(fn, state, *args, ui.TABLE_ROWS)
        if note := exports.shown_note(len(rows), figures[total], f"contracts, {order}"):
            st.caption(note)
        st.dataframe(rows, hide_index=True, width="stretch", column_config=COLUMNS)
        ui.downloads(
            lambda fn=fn, args=args: ui.read(lambda r: fn(r, state, *args)).rename(
                columns=pipeline.LABELS
            ),
            stem,
            key=stem,
            records=figures[total],
        )

with st.expander("Lead times: how the decide-by date is worked out"):
    st.markdown(
        "The decide-by date is the contract's end date minus the lead time of its service "
        "area. "
        + (
            f"The lead times come from {ui.plain(lead.source)}; edit it to change them."
            if lead.source
            else ""
        )
    )
    st.dataframe(
        lead.table(), hide_index=True, column_config=COLUMNS | {"service_area": "Service area"}
    )
