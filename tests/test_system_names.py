"""One system however its name is capitalised or spaced ("Mosaic", "MOSAIC", "mosaic "): every
count, grouping and match by system takes them as one, shown under the spelling most records
use; each record keeps the name as its register wrote it."""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa
import pytest

from citydata import ingest
from citydata.core import keys
from citydata.query import (
    adoption,
    alerts,
    borough_profile,
    collaboration,
    corrections,
    links,
    mapdata,
    pipeline,
    selection,
    skills,
    vendor_profile,
)
from citydata.query.filters import FilterState
from citydata.store import snapshots
from tests.apptest import run_app

TODAY = date(2026, 1, 1)
ALL = FilterState()
# The illustrative data writes "Mosaic" for 18 records of 14 boroughs, none of them Camden's or
# Islington's.
MOSAIC_BOROUGHS = 14
HEADER = b"Service area,System,Vendor,Contract end,Annual value\n"


def upload(db, borough: str, rows: bytes) -> int:
    """A register of `borough` (rows under HEADER) committed as a steward would; its id."""
    data = HEADER + rows
    prepared = ingest.prepare(data, f"{borough.lower()}.csv", borough=borough)
    return snapshots.commit(db, prepared, data, "ann@camden")[0]


@pytest.fixture
def spelt(db):
    """Camden writes "MOSAIC" (children's) and "Mosaic" (adults'); Islington "mosaic"."""
    upload(
        db,
        "Camden",
        b"Children's social care,MOSAIC,Servelec,2027-06-30,100000\n"
        b"Adults' social care,Mosaic,Servelec,2027-07-31,50000\n",
    )
    upload(db, "Islington", b"Children's social care,mosaic,Servelec,2027-05-31,90000\n")
    return db


def test_python_and_duckdb_fold_a_system_name_alike_on_every_character():
    """Case and every Unicode space (collapsed, trimmed), in Python and in DuckDB, for every
    character of Unicode's first three planes alone, doubled between letters, and at the ends."""
    chars = [chr(i) for i in range(1, 0x30000) if not 0xD800 <= i < 0xE000]
    texts = chars + [f"a{c}{c}b" for c in chars] + [f"{c}Mosaic{c}" for c in chars[::5]]
    con = duckdb.connect()
    try:
        con.register("t", pa.table({"text": texts}))
        folded = con.execute(f"SELECT {keys.fold_spacing_sql('text')} FROM t").fetchall()
    finally:
        con.close()
    differ = [(t, s) for t, (s,) in zip(texts, folded, strict=True) if s != keys.fold_spacing(t)]
    assert differ == []
    assert keys.fold_spacing("  MOSAIC \u00a0 Adults\t") == "mosaic adults"
    assert keys.fold_spacing("Mosaic 2") != keys.fold_spacing("Mosaic")  # (only case and spaces)


def test_records_keep_the_name_their_register_wrote(spelt):
    with spelt.read() as r:
        shown = selection.records(r, FilterState(borough=("Camden", "Islington")))
    assert sorted(shown["system"]) == ["MOSAIC", "Mosaic", "mosaic"]


def test_the_overview_counts_one_system_and_its_filter_finds_every_spelling(spelt):
    with spelt.read() as r:
        figures = selection.headline(r, FilterState(borough=("Camden",)), TODAY)
        offered = selection.options(r)["system"]
        chosen = selection.records(r, FilterState(system=("Mosaic",)))
    assert figures["systems"] == 1  # Camden's "MOSAIC" and "Mosaic"
    assert [s for s in offered if s.casefold() == "mosaic"] == ["Mosaic"]
    assert set(chosen["borough"]) >= {"Camden", "Islington"}
    assert {"MOSAIC", "mosaic", "Mosaic"} == set(chosen["system"])  # as written


