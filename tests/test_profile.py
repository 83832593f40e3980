"""The borough profile and its briefing: equal to SQL on the same file, complete, and safe."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from citydata import ingest
from citydata.core import boroughs
from citydata.core.schema import SERVICE_AREA_LABELS
from citydata.core.text import starts_formula
from citydata.output import briefing, word
from citydata.query import borough_profile, peers, record_sources, selection
from citydata.query.filters import FilterState
from citydata.store import snapshots
from tests.snapshot_helpers import borough_records, edited_records, prepared

TODAY = date(2026, 10, 1)
CAMDEN = boroughs.BY_NAME["Camden"].code
HACKNEY = boroughs.BY_NAME["Hackney"].code
OCDS = Path(__file__).resolve().parent / "data" / "notices" / "ocds_record_package_1_0.json"


def build(db, state: FilterState | None = None, name: str = "Camden") -> borough_profile.Profile:
    with db.read() as r:
        return borough_profile.build(r, state or FilterState(), name, TODAY)


def test_systems_are_the_boroughs_records_grouped_by_service_area(db):
    p = build(db)
    expected = db.rows(
        "SELECT service_area, system, vendor, contract_end FROM current_contracts "
        "WHERE borough = 'Camden' ORDER BY ALL"
    )
    ends = [None if pd.isna(e) else e.date() for e in p.systems["contract_end"]]
    got = list(
        zip(p.systems["service_area"], p.systems["system"], p.systems["vendor"], ends, strict=True)
    )
    assert sorted(got, key=str) == sorted(expected, key=str)
    order = [SERVICE_AREA_LABELS.index(a) for a in p.systems["service_area"]]
    assert order == sorted(order)


def test_filters_other_than_borough_apply_and_the_borough_filter_is_replaced(db):
    state = FilterState(borough=("Hackney",), service_area=("Housing", "Parking"))
    p = build(db, state)
    assert p.state.borough == ("Camden",) and p.state.service_area == ("Housing", "Parking")
    assert set(p.systems["service_area"]) <= {"Housing", "Parking"}
    expected = db.scalar(
        "SELECT count(*) FROM current_contracts WHERE borough = 'Camden' "
        "AND service_area IN ('Housing', 'Parking')"
    )
    assert len(p.systems) == p.figures["records"] == expected


def test_vendor_shares_add_up_and_equal_sql(db):
    p = build(db)
    expected = dict(
        db.rows(
            "SELECT vendor, count(*) FROM current_contracts WHERE borough = 'Camden' GROUP BY 1"
        )
    )
    assert dict(zip(p.vendors["vendor"], p.vendors["records"], strict=True)) == expected
    assert p.vendors["share"].sum() == pytest.approx(100, abs=0.5)
    assert list(p.vendors["records"]) == sorted(p.vendors["records"], reverse=True)


def test_peers_are_exactly_the_other_boroughs_on_the_same_system_or_vendor_per_area(db):
    p = build(db)
    expected = db.rows(
        """SELECT m.service_area, m.system, o.borough, o.system
           FROM current_contracts m JOIN current_contracts o
             ON o.service_area = m.service_area AND o.borough <> m.borough
            AND (o.system = m.system OR o.vendor = m.vendor)
           WHERE m.borough = 'Camden' ORDER BY ALL"""
    )
    got = sorted(
        zip(p.peers["service_area"], p.peers["system"], p.peers["peer_borough"],
            p.peers["peer_system"], strict=True)
    )  # fmt: skip
    assert got == sorted(expected)
    assert "Camden" not in set(p.peers["peer_borough"])
    same = p.peers[p.peers["match"] == "Same system"]
    assert (same["system"] == same["peer_system"]).all()
    vendor = p.peers[p.peers["match"] == "Same vendor"]
    assert (vendor["vendor"] == vendor["peer_vendor"]).all()


def test_the_page_reads_the_first_rows_and_counts_them_all(db):
    """The page's profile (`shown`) holds the first rows of the records and the peers, in the
    briefing's order, while its counts and the systems shared with a peer cover every one."""
    for state in (FilterState(), FilterState(service_area=("Housing",))):
        whole = build(db, state)
        with db.read() as r:
            shown = borough_profile.shown(r, state, "Camden", 3)
        if state.is_empty():  # (under the filter there are fewer than three records)
            assert len(whole.systems) > 3 and len(whole.peers) > 3
        pd.testing.assert_frame_equal(shown.systems, whole.systems.head(3))
        # (a column with no missing value among the first rows may come back as plain int64)
        pd.testing.assert_frame_equal(shown.peers, whole.peers.head(3), check_dtype=False)
        assert shown.figures["records"] == len(whole.systems)
        assert shown.peer_count == whole.peer_count == len(whole.peers)
        same = whole.peers.loc[whole.peers["match"] == "Same system", "system"]
        assert shown.shared_systems == whole.shared_systems == tuple(sorted(set(same)))
        assert shown.shared_systems and shown.vendors.equals(whole.vendors)


