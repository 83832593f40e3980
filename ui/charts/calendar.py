"""Charts of the expiry calendar: the year-by-month heatmap, one month's days, the timeline."""

from __future__ import annotations

import calendar as _cal
from datetime import date

import altair as alt
import pandas as pd

from citydata.core.boroughs import noun
from citydata.core.dates import day_label
from citydata.core.formatting import day, money, money_in_full
from citydata.query.expiry import ENDED, ENDS_LATER, ENDS_SOON, WEEKDAYS, timeline_row_labels
from ui.charts import Drawing, label_limit, legend_columns, room

MONTHS: tuple[str, ...] = tuple(_cal.month_abbr[m] for m in range(1, 13))
MEASURES: dict[str, str] = {"contracts": "Contracts ending", "annual_value": "Annual value (£)"}
STATUS_COLOURS = {ENDED: "#9e9e9e", ENDS_SOON: "#d95f02", ENDS_LATER: "#1d4f91"}


def heatmap_chart(
    heat: pd.DataFrame, measure: str = "contracts", today: date | None = None
) -> Drawing:
    """Years down, months across; each cell coloured by contracts (or value) ending then.

    Every month of every year in range gets a cell, so months with no endings show as white;
    the current month (of `today`) is outlined in red.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}")
    years = range(int(heat["year"].min()), int(heat["year"].max()) + 1) if len(heat) else []
    full = pd.MultiIndex.from_product([list(years), range(1, 13)], names=["year", "month"])
    grid = (
        heat.set_index(["year", "month"])[["contracts", "annual_value"]]
        .reindex(full, fill_value=0)
        .reset_index()
    )
    grid["Month"] = grid["month"].map(lambda m: MONTHS[m - 1])
    grid["Year"] = grid["year"].astype(str)
    grid["When"] = grid["Month"] + " " + grid["Year"]
    grid["Value label"] = grid["annual_value"].map(money)
    grid["Value"] = grid["annual_value"].map(_in_full)
    # (a month whose contracts have no value is shaded as the lightest; its words say so)
    grid["annual_value"] = grid["annual_value"].fillna(0.0)
    # What depends on the selection travels in the data (which cells get white text, which is
    # this month), so the specification stays the same and the browser swaps the data in place.
    grid["dark"] = grid[measure] > _light_text_threshold(grid[measure])
    grid["now"] = (grid["year"] == today.year) & (grid["month"] == today.month) if today else False
    return Drawing(grid, _heatmap, (measure,))


def _heatmap(measure: str) -> alt.LayerChart:
    title = MEASURES[measure]
    base = alt.Chart().encode(
        x=alt.X("Month:N", sort=list(MONTHS), title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("Year:O", title=None),
        tooltip=[
            alt.Tooltip("When:N", title="Month"),
            alt.Tooltip("contracts:Q", title="Contracts ending"),
            alt.Tooltip("Value:N", title="Annual value"),
        ],
    )
    cells = base.mark_rect(stroke="#d0d0d0").encode(
        color=alt.condition(
            "datum.contracts > 0",
            alt.Color(
                f"{measure}:Q",
                title=title,
                scale=alt.Scale(scheme="oranges"),
                legend=alt.Legend(format=",.0f"),
            ),
            alt.value("#ffffff"),
        )
    )
    text_field = "contracts:Q" if measure == "contracts" else "Value label:N"
    text = base.mark_text(fontSize=11).encode(
        text=alt.condition("datum.contracts > 0", alt.Text(text_field), alt.value("")),
        color=alt.condition("datum.dark", alt.value("white"), alt.value("#333333")),
    )
    now = (
        base.transform_filter("datum.now")
        .mark_rect(fillOpacity=0, stroke="#c62828", strokeWidth=2.5)
        .encode(tooltip=alt.value(None))
    )
    return (cells + text + now).properties(height=alt.Step(26))


def month_chart(grid: pd.DataFrame) -> Drawing:
    """A month as a wall calendar: Monday to Sunday across, weeks down, days with endings shaded."""
    data = grid.assign(
        label=grid["contracts"].map(lambda n: f"{n} ending" if n else ""),
        when=pd.to_datetime(grid["date"]).map(lambda t: f"{t:%a} {day(t)}"),
        value=grid["annual_value"].map(_in_full),
        dark=grid["contracts"] > _light_text_threshold(grid["contracts"]),
    )
    return Drawing(data, _month)


def _month() -> alt.LayerChart:
    base = alt.Chart().encode(
        x=alt.X(
            "weekday:N",
            sort=list(WEEKDAYS),
            title=None,
            axis=alt.Axis(orient="top", labelAngle=0, ticks=False, domain=False),
        ),
        y=alt.Y("week:O", title=None, axis=None),
        tooltip=[
            alt.Tooltip("when:N", title="Day"),
            alt.Tooltip("contracts:Q", title="Contracts ending"),
            alt.Tooltip("value:N", title="Annual value"),
        ],
    )
    cells = base.mark_rect(stroke="#d0d0d0").encode(
        color=alt.condition(
            "datum.contracts > 0",
            alt.Color("contracts:Q", scale=alt.Scale(scheme="oranges"), legend=None),
            alt.value("#ffffff"),
        )
    )
    dark = "datum.dark"  # in the data, so the specification stays the same
    days = base.mark_text(fontSize=11, dy=-12).encode(
        text="day:Q", color=alt.condition(dark, alt.value("#ffffff"), alt.value("#666666"))
    )
    count = base.mark_text(fontSize=12, fontWeight="bold", dy=8).encode(
        text="label:N", color=alt.condition(dark, alt.value("#ffffff"), alt.value("#222222"))
    )
    return (cells + days + count).properties(height=alt.Step(56))


def timeline_chart(df: pd.DataFrame, group_by: str, today: date) -> Drawing:
    """One bar per contract from start to end (a dot at the end), today marked in red."""
    data = df.assign(
        row=timeline_row_labels(df, group_by),
        value_label=df["annual_value"].map(money),
        start_label=pd.to_datetime(df["contract_start"]).map(day),
        end_label=pd.to_datetime(df["contract_end"]).map(day),
        position=range(len(df)),  # the rows' order, in the data (see heatmap_chart)
    )
    return Drawing(data, _timeline, (today,))


def _timeline(today: date) -> alt.LayerChart:
    colour = alt.Color(
        "status:N",
        title=None,
        scale=alt.Scale(domain=list(STATUS_COLOURS), range=list(STATUS_COLOURS.values())),
        legend=alt.Legend(orient="top", columns=legend_columns(len(STATUS_COLOURS))),
    )
    tooltip = [
        alt.Tooltip("borough:N", title=noun(capital=True)),
        alt.Tooltip("service_area:N", title="Service area"),
        alt.Tooltip("system:N", title="System"),
        alt.Tooltip("vendor:N", title="Vendor"),
        alt.Tooltip("start_label:N", title="Contract start"),
        alt.Tooltip("end_label:N", title="Contract end"),
        alt.Tooltip("value_label:N", title="Annual value (£)"),
    ]
    y = alt.Y(
        "row:N",
        sort=alt.EncodingSortField(field="position", op="min"),
        title=None,
        axis=alt.Axis(labelLimit=label_limit(360), labelOverlap=False),
    )
    base = alt.Chart().encode(y=y, color=colour, tooltip=tooltip)
    bars = (
        base.transform_filter("isValid(datum.contract_start)")
        .mark_bar(height=10, cornerRadius=2, opacity=0.8)
        .encode(
            x=alt.X("contract_start:T", title=None, axis=alt.Axis(format="%Y", orient="top")),
            x2="contract_end:T",
        )
    )
    ends = base.mark_point(filled=True, size=40, opacity=1).encode(x="contract_end:T")
    marker = pd.DataFrame({"today": [pd.Timestamp(today)], "label": [f"Today {day_label(today)}"]})
    rule = alt.Chart(marker).mark_rule(color="#c62828", strokeWidth=2).encode(x="today:T")
    label = (
        alt.Chart(marker)
        .mark_text(
            color="#c62828", align="right", dx=-4, dy=-4, baseline="bottom", fontWeight="bold"
        )
        .encode(x="today:T", y=alt.value(0), text="label:N")
    )
    return (bars + ends + rule + label).properties(height=alt.Step(20)).add_params(room())


def _in_full(value: float) -> str:
    """A cell's value for its tooltip: '£1,234,567', or 'not recorded'."""
    return money_in_full(value, missing="not recorded")


def _light_text_threshold(values: pd.Series) -> float:
    """Cells darker than about 60% of the top of the scale get white text."""
    top = float(values.max()) if len(values) else 0.0
    return round(top * 0.6, 2)