def test_the_system_filter_offers_no_system_only_a_replaced_register_named(db):
    """Camden's new register no longer names "Frameworki": the filter does not offer it (it
    would select nothing), as the Adoption page does not, and a link naming it is told so."""
    upload(db, "Camden", b"Children's social care,Frameworki,Corelogic,2027-06-30,100000\n")
    upload(db, "Camden", b"Children's social care,Mosaic,Servelec,2027-06-30,100000\n")
    with db.read() as r:
        options = selection.options(r)
        listed = adoption.system_names(r, ALL)
    assert "Frameworki" not in options["system"] and "Frameworki" not in listed
    assert "Mosaic" in options["system"]
    state, notes = corrections.normalise(FilterState(system=("Frameworki",)), options)
    assert state.system == () and len(notes) == 1


def test_a_link_naming_a_system_in_other_capitals_reads_it_as_the_system_shown(spelt):
    with spelt.read() as r:
        options = selection.options(r)
    state, notes = links.from_query_params({"system": ["MOSAIC "]}, options)
    assert state.system == ("Mosaic",) and notes == []


def test_the_map_counts_one_system_in_a_borough_writing_it_two_ways(spelt):
    with spelt.read() as r:
        values = mapdata.borough_values(r, ALL, "systems")
    camden = values.set_index("borough").loc["Camden"]
    assert (camden["value"], camden["records"]) == (1, 2)


def test_the_borough_profile_finds_peers_on_the_same_system_however_written(spelt):
    with spelt.read() as r:
        profile = borough_profile.build(r, ALL, "Islington", TODAY)
    same = profile.peers[profile.peers["match"] == "Same system"]
    assert profile.shared_systems == ("Mosaic",)
    assert set(same["system"]) == set(same["peer_system"]) == {"Mosaic"}
    assert "Camden" in set(same["peer_borough"])  # (who writes "MOSAIC" for children's)
    with spelt.read() as r:
        vendors = borough_profile.vendor_shares(r, ALL, "Camden")
    assert vendors.set_index("vendor").loc["Servelec", "systems"] == "Mosaic"


def test_collaboration_groups_every_spelling_of_a_system_under_the_one_most_use(spelt):
    with spelt.read() as r:
        found = collaboration.groups(r, ALL, collaboration.Query("system", 6), TODAY)
    keys_ = set(found["key"])
    assert "MOSAIC" not in keys_ and "mosaic" not in keys_
    mosaic = found[found["key"] == "Mosaic"]
    assert any("Camden" in b and "Islington" in b for b in mosaic["borough_list"])
    assert set(mosaic["systems"]) == {"Mosaic"}
    group = mosaic[mosaic["borough_list"].str.contains("Islington")].iloc[0]
    with spelt.read() as r:
        members = collaboration.group_members(
            r, ALL, collaboration.Query("system", 6), "Mosaic", group.first_end, group.last_end
        )
    assert {"MOSAIC", "mosaic"} <= set(members["system"])  # each contract as written


def test_adoption_shows_one_system_used_by_every_borough_that_writes_it(spelt):
    with spelt.read() as r:
        names = adoption.system_names(r, ALL)
        usage = adoption.usage(r, ALL)
        summary = adoption.system_summary(r, ALL, "mosaic")
        users = adoption.system_users(r, ALL, "Mosaic")
    table = adoption.systems(usage).set_index("system")
    matrix = adoption.matrix(usage).set_index(["borough", "service_area"])
    assert [n for n in names if n.casefold() == "mosaic"] == ["Mosaic"]
    assert [n for n in table.index if n.casefold() == "mosaic"] == ["Mosaic"]
    assert table.loc["Mosaic", "boroughs"] == MOSAIC_BOROUGHS + 2
    assert summary["boroughs"] == MOSAIC_BOROUGHS + 2
    assert {"Camden", "Islington"} <= set(users["borough"])
    assert matrix.loc[("Islington", "Children's social care"), "systems"] == "Mosaic (Servelec)"


def test_who_can_help_lists_every_borough_running_the_system_however_written(spelt):
    with spelt.read() as r:
        helpers = skills.who_can_help(r, ALL, "MOSAIC", besides="Camden", today=TODAY)
    assert "Islington" in set(helpers["borough"]) and "Camden" not in set(helpers["borough"])
    assert len(helpers) == MOSAIC_BOROUGHS + 1