def test_the_page_peers_from_groups_kept_for_every_borough(db):
    """The page works its peers out from the selection's peer groups, kept once for every
    borough (`peer_groups`, `peers_among`): the same profile as `shown` makes on its own."""
    state = FilterState(hosting=("Cloud (SaaS)",))
    with db.read() as r:
        groups = peers.peer_groups(r, state.with_(borough=()), TODAY)
        for name in ("Camden", "Hackney"):
            alone = borough_profile.shown(r, state, name, 3, TODAY)
            bare = borough_profile.shown(r, state, name, 3, TODAY, include_peers=False)
            assert bare.peers.empty and bare.peer_count == 0
            page = borough_profile.with_peers(bare, peers.peers_among(groups, name, 3))
            pd.testing.assert_frame_equal(page.peers, alone.peers)
            assert page.peer_count == alone.peer_count
            assert page.shared_systems == alone.shared_systems
            assert alone.peer_count > 3
    assert set(groups["borough"]) > {"Camden", "Hackney"}


def _copies(w, borough: str, like: tuple[str, str, str], ends: list[date]) -> None:
    """Add records of `borough` for (service area, system, vendor) `like`, one per end date."""
    area, system, vendor = like
    for n, end in enumerate(ends):
        w.execute(
            """INSERT INTO contracts SELECT * REPLACE ($area AS service_area, $system AS system,
                   $vendor AS vendor, $end AS contract_end, $ref AS source_ref)
               FROM contracts WHERE snapshot_id = (SELECT any_value(snapshot_id)
                   FROM current_contracts WHERE borough = $borough)
               LIMIT 1""",
            {"area": area, "system": system, "vendor": vendor, "end": end,
             "ref": f"TEST-{borough}-{n}", "borough": borough},
        )  # fmt: skip


def test_several_contracts_for_one_system_make_one_peer_with_its_next_end(db):
    """A peer is a borough on a system, not each of its records: the page stays readable."""
    like = db.rows(
        "SELECT service_area, system, vendor FROM current_contracts WHERE borough = 'Camden' "
        "ORDER BY ALL LIMIT 1"
    )[0]
    with db.write() as w:
        w.execute(
            "DELETE FROM contracts WHERE borough IN ('Camden', 'Hackney') "
            "AND service_area = $a AND system = $s",
            {"a": like[0], "s": like[1]},
        )
        _copies(w, "Camden", like, [date(2025, 1, 31), date(2027, 3, 31), date(2029, 3, 31)])
        _copies(w, "Hackney", like, [date(2026, 9, 30), date(2027, 9, 30), date(2028, 9, 30)])
    p = build(db)
    mine = p.peers[(p.peers["service_area"] == like[0]) & (p.peers["system"] == like[1])]
    hackney = mine[(mine["peer_borough"] == "Hackney") & (mine["peer_system"] == like[1])]
    assert len(hackney) == 1  # three Hackney records, three of Camden's: one peer row
    row = hackney.iloc[0]
    assert row["match"] == "Same system" and row["peer_system"] == like[1]
    # Each side's next contract end from today (2026-10-01), not its first or last.
    assert row["contract_end"].date() == date(2027, 3, 31)
    assert row["peer_contract_end"].date() == date(2027, 9, 30)
    assert row["months_apart"] == 6
    # Every other borough on that system or vendor is listed once, as the record join finds.
    expected = db.rows(
        """SELECT DISTINCT o.borough, o.system, o.vendor FROM current_contracts o
           WHERE o.service_area = $a AND o.borough <> 'Camden'
             AND (o.system = $s OR o.vendor = $v) ORDER BY ALL""",
        {"a": like[0], "s": like[1], "v": like[2]},
    )
    got = sorted(zip(mine["peer_borough"], mine["peer_system"], mine["peer_vendor"], strict=True))
    assert got == expected


