"""The borough profile's chart: when each of its contracts runs, and how soon it ends."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd

from citydata.core.dates import add_months
from citydata.query.market import NOT_GIVEN, SYSTEM_NOT_GIVEN
from ui.charts import Drawing, label_limit, legend_columns, room

URGENCY = {
    "Ended": "#8c8c8c",
    "Ends within 12 months": "#d94801",
    "Ends in 12-24 months": "#fd8d3c",
    "Ends later": "#2c7fb8",
}


def timeline_frame(systems: pd.DataFrame, today: date) -> pd.DataFrame:
    """One row per contract with a known end date: label, start (or end), end, urgency."""
    known = systems[systems["contract_end"].notna()].copy()
    end = pd.to_datetime(known["contract_end"])
    start = pd.to_datetime(known["contract_start"])
    known["start"] = start.where(start.notna() & (start <= end), end)
    known["end"] = end
    known["contract"] = contract_labels(known)
    t, y1, y2 = (pd.Timestamp(d) for d in (today, add_months(today, 12), add_months(today, 24)))
    known["urgency"] = "Ends later"
    known.loc[end < y2, "urgency"] = "Ends in 12-24 months"
    known.loc[end < y1, "urgency"] = "Ends within 12 months"
    known.loc[end < t, "urgency"] = "Ended"
    return known


def contract_labels(rows: pd.DataFrame) -> list[str]:
    """One distinct label per bar, 'Housing: Open Housing': the chart draws bars of one label on
    one line, so two contracts for one system (a notice's two suppliers, two lots) name their
    vendors ('Housing: Repairs (Kirona)') and are numbered when they still repeat."""
    base = [
        f"{a}: {s if isinstance(s, str) and s.strip() else SYSTEM_NOT_GIVEN}"
        for a, s in zip(rows["service_area"], rows["system"], strict=True)
    ]
    repeated = {b for b in base if base.count(b) > 1}
    seen: dict[str, int] = {}
    labels = []
    for text, vendor in zip(base, rows["vendor"], strict=True):
        if text in repeated:
            given = vendor is not None and not pd.isna(vendor) and str(vendor).strip()
            text = f"{text} ({vendor})" if given else f"{text} {NOT_GIVEN}"
        seen[text] = seen.get(text, 0) + 1
        labels.append(text if seen[text] == 1 else f"{text} [{seen[text]}]")
    return labels


def timeline(systems: pd.DataFrame, today: date) -> Drawing:
    """A bar from start to end for each contract, a dot at its end, a line at today."""
    frame = timeline_frame(systems, today)[
        ["contract", "vendor", "start", "end", "urgency", "annual_value"]
    ]
    # the rows' order travels in the data, so a new selection only swaps the chart's data
    return Drawing(frame.assign(position=range(len(frame))), _timeline, (today,))


def _timeline(today: date) -> alt.LayerChart:
    colour = alt.Color(
        "urgency:N",
        title="Contract end",
        scale=alt.Scale(domain=list(URGENCY), range=list(URGENCY.values())),
        legend=alt.Legend(orient="top", columns=legend_columns(len(URGENCY))),
    )
    base = alt.Chart().encode(
        y=alt.Y(
            "contract:N",
            sort=alt.EncodingSortField(field="position", op="min"),
            title=None,
            axis=alt.Axis(labelLimit=label_limit(340), labelOverlap=False, labelFontSize=11),
        ),
        tooltip=[
            alt.Tooltip("contract:N", title="Contract"),
            alt.Tooltip("vendor:N", title="Vendor"),
            alt.Tooltip("start:T", title="Contract start", format="%d %b %Y"),
            alt.Tooltip("end:T", title="Contract end", format="%d %b %Y"),
            alt.Tooltip("annual_value:Q", title="Annual value (£)", format=",.0f"),
        ],
    )
    bars = base.mark_bar(height=8, opacity=0.45).encode(
        x=alt.X("start:T", title=None, axis=alt.Axis(format="%Y", tickCount="year", grid=True)),
        x2="end:T",
        color=colour,
    )
    ends = base.mark_point(filled=True, size=70).encode(x="end:T", color=colour)
    now = (
        alt.Chart(pd.DataFrame({"today": [pd.Timestamp(today)]}))
        .mark_rule(color="#333333", strokeDash=[4, 3])
        .encode(x="today:T")
    )
    return (bars + ends + now).properties(height=alt.Step(20)).add_params(room())