def test_the_vendor_profile_lists_a_system_once(spelt):
    with spelt.read() as r:
        profile = vendor_profile.profile(r, ALL, "Servelec", today=TODAY)
    own = profile.systems[profile.systems["system"].str.casefold() == "mosaic"]
    assert list(own["system"]) == ["Mosaic"]
    assert own["boroughs"].iloc[0] == MOSAIC_BOROUGHS + 2
    assert profile.boroughs.set_index("borough").loc["Camden", "systems"] == "Mosaic"


def test_the_name_shown_is_the_spelling_most_records_use_the_first_alphabetically_on_a_tie(db):
    upload(db, "Camden", b"Libraries,LibraryOne,Axiell,,\nArchives,LibraryOne,Axiell,,\n")
    upload(db, "Islington", b"Libraries,LIBRARYONE,Axiell,,\n")
    upload(db, "Hackney", b"Libraries,libraryone,Axiell,,\n")
    with db.read() as r:
        named = [n for n in adoption.system_names(r, ALL) if n.casefold() == "libraryone"]
    assert named == ["LibraryOne"]  # 2 records, though "LIBRARYONE" sorts first
    upload(db, "Camden", b"Libraries,LibraryOne,Axiell,,\n")
    with db.read() as r:
        named = [n for n in adoption.system_names(r, ALL) if n.casefold() == "libraryone"]
        options = [n for n in selection.options(r)["system"] if n.casefold() == "libraryone"]
    assert named == options == ["LIBRARYONE"]  # one record each: the first alphabetically


def test_a_name_stored_with_stray_spaces_is_the_same_system(db):
    # (uploads trim and collapse spaces; a record stored otherwise is still the system)
    with db.write() as w:
        w.execute(
            "UPDATE contracts SET system = '  Mosaic   ' WHERE borough = 'Barnet'"
            " AND system = 'Mosaic'"
        )
    with db.read() as r:
        table = adoption.systems(adoption.usage(r, ALL)).set_index("system")
        helpers = skills.who_can_help(r, ALL, "Mosaic", today=TODAY)
    assert [n for n in table.index if n.strip() == "Mosaic"] == ["Mosaic"]
    assert table.loc["Mosaic", "boroughs"] == MOSAIC_BOROUGHS
    assert "Barnet" in set(helpers["borough"])


def test_a_new_upload_writing_a_system_in_other_capitals_tells_of_a_changed_record(db):
    """Without a reference, a record is recognised by service area, system and vendor: the
    History page takes "MOSAIC" -> "Mosaic" as that record changed, and so does an alert."""
    before = upload(db, "Camden", b"Children's social care,MOSAIC,Servelec,2027-06-30,100000\n")
    upload(db, "Camden", b"Children's social care,Mosaic,Servelec,2027-06-30,100000\n")
    with db.read() as r:
        found = alerts.changed(
            r, FilterState(borough=("Camden",)), pipeline.load_lead_times(), before
        )
    assert list(zip(found["system"], found["change"], strict=True)) == [("Mosaic", "changed")]


def test_a_link_writing_the_system_in_other_capitals_opens_on_the_system(spelt):
    """The sidebar's filter and the Adoption page's choice take the system's name as shown:
    a link writing it otherwise ("MOSAIC", "mosaic") was dropped, with a note or without."""
    at = run_app({"system": "MOSAIC", "adoption_system": "mosaic"}, "pages/adoption.py")
    assert not at.exception and not at.error
    [chosen] = [s for s in at.selectbox if s.key == "adoption_system"]
    [filtered] = [m for m in at.sidebar.multiselect if m.key == "system"]
    assert (chosen.value, filtered.value) == ("Mosaic", ["Mosaic"])
    assert not [w.value for w in at.sidebar.warning]
    assert any(h.value == "Who can help with Mosaic" for h in at.header)
    helpers = next(d.value for d in at.dataframe if "In-house skill level" in d.value.columns)
    assert {"Camden", "Islington"} <= set(helpers["Borough"])
