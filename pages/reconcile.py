"""Reconciliation: a borough's register against the contracts it published, side by side."""

import streamlit as st

import ui
from citydata.core import boroughs, dates
from citydata.core.text import file_stem
from citydata.output import exports
from citydata.query import reconciliation
from ui import steward

state = ui.page_filters()

st.title("Reconciliation")
st.write(
    f"A {ui.noun()}'s register (uploaded by its data steward) against the contract awards it "
    "published on Contracts Finder or Find a Tender. A published notice matches a register "
    "record when both name the same supplier and their contract dates overlap or their titles "
    "are alike. A matched contract is counted once everywhere in the app, as the register "
    "record; the notice is its evidence."
)
# One borough chosen in the sidebar opens its reconciliation straight away.
sidebar_one = state.borough[0] if len(state.borough) == 1 else None
name = st.selectbox(
    f"Which {ui.noun()}?",
    boroughs.NAMES,
    index=boroughs.NAMES.index(sidebar_one) if sidebar_one in boroughs.NAMES else None,
    placeholder=f"Choose a {ui.noun()}",
    key="reconcile",
    bind="query-params",
)
if name is None:
    st.info(f"Choose a {ui.noun()} above to compare its register with its published notices.")
    ui.stop()

# What is compared, in the same plain words as every other page: the chosen borough, both
# sources, and the sidebar's other filters.
ui.selection_header(state.with_(borough=(name,), source_kind=()))
tally = ui.query(reconciliation.counts, state, name)
result = ui.query(reconciliation.reconcile, state, name, ui.tables.TABLE_ROWS)  # (what is shown)
if state.borough and state.borough != (name,):
    st.caption(
        f"The sidebar's {ui.noun(capital=True)} filter does not apply on this page, nor does "
        "Source (both are compared); the other filters do."
    )
ui.metrics(
    ui.Figure("Matched", f"{tally.matched:,}"),
    ui.Figure("In the register only", f"{tally.register_only:,}"),
    ui.Figure("Published only", f"{tally.published_only:,}"),
    ui.Figure("Matched but disagreeing", f"{tally.disagreements:,}"),
)
st.write(ui.plain(tally.sentence(name)))
if not tally.matched and not tally.published_only:
    # The Published notices page is a signed-in steward's only: a visitor is not sent there.
    how = (
        "You can fetch them on the Published notices page (or `python -m citydata fetch`)."
        if steward.access().allowed
        else "A data steward can fetch them from Contracts Finder and Find a Tender."
    )
    st.info(
        f"No published notices are held for {name} under these filters. {how}",
        icon=":material/info:",
    )
else:
    st.write(ui.plain(tally.disagreement_sentence()))

NAMED = reconciliation.LABELS  # (the download's names too)
COLUMNS = ui.tables.RECORD_COLUMN_CONFIG | {
    "notice_url": st.column_config.LinkColumn(NAMED["notice_url"], display_text="Open notice"),
    "notice_title": st.column_config.TextColumn(NAMED["notice_title"]),
    "notice_vendor": st.column_config.TextColumn(NAMED["notice_vendor"]),
    "notice_start": st.column_config.DateColumn(NAMED["notice_start"], format="DD/MM/YYYY"),
    "notice_end": st.column_config.DateColumn(NAMED["notice_end"], format="DD/MM/YYYY"),
    "notice_annual_value": st.column_config.NumberColumn(
        NAMED["notice_annual_value"], format="£%,.0f"
    ),
    "notice_total_value": st.column_config.NumberColumn(
        NAMED["notice_total_value"], format="£%,.0f"
    ),
    "differences": st.column_config.TextColumn(NAMED["differences"]),
}


def linked(df):
    out = df.copy()
    if "notice_url" in out:
        out["notice_url"] = [reconciliation.web_link(u) for u in out["notice_url"]]
    return out


def first_rows(shown: int, total: int) -> None:
    """Say so when a table shows only its first rows."""
    if shown < total:
        st.caption(f"Showing the first {shown:,} of {total:,}; the download below has every one.")


st.subheader("Matched: in the register and published")
st.caption("Differences says where the register and the notice disagree (dates, value, supplier).")
ui.dataframe(
    linked(result.matched),
    hide_index=True,
    width="stretch",
    column_config=COLUMNS,
)
first_rows(len(result.matched), tally.matched)
st.subheader("In the register, no published notice found")
st.caption(
    "Contracts below the publishing threshold, older than the notices held, or published under "
    "another supplier's name."
)
ui.dataframe(result.register_only, hide_index=True, width="stretch", column_config=COLUMNS)
first_rows(len(result.register_only), tally.register_only)
st.subheader("Published, missing from the register")
st.caption("Awards the register may need to add, each with a link to its notice.")
ui.dataframe(
    linked(result.published_only),
    hide_index=True,
    width="stretch",
    column_config=COLUMNS,
)
first_rows(len(result.published_only), tally.published_only)
st.download_button(
    "Download the reconciliation (CSV)",
    data=lambda: exports.to_csv(
        exports.with_labels(ui.read(lambda r: reconciliation.reconcile(r, state, name)).labelled())
    ),
    file_name=exports.file_name(f"{file_stem(name)}-reconciliation", "csv", dates.today()),
    mime="text/csv",
    icon=":material/download:",
    on_click="ignore",
)
