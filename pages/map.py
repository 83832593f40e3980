"""Map: the 33 authorities coloured by a measure the user picks, and the same numbers as a table."""

import streamlit as st

import ui
from citydata.core import mapshapes, regions
from citydata.query import mapdata
from ui import charting
from ui.charts import boroughmap, mapclasses

state = ui.page_filters()


def map_key() -> str:
    """The map's widget key: a new one after every click that opened a profile.

    The browser remembers a map's selection under its key, also while another page is shown.
    Back on the map, a click on the borough picked last time would clear that old selection
    (a click on the selected shape unselects it) rather than select it, and nothing opened
    until a second click. A fresh key starts every visit with nothing selected.
    """
    return f"map-{st.session_state.get('_map_picks', 0)}"


def open_profile() -> None:
    """A click on a borough: remember it, and go to its profile once the page has run."""
    picked = st.session_state[map_key()].selection.objects.get(boroughmap.LAYER_ID, [])
    if picked:
        st.session_state["_map_pick"] = picked[0]["properties"]["code"]
        st.session_state["_map_picks"] = st.session_state.get("_map_picks", 0) + 1


if (picked := st.session_state.pop("_map_pick", None)) in regions.current().by_code:
    # The profile's address (borough?profile=Barnet, with the sidebar's filters, which are bound
    # to the URL and carried over by Streamlit): the view a click opens can be shared.
    name = regions.current().by_code[picked].name
    st.switch_page("pages/borough.py", query_params={"profile": name})

st.title(f"{ui.noun(capital=True)} map")
st.caption(
    "Where a system is used, where contracts are about to end, where one vendor dominates. "
    f"Click a {ui.noun()} to open its profile."
)
ui.selection_header(state)

left, right = st.columns(2)
metric = mapdata.METRIC_BY_KEY[
    left.selectbox(
        f"Colour {ui.noun(2)} by",
        [m.key for m in mapdata.METRICS],
        format_func=ui.shown_as("metric", lambda key: mapdata.METRIC_BY_KEY[key].label),
        key="metric",
        bind="query-params",
        help="  \n".join(f"**{m.label}**: {m.help}" for m in mapdata.METRICS),
    )
]
window, vendor = 12, None
if metric.key == "ending":
    window = right.selectbox(
        "Ending within",
        list(mapdata.WINDOWS),
        index=1,
        format_func=ui.shown_as("window", mapdata.WINDOWS.get),
        key="window",
        bind="query-params",
    )
    st.caption(f"Counting contracts {mapdata.window_phrase(state, window)}.")
if metric.key == "vendor_share":
    vendor = right.selectbox(
        "Vendor", ui.query(mapdata.vendor_options, state), key="share_vendor", bind="query-params"
    )

values = ui.query(mapdata.borough_values, state, metric.key, window, vendor)
if not values["records"].any():
    st.info("No contracts match these filters. Remove a filter in the sidebar to see the map.")
    ui.stop()

bins = mapclasses.classes(values["value"], metric.kind)
title = mapdata.heading(metric, vendor)  # (the table's column)
measure = mapdata.measure(metric, state, window, vendor)  # (one borough's value, in words)
unvalued = metric.key == "annual_value" and (values["status"] == mapdata.NO_VALUES).any()
off_map = boroughmap.off_map(values)
# (drawn grey and hatched: a county council without records is not drawn, its list says so)
hatched = boroughmap.drawn(values) & (values["status"] == mapdata.NO_RECORDS)
without = values.loc[hatched, "borough"].tolist()
place = st.columns([3, 1]) if len(off_map) else [st]
# The shapes as a file the browser fetches once (served from static/, see README); without
# static serving the map carries them itself.
shapes = (
    mapshapes.publish(regions.current().key)
    if st.get_option("server.enableStaticServing")
    else None
)
place[0].pydeck_chart(
    boroughmap.choropleth(values, metric, bins, shapes, measure),
    height=620,
    key=map_key(),
    on_select=open_profile,
    selection_mode="single-object",
    alt=boroughmap.alt_text(metric, values, measure),
)
if len(off_map):
    with place[1]:
        st.markdown(f"**Not on the map ({len(off_map)})**")
        st.caption(
            "County councils share their ground with their district councils, so they have no "
            "area of their own on this map. Their numbers:"
        )
        ui.dataframe(
            off_map.assign(
                shown=[
                    "no records"
                    if s == mapdata.NO_RECORDS
                    else mapdata.format_value(v, metric.kind)
                    for v, s in zip(off_map["value"], off_map["status"], strict=True)
                ]
            ),
            column_order=["borough", "shown"],
            column_config={
                "borough": st.column_config.TextColumn(ui.noun(capital=True)),
                "shown": st.column_config.TextColumn(title),
            },
            hide_index=True,
            width="stretch",
            height=min(620, 36 * (len(off_map) + 1)),
            key="off_map",
        )
# An explicit height: Streamlit 1.67 clips a short chart left to its "content" height.
charting.draw(
    mapclasses.legend(
        bins,
        mapdata.legend_title(metric, state, window, vendor),
        any_missing=bool(without),
        any_unvalued=bool(unvalued),
    ),
    width="content",
    height=mapclasses.LEGEND_HEIGHT,
)
if without:
    st.caption(
        f"Grey, hatched: no records under the current filters in {len(without)} "
        f"{ui.noun(len(without))}: {ui.plain(', '.join(without))}."
    )
if unvalued:
    st.caption("Grey without hatching: records exist, but none has an annual value.")

st.header(f"{ui.noun(2, True)} ranked by {metric.label.lower()}")
table = mapdata.ranked(values)
columns = ["rank", "borough", "value", "records", "top_vendors", "note", "profile"]
fmt = {"count": "%d", "percent": "%.1f%%", "money": "£%,.0f"}[metric.kind]
table["profile"] = [ui.share_link(state, "borough", {"profile": b}) for b in table["borough"]]
ui.dataframe(
    table,
    column_order=[c for c in columns if not (c == "records" and metric.key == "records")],
    hide_index=True,
    width="stretch",
    column_config={
        "rank": st.column_config.NumberColumn("Rank", width="small"),
        "borough": st.column_config.TextColumn(ui.noun(capital=True), width="medium"),
        "value": st.column_config.NumberColumn(title, format=fmt),
        "records": st.column_config.NumberColumn("Records"),
        "top_vendors": st.column_config.TextColumn("Largest vendors (records)"),
        "note": st.column_config.TextColumn("Note"),
        "profile": st.column_config.LinkColumn("Profile", display_text="Open profile"),
    },
)
ui.downloads(mapdata.labelled(table, title), f"city-tools-map-{metric.key}", key="map")
