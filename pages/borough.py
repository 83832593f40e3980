"""Borough profile: one borough's systems, vendors, renewals and peers, ready for a meeting."""

import streamlit as st

import ui
from citydata.core import boroughs, dates
from citydata.core.formatting import NOT_RECORDED, money
from citydata.output import briefing, word
from citydata.query import borough_profile, links, mapdata, peers, reconciliation
from ui import skills
from ui.charts.profile import timeline

state = ui.page_filters()

st.title(f"{ui.noun(capital=True)} profile")
name = st.selectbox(
    f"Which {ui.noun()}?",
    boroughs.NAMES,
    index=None,
    placeholder=f"Choose a {ui.noun()}",
    key="profile",
    bind="query-params",
    help=f"{mapdata.map_pointer()} The address of this page names the {ui.noun()}.",
)
if name is None:
    st.info(f"Choose a {ui.noun()} above to see its profile. {mapdata.map_pointer()}")
    ui.stop()


@ui.fragment  # another system chosen reruns this panel alone, not the profile
def who_can_help(state, shared, besides):
    asked = st.selectbox(
        "Which system?", shared, index=None, key="profile_help",
        bind="query-params", placeholder="Choose one of its systems",
    )  # fmt: skip
    if asked is not None:
        skills.panel(state, asked, key="profile-who-can-help", besides=besides)


# The page's tables hold their first rows; the briefing below reads everything when clicked.
# The peers come from the selection's peer groups, which are the same for every borough.
today = dates.today()
p = ui.query(borough_profile.shown, state, name, ui.tables.TABLE_ROWS, today, False)
everyone = state.with_(borough=())
found = ui.derive(
    peers.peers_among,
    peers.peer_groups,
    everyone,
    (today,),
    name,
    ui.tables.TABLE_ROWS,
)
p = borough_profile.with_peers(p, found)
st.header(p.borough.name)
st.caption(f"{p.borough.official_name} · GSS code {p.borough.code}")
if off_map := mapdata.off_the_map(p.borough):
    st.caption(off_map)  # (a name from the registry, as in the caption above)
st.markdown(f"**Where the data came from:** {ui.plain(p.source_text)}")
ui.selection_header(p.state)
if state.borough and state.borough != (name,):
    st.caption(
        f"The sidebar's {ui.noun(capital=True)} filter does not apply on this page; "
        "the other filters do."
    )

figures = p.figures
ui.metrics(
    ui.Figure("Records", f"{figures['records']:,}"),
    ui.Figure("Systems", f"{figures['systems']:,}"),
    ui.Figure("Vendors", f"{figures['vendors']:,}"),
    ui.Figure("Annual value", money(figures["annual_value"], missing=NOT_RECORDED)),
    # ("Ending in next 12 months" was cut off on a tablet, and made five too wide for a laptop)
    ui.Figure("Ending in 12 months", f"{figures['ending_12_months']:,}"),
)

if p.systems.empty:
    st.info(f"No records for {name} match these filters. Remove a filter in the sidebar.")
else:
    st.subheader("Systems by service area")
    systems = p.systems  # the table, the timeline; the briefing has all
    # A note that comes and goes with the selection keeps its place (an empty one when there is
    # nothing to say), so the table and chart below stay where they are and the browser
    # updates them rather than drawing them anew.
    note = st.empty()
    if figures["records"] > len(systems):
        note.caption(
            f"Showing the first {len(systems):,} of {figures['records']:,} records; "
            "the Excel and text briefings below hold all of them."
        )
    ui.dataframe(
        systems, hide_index=True, width="stretch", column_config=ui.tables.RECORD_COLUMN_CONFIG
    )

    st.subheader("Vendors and their share")
    ui.dataframe(
        p.vendors, hide_index=True, width="stretch", column_config=ui.tables.PROFILE_COLUMN_CONFIG
    )

    st.subheader("When its contracts end")
    ui.charting.draw(timeline(systems, p.today))
    undated = systems[systems["contract_end"].isna()]
    note = st.empty()
    if len(undated):
        named = [  # (a register may name only the vendor: the page once failed on its record)
            f"{system if isinstance(system, str) and system.strip() else 'system not given'}"
            f" ({area})"
            for system, area in zip(undated["system"], undated["service_area"], strict=True)
        ]
        note.caption("No end date recorded (rolling or unknown): " + ui.plain(", ".join(named)))

    st.subheader("Peers: whom to call")
    st.caption(
        f"Other {ui.noun(2)} using the same system, or the same vendor, in the same service area; "
        "same system first, then the nearest end date."
    )
    if p.peers.empty:
        st.info(f"No other {ui.noun()} uses the same systems or vendors under these filters.")
    else:
        note = st.empty()
        if p.peer_count > len(p.peers):
            note.caption(
                f"Showing the first {len(p.peers):,} of {p.peer_count:,} peers; "
                "the Excel briefing below holds all of them."
            )
        ui.dataframe(
            p.peers,
            hide_index=True,
            width="stretch",
            column_config=ui.tables.PROFILE_COLUMN_CONFIG,
        )
        shared = list(p.shared_systems)
        if shared:
            st.markdown(f"**Who can help:** the other {ui.noun(2)} running one of these systems.")
            who_can_help(state, shared, p.borough.name)

st.subheader("What is missing")
if p.missing_areas:
    st.markdown(f"No records at all for {name} in: " + ui.plain(", ".join(p.missing_areas)) + ".")
else:
    chosen = "chosen " if state.service_area else ""
    st.markdown(f"Every {chosen}service area has at least one record for {name}.")
if p.gaps_text:  # (the records under the filters: what they leave blank)
    st.markdown(ui.plain(p.gaps_text))

st.subheader("Register and published notices")
rec = ui.query(reconciliation.counts, state, name)
st.write(ui.plain(rec.sentence(name)))
if rec.matched or rec.published_only:
    st.write(ui.plain(rec.disagreement_sentence()))
st.page_link(
    "pages/reconcile.py",
    label="Compare them record by record",
    icon=":material/compare_arrows:",
    query_params=links.to_query_params(state) | {"reconcile": [name]},
)

st.subheader("Take it to a meeting")
st.caption("The same content as this page, as a one-document briefing.")
stem = briefing.file_stem(p)


def whole() -> borough_profile.Profile:
    """The profile with every record and peer, read when a briefing is asked for."""
    return ui.read(lambda r: borough_profile.build(r, state, name, p.today))


ui.briefing_downloads(
    stem, "borough-briefing",
    txt=lambda: briefing.text(whole()).encode("utf-8"),
    xlsx=lambda: briefing.xlsx(whole()),
    docx=lambda: word.borough(whole()),
)  # fmt: skip
ui.share_note(f"this {ui.noun()}'s profile", ui.share_link(state, "borough", {"profile": name}))