def test_a_borough_whose_contracts_have_all_ended_shows_its_last_end(db):
    like = db.rows(
        "SELECT service_area, system, vendor FROM current_contracts WHERE borough = 'Camden' "
        "ORDER BY ALL LIMIT 1"
    )[0]
    with db.write() as w:
        w.execute(
            "DELETE FROM contracts WHERE borough = 'Hackney' AND service_area = $a",
            {"a": like[0]},
        )
        _copies(w, "Hackney", like, [date(2023, 3, 31), date(2025, 3, 31), None])
    p = build(db)
    hackney = p.peers[
        (p.peers["service_area"] == like[0])
        & (p.peers["system"] == like[1])
        & (p.peers["peer_borough"] == "Hackney")
    ]
    assert len(hackney) == 1 and hackney.iloc[0]["peer_contract_end"].date() == date(2025, 3, 31)


def test_peers_ignore_the_borough_filter_but_keep_the_others(db):
    narrowed = build(db, FilterState(borough=("Camden",), service_area=("Housing",)))
    assert set(narrowed.peers["service_area"]) == {"Housing"}
    assert narrowed.peers["peer_borough"].nunique() > 1


def test_peers_closest_end_date_first_within_a_system(db):
    p = build(db)
    for _, rows in p.peers.groupby(["service_area", "system", "contract_end", "match"]):
        ends = pd.to_datetime(rows["peer_contract_end"]) - pd.to_datetime(rows["contract_end"])
        gaps = ends.abs().dropna().tolist()
        assert gaps == sorted(gaps)


def test_the_nearest_end_date_comes_first_and_months_apart_are_whole_months(tmp_path):
    """Peers were ordered, and "Months apart" counted, by the month boundaries between two end
    dates: a peer ending the next day (31 Mar, 1 Apr) was 1 month apart and listed after one
    ending 30 days before (1 Mar: 0). The nearest end date now comes first, and months apart
    are whole months (0 for both; 31 Jan to 28 Feb is 1)."""
    from tests.calendar_data import build_db, row

    small = build_db(
        tmp_path,
        [
            row("Camden", "2027-03-31"),
            row("Brent", "2027-03-01"),  # 30 days before
            row("Hackney", "2027-04-01"),  # the next day
            row("Barnet", "2027-09-30"),  # six months on
            row("Camden", "2027-01-31", area="Parking", system="Park"),
            row("Ealing", "2027-02-28", area="Parking", system="Park"),
        ],
    )
    try:
        p = build(small)
    finally:
        small.close()
    housing = p.peers[p.peers["service_area"] == "Housing"]
    assert housing["peer_borough"].tolist() == ["Hackney", "Brent", "Barnet"]
    assert housing["months_apart"].tolist() == [0, 0, 6]
    parking = p.peers[p.peers["service_area"] == "Parking"]
    assert parking["months_apart"].tolist() == [1]


