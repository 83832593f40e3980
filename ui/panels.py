"""Panels many pages share: headline figures, the selection's summary and illustrative-data
notice, a chart with its table and downloads, the frontline and corporate split."""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd
import streamlit as st

from citydata.core import boroughs
from citydata.core.formatting import count
from citydata.query import filters, selection
from citydata.query.filters import FilterState
from ui import charting, faults
from ui.charts import Drawing
from ui.downloading import downloads
from ui.reading import query
from ui.tables import table
from ui.text import plain


class Figure(NamedTuple):
    """One headline figure (`st.metric`): its label, its value as shown, and help text."""

    label: str
    value: str
    help: str | None = None


# Widths in pixels of a metric's words in Streamlit 1.67's font (measured in Chromium: labels
# 5.8-7.0 a character, values 14.5-18 a character; the help icon 24 with its margin).
LABEL_PX, VALUE_PX, HELP_PX, SLACK_PX = 6.4, 17.0, 26, 6


def metric_width(figure: Figure) -> int:
    """The narrowest a figure's column can be with its label and value whole."""
    label = LABEL_PX * len(figure.label) + (HELP_PX if figure.help else 0)
    return round(max(label, VALUE_PX * len(figure.value), 120) + SLACK_PX)


def metrics(*shown: Figure, per_row: int | None = None) -> None:
    """Headline figures side by side, `per_row` (all) a row where the page is wide enough.

    A responsive grid rather than fixed columns: where a figure's label or value would not fit
    its column (a tablet, a laptop zoomed in, a phone), the row holds fewer figures and the
    rest go below, rather than cut the words to "Top 10 vendors' share of re…" or "£54,016,…".
    """
    grid = st.grid(
        per_row or len(shown), min_column_width=max(map(metric_width, shown)), gap="small"
    )
    for figure in shown:
        grid.metric(figure.label, figure.value, help=figure.help)


def selection_header(state: FilterState, noun: str = "contracts") -> None:
    """The plain-English summary of the filters, and the illustrative-data notice."""
    st.markdown(f"**{plain(filters.summary(state, noun))}**")
    found = query(selection.illustrative, state)
    if found.boroughs:
        st.info(illustrative_notice(found), icon=":material/science:")


def illustrative_notice(found: selection.Illustrative) -> str:
    """'Illustrative data. The records for Camden are generated examples, ...': which records
    are examples, and, when some of those boroughs' records are published notices, that those
    are real."""
    demo = found.boroughs
    if len(demo) == 1:
        which = plain(demo[0])
    else:
        total = boroughs.count()
        which = f"{f'all {total}' if len(demo) == total else len(demo)} {boroughs.noun(2)}"
    if found.published:
        notices = count(found.published, "published notice")
        what = (
            f"The register records for {which} are generated examples, not real contracts; "
            f"{'its' if len(demo) == 1 else 'their'} {notices} "
            f"{'is' if found.published == 1 else 'are'} real."
        )
    else:
        what = f"The records for {which} are generated examples, not real contracts."
    return (
        f"Illustrative data. {what} Each {boroughs.noun()}'s examples are replaced when a data "
        "steward uploads its own register."
    )


@faults.fragment
def chart_and_table(drawing: Drawing, df: pd.DataFrame, stem: str, key: str) -> None:
    """The chart of `drawing` (its shape built once: `charting.draw`), the table behind
    it (its own tab, in the link as `<key>_view`) and the table's downloads. Only the tab on
    screen is built and sent; the other is made when someone opens it, and switching tabs
    reruns this panel alone (a fragment), not the page."""
    tab_chart, tab_table = st.tabs(["Chart", "Table"], key=f"{key}_view", bind="query-params")
    if tab_chart.open:
        with tab_chart:
            charting.draw(drawing)
    if tab_table.open:
        with tab_table:
            table(df)
    downloads(df, stem, key)


def service_type_split(state: FilterState) -> None:
    """Frontline against corporate for the selection: records, their share and annual value."""
    split = query(selection.service_type_split, state)
    if split.empty:
        return
    st.header("Frontline and corporate services")  # a section under the page's title (h2)
    table(
        split.rename(
            columns={
                "service_type": "Service type",
                "records": "Records",
                "records_share": "Share of records (%)",
                "annual_value": "Annual value (£)",
            }
        ),
        key="service_type_split",
    )
    st.caption(
        "Frontline: services residents use directly (social care, housing, waste...). "
        "Corporate: the council's own running (finance, HR, IT). The people who run the app "
        "decide which service area is which; the Service type filter in the sidebar picks one."
    )
