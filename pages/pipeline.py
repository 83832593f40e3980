"""Renewal pipeline: what ends soon, by when to decide, what has ended and what has no end date."""

import streamlit as st

import ui
from citydata.core import dates
from citydata.core.formatting import count
from citydata.output import exports
from citydata.query import pipeline

state = ui.page_filters()
today = dates.today()
COLUMNS = ui.tables.RECORD_COLUMN_CONFIG | {
    "decide_by": st.column_config.DateColumn("Decide by", format="DD/MM/YYYY"),
    "decision": st.column_config.TextColumn("Decision"),
    "days_to_decide": st.column_config.NumberColumn("Days to decide"),
    "days_overdue": st.column_config.NumberColumn("Days past decide-by"),
    "days_left": st.column_config.NumberColumn("Days to end"),
    "days_since_end": st.column_config.NumberColumn("Days since end"),
    "lead_months": st.column_config.NumberColumn("Lead time (months)"),
}
# Key columns first, so a laptop screen shows who, what and when without scrolling sideways.
WHO = ("borough", "system", "vendor")
ORDER = {
    "due": ("decide_by", *WHO, "contract_end", "decision", "days_to_decide", "service_area"),
    "overdue": ("contract_end", *WHO, "decide_by", "days_overdue", "days_left", "service_area"),
    "ending": ("contract_end", *WHO, "decide_by", "decision", "days_left", "service_area"),
    "ended": ("contract_end", *WHO, "days_since_end", "service_area"),
    "undated": (*WHO, "service_area"),
}

st.title("Renewal pipeline")
st.caption(
    f"What each {ui.noun()} must decide in the coming months, and by when: re-procure, extend, or "
    "buy together with neighbours. The decide-by date is the contract's end date minus its "
    "service area's lead time."
)
ui.selection_header(state)
lead, problem = pipeline.lead_times_or_default()
if problem:
    st.warning(ui.plain(problem), icon=":material/warning:")

figures = ui.query(pipeline.summary, state, lead, today)
if not figures["records"]:
    st.info("No contracts match these filters. Remove a filter in the sidebar to see more.")
    ui.stop()


@ui.fragment  # the window or a list chosen reruns the lists alone, not the page
def decisions(state, lead, today, figures):
    window = st.segmented_control(
        "Decisions due in the next",
        pipeline.WINDOWS,
        format_func=ui.shown_as("pipeline_window", lambda n: f"{n} months"),
        default=12,
        required=True,
        key="pipeline_window",
        bind="query-params",
    )
    ui.metrics(
        ui.Figure(
            f"Decide in next {window} months",
            f"{figures[f'due_{window}']:,}",
            help="Contracts still running whose decide-by date falls in this window.",
        ),
        ui.Figure(
            "Decision overdue",
            f"{figures['decisions_overdue']:,}",
            help="Still running, but the decide-by date has passed: decide now.",
        ),
        ui.Figure("Already ended", f"{figures['ended']:,}"),
        ui.Figure(
            "No end date", f"{figures['no_end_date']:,}", help="Unknown or rolling contracts."
        ),
    )

    # The list shown is in the link (`pipeline_list`, the tab's label): so the labels stay the
    # same whatever the window and the counts, and each list says its count at its top instead.
    titles = {
        "Decisions due": f"Decide in the next {window} months",
        "Decision overdue": "Decision overdue",
        "Ending soon": f"Ending in the next {window} months",
        "Already ended": "Already ended",
        "No end date": "No end date",
    }
    tabs = st.tabs(list(titles), key="pipeline_list", bind="query-params")
    # Each list: its rows' function (the table) and its query's (the downloads), their
    # arguments, the figure counting it, its order, its file, and its columns' order.
    lists = [
        (pipeline.decisions_due, pipeline.decisions_due_sql, (lead, window, today),
         f"due_{window}", "soonest decision first", "decisions-due", "due"),
        (pipeline.decisions_overdue, pipeline.decisions_overdue_sql, (lead, today),
         "decisions_overdue", "soonest end first", "decisions-overdue", "overdue"),
        (pipeline.upcoming, pipeline.upcoming_sql, (lead, window, today), f"ending_{window}",
         "soonest decision first", "renewal-pipeline", "ending"),
        (pipeline.ended, pipeline.ended_sql, (today,), "ended", "most recently ended first",
         "contracts-ended", "ended"),
        (pipeline.undated, pipeline.undated_sql, (), "no_end_date", f"by {ui.noun()}",
         "contracts-no-end-date", "undated"),
    ]  # fmt: skip
    for tab, title, (fn, sql, args, total, order, stem, kind) in zip(
        tabs, titles.values(), lists, strict=True
    ):
        with tab:
            st.markdown(f"**{title}: {count(figures[total], 'contract')}**")
            if not figures[total]:
                st.info("No contracts in this list for the current filters.")
                continue
            if not tab.open:  # only the list on screen is read and sent
                continue
            rows = ui.query(fn, state, *args, ui.tables.TABLE_ROWS)
            # (the list shows a joint contract's record of each council)
            listed = figures[f"{total}_records"]
            if note := exports.shown_note(len(rows), listed, f"records, {order}"):
                st.caption(note)
            first = [c for c in ORDER[kind] if c in rows.columns]
            ui.dataframe(
                rows,
                hide_index=True,
                width="stretch",
                column_config=COLUMNS,
                column_order=[
                    *first,
                    *(c for c in rows.columns if c not in first and COLUMNS.get(c, 1)),
                ],
            )
            # every row of the list, written by DuckDB when a button is clicked
            every = exports.Rows(*sql(state, *args), names=pipeline.LABELS)
            ui.downloads(every, stem, key=stem, records=listed)


decisions(state, lead, today, figures)

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
    ui.dataframe(
        lead.table(), hide_index=True, column_config=COLUMNS | {"service_area": "Service area"}
    )