def test_missing_areas_are_judged_on_the_whole_data_not_the_filtered_rows(db):
    with db.write() as w:
        w.execute("DELETE FROM contracts WHERE borough = 'Camden' AND service_area = 'Housing'")
    p = build(db, FilterState(vendor=("Civica",)))
    assert "Housing" in p.missing_areas
    assert "Parking" not in p.missing_areas  # Camden has parking, just not from this vendor
    only = build(db, FilterState(service_area=("Parking", "Housing")))
    assert only.missing_areas == ["Housing"]
    corporate = build(db, FilterState(service_type=("Corporate",)))
    assert "Housing" not in corporate.missing_areas, "a frontline area, left out by the filter"
    frontline = build(db, FilterState(service_type=("Frontline",)))
    assert "Housing" in frontline.missing_areas


def test_source_says_demo_data_and_which_snapshot(db):
    p = build(db)
    active = db.scalar(
        "SELECT id FROM snapshots WHERE borough_code = ? AND status = 'active'", [CAMDEN]
    )
    [src] = p.source
    assert src["is_demo"] and src["id"] == active and src["kind"] == "register"
    assert "Illustrative default data" in p.source_text


def test_source_names_the_uploaded_file_who_and_when(db):
    records = edited_records(db, CAMDEN)
    [new_id] = snapshots.commit(
        db, prepared(records, file_name="camden-register.csv"), b"bytes", "ann@camden.gov.uk"
    )
    p = build(db)
    [src] = p.source
    assert src["id"] == new_id and not src["is_demo"] and not p.illustrative
    sentence = p.source_text
    assert f"Snapshot {new_id}" in sentence and "camden-register.csv" in sentence
    assert "ann@camden.gov.uk" in sentence


def test_source_says_the_refused_rows_are_the_whole_file_s(db):
    """A file of two boroughs with one of Hackney's rows refused: Camden's profile said "1 row
    imported, 1 refused", as if one of Camden's rows had been refused."""
    content = (
        b"Borough,Service area,System,Vendor\n"
        b"Camden,Housing,Orchard Housing,Orchard Information Systems\n"
        b"Hackney,Parking,,\n"
        b"Hackney,Housing,Northgate Housing,NEC Software Solutions\n"
    )
    upload = ingest.prepare(content, "two-boroughs.csv")
    assert upload.rows_refused == 1
    snapshots.commit(db, upload, content, "ann")
    sentence = build(db).source_text
    assert sentence.endswith(": 1 row imported; 1 row of the whole file refused.")


def test_source_of_one_row_says_one_row():
    source = {"id": 40, "created_at": None, "is_demo": False, "rows_imported": 1}
    assert record_sources.source_sentence([source]) == (
        "Snapshot 40, uploaded on an unknown date: 1 row imported."
    )


def test_the_source_names_the_snapshots_of_the_records_the_source_filter_shows(db):
    """Hackney's register is the illustrative data; its published notices are real. With only
    the notices chosen, the page and every briefing name the notices' snapshot and give no
    warning; with both, both snapshots and the warning."""
    notices = ingest.prepare(OCDS.read_bytes(), OCDS.name)
    [published] = snapshots.commit(db, notices, OCDS.read_bytes(), "feed")
    register = db.scalar(
        "SELECT id FROM snapshots WHERE borough_code = ? AND status = 'active' AND kind = ?",
        [HACKNEY, "register"],
    )

    with db.read() as r:  # the notice over every page: "its 1 published notice is real"
        assert selection.illustrative(r, FilterState(borough=("Hackney",))).published == 1
    p = build(db, FilterState(source_kind=("published",)), "Hackney")
    assert len(p.systems) == 3 and [s["id"] for s in p.source] == [published]
    assert not p.illustrative
    assert p.source_text.startswith(  # one notice: two awards, one of them to two suppliers
        f"Published notices: snapshot {published}, 1 notice (3 records: one for each supplier"
        " of each award), "
    )
    assert "Illustrative" not in p.source_text and f"snapshot {register}" not in p.source_text
    text = briefing.text(p)
    assert "ILLUSTRATIVE" not in text and f"Source: Published notices: snapshot {published}" in text
    book = openpyxl.load_workbook(io.BytesIO(briefing.xlsx(p)))
    summary = {row[0].value: row[1].value for row in book["Summary"].iter_rows(min_row=2)}
    assert "Warning" not in summary and summary["Source"] == p.source_text
    paragraphs, _, _ = _docx_text(word.borough(p))
    assert briefing.ILLUSTRATIVE not in paragraphs
    assert f"Source: {p.source_text}" in paragraphs

    both = build(db, FilterState(), "Hackney")
    assert [s["id"] for s in both.source] == [register, published] and both.illustrative
    assert both.source_text.startswith("Illustrative default data")
    assert f"Published notices: snapshot {published}" in both.source_text
    assert briefing.text(both).splitlines()[3].startswith("ILLUSTRATIVE DATA")

    own = build(db, FilterState(source_kind=("register",)), "Hackney")
    assert [s["id"] for s in own.source] == [register] and own.illustrative

    none = build(db, FilterState(source_kind=("published",)), "Camden")
    assert none.source == [] and not none.illustrative
    assert (
        none.source_text == "No snapshot of this borough's published notices has been stored yet."
    )


