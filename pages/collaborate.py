"""Collaboration: boroughs whose contracts for the same thing end close together."""

import streamlit as st

import ui
from citydata.core import boroughs, dates
from citydata.core.formatting import count
from citydata.output import exports, group_briefing, provenance, word
from citydata.query import collaboration, selection

state = ui.page_filters()
today = dates.today()
GROUP = {"group": "Group"}  # the group number's heading in the all-groups download
COLUMNS = ui.tables.RECORD_COLUMN_CONFIG | {
    "group": st.column_config.NumberColumn("Group", width="small"),
    "boroughs": st.column_config.NumberColumn(ui.noun(2, True)),
    "contracts": st.column_config.NumberColumn("Contracts"),
    "combined_annual_value": st.column_config.NumberColumn(
        "Combined annual value (£)", format="£%,.0f"
    ),
    "first_end": st.column_config.DateColumn("First end", format="DD/MM/YYYY"),
    "last_end": st.column_config.DateColumn("Last end", format="DD/MM/YYYY"),
    "borough_list": st.column_config.TextColumn(f"Which {ui.noun(2)}"),
    "systems": st.column_config.TextColumn("Systems"),
    "vendors": st.column_config.TextColumn("Vendors"),
    "near_misses": st.column_config.TextColumn(
        "Just outside",
        help=f"{ui.noun(2, True)} whose contract for the same thing ends up to "
        f"{collaboration.NEAR_MONTHS} months before the group starts or after its window "
        "closes: worth inviting.",
    ),
    "contracts_with_value": None,
    "groups_found": None,
    "contracts_in_groups": None,
    "records": None,
    "records_in_groups": None,
}

st.title("Collaboration finder")
st.caption(
    f"{ui.noun(2, True)} whose contracts for the same system, or the same vendor in a service "
    "area, end "
    "within a few months of each other could procure together and bargain as one."
)
ui.selection_header(state)

by = st.segmented_control(
    f"{ui.noun(2, True)} with contracts for the same",
    list(collaboration.KEYS),
    format_func=ui.shown_as("group_by", lambda k: collaboration.KEYS[k].capitalize()),
    default=collaboration.DEFAULT_BY,
    required=True,
    key="group_by",
    bind="query-params",
)
middle, right = st.columns(2)
window = middle.slider(
    "Ending within (months) of each other",
    min_value=1,
    max_value=collaboration.PAGE_MAX_WINDOW_MONTHS,
    value=collaboration.DEFAULT_WINDOW_MONTHS,
    key="window",
    bind="query-params",
)
include_ended = right.toggle(
    "Include ended contracts",
    key="include_ended",
    bind="query-params",
    help="Contracts past their end date are often still running on an extension.",
)
query = collaboration.Query(by, window, include_ended)
COLUMNS["key"] = st.column_config.TextColumn(collaboration.KEYS[by].capitalize())

groups = ui.query(collaboration.groups, state, query, today, ui.tables.TABLE_ROWS)
if groups.empty:
    st.info(group_briefing.as_text(groups, query) + " Widen the window or remove a filter.")
    ui.stop()

found = int(groups["groups_found"].iloc[0])
ui.metrics(
    ui.Figure("Groups found", f"{found:,}"),
    ui.Figure("Largest group", count(int(groups["boroughs"].max()), ui.noun(), ui.noun(2))),
    ui.Figure("Contracts in groups", f"{int(groups['contracts_in_groups'].iloc[0]):,}"),
)
if note := exports.shown_note(len(groups), found, "groups, best first"):
    st.caption(note)
ui.dataframe(
    groups,
    hide_index=True,
    width="stretch",
    column_config=COLUMNS,
    column_order=["group", "key", "boroughs", "first_end", "last_end", "borough_list",
                  "near_misses", "contracts", "combined_annual_value", "systems", "vendors"],
)  # fmt: skip
everyone = exports.offer(int(groups["records_in_groups"].iloc[0]))  # (a row for each record)
all_groups = exports.Rows(*collaboration.members_sql(state, query, today), names=GROUP)
st.download_button(
    "Download all groups (CSV)",
    data=lambda: ui.read(lambda r: exports.rows_csv(r, all_groups)),  # DuckDB writes it
    file_name=exports.file_name(provenance.named("collaboration-groups", state), "csv", today),
    mime="text/csv",
    key="collab-all-csv",
    icon=":material/download:",
    on_click="ignore",  # no rerun: the file is made on click
    disabled=not everyone.csv,
    help=None if everyone.csv else ui.plain(everyone.note),
)
if not everyone.csv:
    st.caption(ui.plain(everyone.note))

st.header("Briefing on one group")


@ui.fragment  # another group chosen reruns the briefing alone, not the page
def briefing(state, query, today, groups):
    # The labels are the options, so a new grouping (new labels) starts again at group 1.
    labels = ui.derive(
        group_briefing.group_labels,
        collaboration.groups,
        state,
        (query, today, ui.tables.TABLE_ROWS),
        query,
    )
    chosen = labels[st.selectbox("Group", list(labels), key="collab_group", bind="query-params")]
    group = groups[groups["group"] == chosen].iloc[0]
    span = (group["key"], group["first_end"], group["last_end"])
    rows = ui.query(collaboration.group_members, state, query, *span, ui.tables.TABLE_ROWS)
    if note := exports.shown_note(  # (a row for each council's record of a joint contract)
        len(rows), int(group["records"]), "records in this group, by end date"
    ):
        st.caption(note)
    ui.dataframe(rows, hide_index=True, width="stretch", column_config=COLUMNS)

    def all_rows():
        return ui.read(lambda r: collaboration.group_members(r, state, query, *span))

    illustrative = ui.query(selection.illustrative, state).boroughs
    ui.briefing_downloads(
        group_briefing.file_stem(chosen, state, today), "collab-group",
        csv=lambda: exports.to_csv(exports.with_labels(group_briefing.briefing_frame(all_rows()))),
        md=lambda: group_briefing.briefing_markdown(
            group, all_rows(), query, today, illustrative, state
        ).encode("utf-8"),
        docx=lambda: word.collaboration(
            group_briefing.briefing(group, all_rows(), query, today, illustrative, state)
        ),
    )  # fmt: skip
    if set(illustrative) & set(rows["borough"]):
        st.info(
            "Some of this group's records are illustrative examples, not real contracts; the "
            "briefings say so.",
            icon=":material/info:",
        )


briefing(state, query, today, groups)
rule = collaboration.RULE.format(noun=collaboration.KEYS[by], window=count(window, "month"))
st.caption(boroughs.reword(rule))