def test_unknown_borough_is_refused(db):
    with db.read() as r, pytest.raises(boroughs.UnknownBorough):
        borough_profile.build(r, FilterState(), "Gotham")


def test_the_timeline_draws_every_contract_on_a_line_of_its_own(db):
    """Hackney's published award of lot 2 names two suppliers: two contracts for one system in
    one service area, with the same dates. The timeline drew bars of one label on one line, so
    the two showed as one bar ("Housing: Repairs scheduling (lot 2)")."""
    from ui.charts.profile import timeline

    notices = ingest.prepare(OCDS.read_bytes(), OCDS.name)
    snapshots.commit(db, notices, OCDS.read_bytes(), "feed")
    p = build(db, FilterState(source_kind=("published",)), "Hackney")
    dated = p.systems[p.systems["contract_end"].notna()]
    assert len(dated) == 3
    lines = timeline(p.systems, TODAY).frame["contract"].tolist()
    assert len(set(lines)) == len(dated)  # a line for each contract
    assert sorted(lines) == [
        "Housing: Housing management system (lot 1)",
        "Housing: Repairs scheduling (lot 2) (Kirona Solutions Ltd)",
        "Housing: Repairs scheduling (lot 2) (Totalmobile)",
    ]


def test_text_briefing_carries_the_page_content(db):
    p = build(db)
    text = briefing.text(p)
    assert text.startswith("Camden: systems and contracts briefing")
    for heading in (
        "Systems by service area",
        "Vendors (share of the borough's records)",
        "Contracts ending in the next 24 months",
        "Peers: other boroughs",
        "Service areas with no records",
    ):
        assert heading in text
    assert "Illustrative default data" in text
    for system in p.systems["system"]:
        assert system in text
    first_peer = p.peers.iloc[0]
    assert f"{first_peer['peer_borough']}" in text
    assert max(len(line) for line in text.splitlines()) <= briefing.WIDTH + 4


def test_text_briefing_says_a_vendor_not_given_in_words_not_none(tmp_path):
    """A record naming no vendor (published notices often name none) showed in the text
    briefing as "Open Housing, None", "- None: 1 (100.0%)" and "(Housing), None"."""
    from tests.calendar_data import build_db, row

    small = build_db(tmp_path, [row("Camden", "2027-03-01", vendor=None)])
    try:
        text = briefing.text(build(small))
    finally:
        small.close()
    assert "- Open Housing, (vendor not given); from 1 Apr 2022 to 1 Mar 2027;" in text
    assert "- (vendor not given): 1 (100.0%), £100k a year" in text
    assert "- 1 Mar 2027: Open Housing (Housing), (vendor not given)" in text
    assert not re.search(r"\b(None|nan)\b", text)


def test_word_briefing_says_a_vendor_or_system_not_given_in_words(tmp_path):
    """The Word briefing listed a contract naming no vendor as "1 Mar 2027: Open Housing
    (Housing), " (ending on nothing) and left its cell blank, where the text briefing says
    "(vendor not given)"; a record naming no system showed as "1 Mar 2027:  (Housing)"."""
    from tests.calendar_data import build_db, row

    rows = [row("Camden", "2027-03-01", vendor=None), row("Camden", "2027-04-01", system=None)]
    small = build_db(tmp_path, rows)
    try:
        paragraphs, tables, _ = _docx_text(word.borough(build(small)))
    finally:
        small.close()
    assert "1 Mar 2027: Open Housing (Housing), (vendor not given)" in paragraphs
    assert "1 Apr 2027: system not given (Housing), Capita" in paragraphs
    systems = next(t for t in tables if t[0][:3] == ["Service area", "System", "Vendor"])
    assert ["Housing", "Open Housing", "(vendor not given)"] in [r[:3] for r in systems]
    assert ["Housing", "system not given", "Capita"] in [r[:3] for r in systems]


def test_records_naming_no_vendor_are_one_row_after_the_vendors(tmp_path):
    """Three published notices naming no supplier made a blank first row of the profile's
    "Vendors and their share" (and of its Excel and Word briefings), as if the largest vendor
    had no name. They are one "(vendor not given)" row after the vendors, as on the Market."""
    from tests.calendar_data import build_db, row

    rows = [row("Camden", "2027-03-01", system=f"Notice {i}", vendor=None) for i in range(3)]
    rows += [row("Camden", "2027-03-01", system="Civica CX", vendor="Civica")]
    rows += [row("Camden", "2027-03-01", system="Open Housing", vendor="Capita")] * 2
    small = build_db(tmp_path, rows)
    try:
        p = build(small)
    finally:
        small.close()
    shown = p.vendors[["vendor", "records", "share"]].values.tolist()
    assert shown == [["Capita", 2, 33.3], ["Civica", 1, 16.7], ["(vendor not given)", 3, 50.0]]
    book = openpyxl.load_workbook(io.BytesIO(briefing.xlsx(p)))
    names = [r[0].value for r in book["Vendors"].iter_rows(min_row=2)]
    assert names == ["Capita", "Civica", "(vendor not given)"]
    assert "- (vendor not given): 3 (50.0%), £300k a year" in briefing.text(p)


def test_excel_briefing_has_every_part_and_neutralises_formulas(db):
    records = borough_records(db, CAMDEN)
    records.loc[records.index[0], "system"] = '=HYPERLINK("http://example.com","x")'
    snapshots.commit(db, prepared(records), b"evil", "ann")
    p = build(db)
    book = openpyxl.load_workbook(io.BytesIO(briefing.xlsx(p)))
    assert book.sheetnames == [
        "Summary", "Systems", "Vendors", "Ending soon", "Peers", "Missing", "Details not recorded"
    ]  # fmt: skip
    cells = [c.value for row in book["Systems"].iter_rows() for c in row]
    assert '\'=HYPERLINK("http://example.com","x")' in cells
    assert not any(isinstance(v, str) and v.startswith("=") for v in cells)
    summary = {row[0].value: row[1].value for row in book["Summary"].iter_rows(min_row=2)}
    assert summary["Borough"] == "Camden" and summary["Records"] == p.figures["records"]


def _docx_text(data: bytes) -> tuple[list[str], list[list[list[str]]], list[str]]:
    """(paragraphs, tables as rows of cells, the styles of the paragraphs) of a .docx file."""
    import docx

    doc = docx.Document(io.BytesIO(data))
    paragraphs = [p.text for p in doc.paragraphs]
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    return paragraphs, tables, [p.style.name for p in doc.paragraphs]


def test_briefings_say_first_when_the_data_is_illustrative(db):
    p = build(db)
    assert p.illustrative
    assert (
        briefing.text(p)
        .splitlines()[3]
        .startswith("ILLUSTRATIVE DATA: THIS REGISTER'S RECORDS ARE")
    )
    book = openpyxl.load_workbook(io.BytesIO(briefing.xlsx(p)))
    first = [c.value for c in next(book["Summary"].iter_rows(min_row=2))]
    assert first == ["Warning", briefing.ILLUSTRATIVE]
    paragraphs, _, _ = _docx_text(word.borough(p))
    assert paragraphs[1] == briefing.ILLUSTRATIVE


def test_word_briefing_opens_and_carries_the_page_content(db):
    records = borough_records(db, CAMDEN)
    records.loc[records.index[0], "system"] = '=HYPERLINK("http://example.com","x") *bold*'
    snapshots.commit(db, prepared(records), b"real", "ann")
    p = build(db)
    data = word.borough(p)
    assert data[:2] == b"PK"  # a zip: what Word opens
    paragraphs, tables, styles = _docx_text(data)
    assert paragraphs[0] == "Camden: systems and contracts briefing" and styles[0] == "Title"
    assert briefing.ILLUSTRATIVE not in paragraphs, "real data: no warning"
    for heading in (
        "Systems by service area",
        "Vendors (share of the borough's records)",
        "Contracts ending in the next 24 months",
        "Service areas with no records",
    ):
        assert heading in paragraphs and styles[paragraphs.index(heading)] == "Heading 1"
    systems = next(t for t in tables if t[0][:2] == ["Service area", "System"])
    assert len(systems) == len(p.systems) + 1
    # as written, behind the downloads' apostrophe: a table pasted into Excel runs no formula
    assert '\'=HYPERLINK("http://example.com","x") *bold*' in [row[1] for row in systems]
    assert not any(cell == "None" for t in tables for row in t for cell in row)
    assert not any(starts_formula(cell) for t in tables for row in t for cell in row)


def test_word_tables_and_lists_hold_their_first_rows_and_say_where_the_rest_are(db, monkeypatch):
    """A Word briefing is for reading: a borough's 5,000 records and 44,000 peers took
    python-docx ten minutes. Each table or list holds the first MAX_ROWS; the Excel and text
    briefings hold every record, the Excel one every peer."""
    monkeypatch.setattr(word, "MAX_ROWS", 5)
    p = build(db)
    assert len(p.systems) > 5 and len(p.peers) > 5 and len(p.vendors) > 5
    paragraphs, tables, styles = _docx_text(word.borough(p))
    systems = next(t for t in tables if t[0][:2] == ["Service area", "System"])
    assert [row[1] for row in systems[1:]] == p.systems["system"].head(5).tolist()
    assert len(systems) == 6 and len(next(t for t in tables if t[0][0] == "Vendor")) == 6
    peers = next(t for t in tables if "Peer's system" in t[0])
    assert len(peers) == 6
    said = f"The first 5 of {len(p.systems):,} records; the Excel and text briefings hold"
    assert f"{said} every one." in paragraphs
    assert f"The first 5 of {len(p.peers):,} peers; the Excel briefing holds every one." in (
        paragraphs
    )
    soon = borough_profile.ending_soon(p.systems, p.today, 24)
    bullets = [t for t, s in zip(paragraphs, styles, strict=True) if s == "List Bullet"]
    assert len([b for b in bullets if b[:1].isdigit()]) == min(len(soon), 5)
    workbook = openpyxl.load_workbook(io.BytesIO(briefing.xlsx(p)))
    assert workbook["Systems"].max_row == len(p.systems) + 1, "the Excel briefing has them all"
    assert workbook["Peers"].max_row == len(p.peers) + 1


def test_what_is_missing_counts_the_records_with_no_reference_end_date_or_value(db_path):
    """The profile's "What is missing" named service areas only: three of Camden's records with
    no reference (no source to check them against), two with no end date and one with no
    annual value were not mentioned. It now counts every detail a record leaves blank, on the
    page and in every briefing."""
    from citydata import lifecycle
    from tests.apptest import run_app

    db = lifecycle.open_store(db_path)
    try:
        with db.write() as w:
            refs = [ref for (ref,) in w.rows(
                "SELECT source_ref FROM contracts WHERE borough = 'Camden' ORDER BY source_ref"
            )]  # fmt: skip
            for ref in refs[:3]:
                w.execute(
                    "UPDATE contracts SET source_ref = NULL WHERE source_ref = $r", {"r": ref}
                )
            w.execute(
                "UPDATE contracts SET contract_end = NULL WHERE source_ref IN ($a, $b)",
                {"a": refs[3], "b": refs[4]},
            )
            w.execute(
                "UPDATE contracts SET annual_value = NULL WHERE source_ref = $r", {"r": refs[5]}
            )
        p = build(db)
        records = p.figures["records"]
    finally:
        db.close()
    said = p.gaps_text
    assert said.startswith(
        f"Of its {records} records, 1 has no start date, 2 have no end date, 1 has no annual "
        "value, 3 have no reference, 2 have no hosting, "
    ), said
    text = " ".join(briefing.text(p).split())  # (its lines wrapped at 100 characters)
    assert "Details not recorded ---" in text and "3 have no reference" in text
    book = openpyxl.load_workbook(io.BytesIO(briefing.xlsx(p)))
    details = {r[0].value: r[1].value for r in book["Details not recorded"].iter_rows(min_row=2)}
    assert details["Reference"] == 3 and details["End date"] == 2
    import docx

    paragraphs = [x.text for x in docx.Document(io.BytesIO(word.borough(p))).paragraphs]
    assert "Details not recorded" in paragraphs and said in paragraphs
    at = run_app({"profile": "Camden"}, page="pages/borough.py")
    shown = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "3 have no reference" in shown and "2 have no end date" in shown


def test_a_record_naming_only_its_vendor_is_shown_and_counted_as_missing_its_system(
    tmp_path, monkeypatch
):
    """A register may name a contract's vendor and leave its system blank (imported with a
    change). The profile page then failed altogether when that record had no end date either
    (its list of records with no end date joined the blank system as text); "What is missing"
    said nothing of it (every record was taken to name its system), its chart named it
    "Housing: None" and the text briefing "None, Capita"."""
    from tests import market_data
    from tests.apptest import run_app
    from ui.charts.profile import contract_labels

    rows = [
        (market_data.CAMDEN, "Housing", "", "Capita", "", "", "1000", "3"),
        (market_data.CAMDEN, "Housing", "", "Capita", "", "2027-06-30", "1000", "3"),
        (market_data.CAMDEN, "Parking", "Civica Parking", "Civica", "", "2027-06-30", "2000", "3"),
    ]
    db = market_data.build(tmp_path, rows)
    try:
        p = build(db)
    finally:
        db.close()
    assert p.gaps_text.startswith("Of its 3 records, 2 have no system, 1 has no end date"), (
        p.gaps_text
    )
    labels = contract_labels(p.systems[p.systems["contract_end"].notna()])
    assert "Housing: system not given" in labels
    text = briefing.text(p)
    assert "system not given, Capita" in text and "None" not in text
    monkeypatch.setenv("CITYTOOLS_DB", str(db.path))
    at = run_app({"profile": "Camden"}, page="pages/borough.py")
    assert not at.error
    assert any(
        "No end date recorded (rolling or unknown): system not given (Housing)"
        in c.value.replace("\\", "")
        for c in at.caption
    )
    shown = " ".join(m.value for m in at.markdown)
    assert "2 have no system" in shown


def test_what_is_missing_of_one_record_says_it_in_the_singular():
    one = [borough_profile.Gap("contract_end", "end date", 1, 1)]
    assert borough_profile.gaps_sentence(one, 1) == "Of its 1 record, 1 has no end date."
    assert borough_profile.gaps_sentence([], 1) == "Its one record gives every detail."
    assert borough_profile.gaps_sentence([], 3) == "All 3 of its records give every detail."
