"""With both sources, a published notice matched to a register record is counted once.

The register record counts; its notice is the evidence (Reconciliation shows the pair). Every
breakdown is built on the one base query, so the Overview's figures, the coverage, the market,
the map, the pipeline, the downloads and the command line's export all agree. Real DuckDB files,
the real OCDS record package of Hackney's awards, the real command line.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from citydata import ingest, lifecycle
from citydata.output import exports
from citydata.query import mapdata, market, reconciliation, selection
from citydata.query.filters import FilterState
from citydata.store import matches, rollbacks, snapshots
from tests.command import run
from tests.conftest import ROOT
from tests.snapshot_helpers import borough_records, edited_records, prepared
from tests.test_security import csv_rows

OCDS = Path(__file__).resolve().parent / "data" / "notices" / "ocds_record_package_1_0.json"
HACKNEY = "E09000012"
BOTH = FilterState(borough=("Hackney",))
PUBLISHED = FilterState(borough=("Hackney",), source_kind=("published",))
REGISTER = FilterState(borough=("Hackney",), source_kind=("register",))


def _register(db, systems: list[tuple[str, str, date, date]]) -> None:
    rows = borough_records(db, HACKNEY).iloc[: len(systems)].copy()
    rows["system"] = [s for s, *_ in systems]
    rows["vendor"] = [v for _, v, *_ in systems]
    rows["contract_start"] = [a for *_, a, _ in systems]
    rows["contract_end"] = [b for *_, b in systems]
    rows["service_area"] = "Housing"
    snapshots.commit(db, prepared(rows), b"hackney register", "ann")


def _notices(db) -> None:
    notices = ingest.prepare(OCDS.read_bytes(), OCDS.name)
    assert notices.source_kind == "published" and len(notices.records) == 3
    snapshots.commit(db, notices, OCDS.read_bytes(), "feed")


@pytest.fixture
def hackney(db):
    """Hackney's register of two records, one of which a published notice (of three) matches."""
    _register(
        db,
        [
            ("NEC Housing", "NEC Software Solutions", date(2024, 4, 1), date(2030, 3, 31)),
            ("Payroll system", "Zeta Payroll Ltd", date(2023, 1, 1), date(2026, 1, 1)),
        ],
    )
    _notices(db)
    return db


def test_a_matched_notice_counts_once_as_the_register_record(hackney):
    with hackney.read() as r:
        both = selection.records(r, BOTH)
        head = selection.headline(r, BOTH)
        published = selection.records(r, PUBLISHED)
        register = selection.records(r, REGISTER)
        coverage = selection.coverage(r, BOTH)
    assert len(register) == 2 and len(published) == 3
    assert len(both) == 4 == head["records"] == coverage["records"].sum()
    assert both["system"].tolist().count("NEC Housing") == 1
    assert "Housing management system (lot 1)" not in both["system"].tolist()  # the evidence
    assert set(published["system"]) >= {"Housing management system (lot 1)"}  # still a notice
    # NEC counted once, not twice, in the borough's vendor figures.
    assert head["vendors"] == both["vendor"].nunique()


def test_a_word_only_the_matched_notice_holds_finds_the_contract(hackney):
    """The matched notice is left out as the register record's evidence, so a search for a word
    of the notice's title ("lot", "management") found the contract nowhere: not the register
    record, which lacks it, nor the notice, hidden as its evidence. It finds the contract now,
    as the register record, once; a word neither holds still finds nothing."""
    with hackney.read() as r:
        lot = selection.records(r, BOTH.with_(q="management lot"))
        register_only = selection.records(r, REGISTER.with_(q="management lot"))
        neither = selection.records(r, BOTH.with_(q="payroll lot"))
        notices = selection.records(r, PUBLISHED.with_(q="management lot"))
    assert lot["system"].tolist() == ["NEC Housing"]
    assert register_only["system"].tolist() == ["NEC Housing"]
    assert neither.empty
    assert notices["system"].tolist() == ["Housing management system (lot 1)"]  # itself


def test_every_breakdown_and_download_counts_the_contract_once(hackney, tmp_path):
    with hackney.read() as r:
        ranking = market.ranking_from(market.aggregate(r, BOTH), by="records")
        shown = mapdata.borough_values(r, BOTH)
        downloaded = exports.record_count(r, BOTH)
        target = tmp_path / "records.csv"
        written = exports.save_records_csv(r, BOTH, target, labels=False)
    nec = ranking.loc[ranking["vendor"] == "NEC Software Solutions", "records"]
    assert nec.tolist() == [1]
    assert ranking["records"].sum() == 4
    assert shown.loc[shown["borough_code"] == HACKNEY, "records"].tolist() == [4]
    assert downloaded == written == 4
    assert len(list(csv.DictReader(target.open(encoding="utf-8-sig")))) == 4


def test_the_command_line_export_counts_the_contract_once(db_path):
    db = lifecycle.open_store(db_path)
    try:
        _register(db, [("NEC Housing", "NEC Software Solutions", date(2024, 4, 1), None)])
        _notices(db)
    finally:
        db.close()
    lines = {}
    for label, extra in (
        ("both", []),
        ("published", ["--source-kind", "published"]),
        ("register", ["--source-kind", "register"]),
    ):
        done = run("export", "--borough", "Hackney", *extra, db=db_path, text=True)
        assert done.returncode == 0, done.stderr
        lines[label] = list(csv.DictReader(io.StringIO(done.stdout)))
    assert (len(lines["register"]), len(lines["published"]), len(lines["both"])) == (1, 3, 3)
    systems = [row["system"] for row in lines["both"]]
    assert systems.count("NEC Housing") == 1
    assert "Housing management system (lot 1)" not in systems  # the record's evidence
    assert "Housing management system (lot 1)" in [row["system"] for row in lines["published"]]


def test_the_pairs_follow_the_register_when_it_changes(hackney):
    # A new register without the matched record: the notice counts again, as a notice.
    _register(db := hackney, [("Payroll system", "Zeta Payroll Ltd", date(2023, 1, 1), None)])
    with db.read() as r:
        assert len(selection.records(r, BOTH)) == 1 + 3
        assert r.scalar("SELECT count(*) FROM current_contracts WHERE matched") == 0
    # Rolled back to the register that had it: matched again, counted once.
    with db.read() as r:
        earlier = int(
            r.scalar(
                "SELECT max(id) FROM snapshots WHERE borough_code = $c AND kind = 'register'"
                " AND status = 'superseded' AND source = 'upload'",
                {"c": HACKNEY},
            )
        )
    rollbacks.rollback(db, earlier, "bob")
    with db.read() as r:
        assert len(selection.records(r, BOTH)) == 4
        result = reconciliation.reconcile(r, FilterState(), "Hackney")
    assert result.matched["system"].tolist() == ["NEC Housing"]


def test_reconciliation_says_where_a_matched_pair_disagrees(hackney):
    with hackney.read() as r:
        result = reconciliation.reconcile(r, FilterState(), "Hackney")
        pair = r.one(
            "SELECT contract_start, contract_end FROM current_contracts"
            " WHERE source_kind = 'published' AND matched"
        )
    [said] = result.matched["differences"].tolist()
    if pair["contract_start"] != date(2024, 4, 1):
        assert "start date: register 1 Apr 2024" in said
    if pair["contract_end"] != date(2030, 3, 31):
        assert "end date: register 31 Mar 2030" in said
    assert said, "the notice's dates or supplier differ from the hand-made register record"
    assert result.disagreements == 1
    assert result.disagreement_sentence().startswith("1 matched pair disagrees")
    table = result.table()
    assert table["outcome"].tolist().count("matched") == 1
    assert len(table) == 1 + 1 + 2
    # The Borough profile's sentences come from the counts alone, without the records.
    with hackney.read() as r:
        counts = reconciliation.counts(r, FilterState(), "Hackney")
    assert counts == reconciliation.Counts(1, 1, 2, 1) == result.counts
    assert counts.sentence("Hackney") == result.sentence("Hackney")


def test_with_both_sources_a_matched_contract_is_filtered_by_the_registers_dates(db):
    """Counted once as the register record, a matched contract is filtered by the register's
    end date (README, "A matched contract counts once"): Hackney's register records the NEC
    contract's extension to 2032, its notice the end of 2030 as awarded. Ending by 31 Mar 2031,
    published notices alone keep the notice; both keep neither, as the register says 2032."""
    _register(db, [("NEC Housing", "NEC Software Solutions", date(2024, 4, 1), date(2032, 3, 31))])
    _notices(db)
    with db.read() as r:
        assert r.scalar("SELECT count(*) FROM current_contracts WHERE matched") == 2, "a pair"
        published, both = (
            selection.records(r, state.with_(end_to=date(2031, 3, 31)))["system"].tolist()
            for state in (PUBLISHED, BOTH)
        )
    assert "Housing management system (lot 1)" in published
    assert "Housing management system (lot 1)" not in both and "NEC Housing" not in both


def test_pairs_are_worked_out_again_from_scratch(hackney):
    with hackney.write() as w:
        before = w.rows("SELECT * FROM notice_matches ORDER BY ALL")
        w.execute("DELETE FROM notice_matches")
        assert matches.refresh(w) == len(before) == 1
        assert w.rows("SELECT * FROM notice_matches ORDER BY ALL") == before


def test_a_vendor_grouped_anew_pairs_a_notice_and_moves_the_data_version(db):
    from citydata.store import vendors, versions

    _register(db, [("Housing system", "Acme Housing Ltd", date(2024, 4, 1), date(2030, 3, 31))])
    _notices(db)
    with db.read() as r:
        before = (versions.data_version(r), len(selection.records(r, BOTH)))
    # The register's spelling is grouped under the notice's supplier: now the same vendor.
    vendors.accept_alias(db, "Acme Housing Ltd", "NEC Software Solutions", "ann")
    matches.refresh_all(db)
    with db.read() as r:
        after = (versions.data_version(r), len(selection.records(r, BOTH)))
    assert after[0] > before[0] + 1  # the alias and the new pairs each move it on
    assert after[1] == before[1] - 1  # the notice is now the record's evidence


def test_two_suppliers_on_one_row_are_two_records_each_matched_on_its_own(db):
    """An award to two suppliers is one row of a flattened notice file and two records. Keyed
    by row and reference alone, a match of one was shown for both: Southwark's register
    "Whitespace" was paired with Bartec's notice too, the Reconciliation page said 2 matched
    and 0 published only, and Bartec's notice dropped out of every page."""
    # Southwark's own register (its illustrative records, uploaded): a notice is evidence of a
    # register record, never of a generated example
    southwark = edited_records(db, "E09000028")
    snapshots.commit(db, prepared(southwark), b"southwark register", "ann")
    content = (ROOT / "tests" / "data" / "notices" / "ocds_flattened.csv").read_bytes()
    snapshots.commit(db, ingest.prepare(content, "ocds_flattened.csv"), content, "ann")
    with db.read() as r:
        rows = r.df(
            "SELECT source_kind, vendor, record_no, matched FROM current_contracts"
            " WHERE borough = 'Southwark'"
        )
        found = reconciliation.counts(r, FilterState(), "Southwark")
        both = selection.headline(r, FilterState(borough=("Southwark",)))["records"]
    notices = rows[rows.source_kind == "published"]
    register = rows[rows.source_kind == "register"]
    shared = notices[notices.duplicated("record_no", keep=False)]
    assert len(shared) == 2 and shared.vendor.nunique() == 2, "two suppliers on one row"
    assert int(notices.matched.sum()) == int(register.matched.sum()) == 1
    assert (found.matched, found.published_only) == (1, len(notices) - 1)
    assert found.register_only == len(register) - 1
    assert both == len(register) + len(notices) - 1, "a matched contract once, the other kept"


def test_dates_alone_match_a_notice_only_in_its_own_service_area():
    """Croydon's Parking notice from Civica was matched to its Democratic services register
    record (Modern.gov, also Civica) because their dates overlapped, so it dropped out of a
    Parking selection. Dates are evidence within one service area; a title is anywhere."""
    from citydata.store import matches

    def record(area: str, system: str) -> dict:
        return {
            "vendor": "Civica", "service_area": area, "system": system,
            "contract_start": date(2024, 4, 1), "contract_end": date(2028, 3, 31),
        }  # fmt: skip

    committees = record("Democratic services", "Modern.gov")
    parking = record("Parking", "Parking back office")
    assert matches.pairs([committees], [parking]) == []
    [pair] = matches.pairs([committees, record("Parking", "Chipside")], [parking])
    assert (pair.register, pair.dates_overlap) == (1, True)
    moved = record("Highways and transport", "Parking back office system")
    [pair] = matches.pairs([moved], [parking])
    assert pair.title_score >= matches.TITLE_SCORE, "alike titles match across areas"


def test_a_real_notice_is_never_matched_to_an_illustrative_record(db, db_path):
    """Hackney's register is still the illustrative data and its published notice (three
    records: two awards, one of them to two suppliers) is real. The NEC award was matched to
    a generated NEC record, so with both sources the real award was left out everywhere, the
    example counted in its place. A pair kept that way by an earlier version is dropped when
    the file is next opened. The notice over the page counts the notice once: "its 1
    published notice is real" (it said 3, a notice for each record)."""
    _notices(db)
    with db.read() as r:
        assert r.scalar("SELECT count(*) FROM notice_matches") == 0
        both = selection.records(r, BOTH)
        found = selection.illustrative(r, BOTH)
        tally = reconciliation.counts(r, BOTH, "Hackney")
    assert (both["source"] != "demo").sum() == 3  # every real notice, none left out
    assert found.boroughs == ["Hackney"] and found.published == 1
    assert (tally.matched, tally.published_only) == (0, 3)

    # A pair kept by an earlier version, between the NEC notice and an example record
    with db.write() as w:
        notice = w.one(
            "SELECT snapshot_id, record_no, source_ref, vendor_as_written FROM current_contracts"
            " WHERE borough_code = $c AND source_kind = 'published' AND vendor LIKE 'NEC%'",
            {"c": HACKNEY},
        )
        example = w.one(
            "SELECT snapshot_id, record_no, vendor_as_written FROM current_contracts"
            " WHERE borough_code = $c AND source = 'demo' ORDER BY record_no LIMIT 1",
            {"c": HACKNEY},
        )
        w.execute(
            "INSERT INTO notice_matches BY NAME SELECT $code AS borough_code,"
            " $ns AS notice_snapshot_id, $nr AS notice_record_no, $ref AS notice_ref,"
            " $nv AS notice_vendor, $rs AS register_snapshot_id, $rr AS register_record_no,"
            " $rv AS register_vendor, 90 AS vendor_score, 80 AS title_score,"
            " true AS dates_overlap",
            {
                "code": HACKNEY, "ns": notice["snapshot_id"], "nr": notice["record_no"],
                "ref": notice["source_ref"], "nv": notice["vendor_as_written"],
                "rs": example["snapshot_id"], "rr": example["record_no"],
                "rv": example["vendor_as_written"],
            },
        )  # fmt: skip
        assert w.scalar("SELECT count(*) FROM current_contracts WHERE matched") == 2
    db.close()
    reopened = lifecycle.open_store(db_path)
    try:
        with reopened.read() as r:
            assert r.scalar("SELECT count(*) FROM notice_matches") == 0
            assert (selection.records(r, BOTH)["source"] != "demo").sum() == 3
            assert selection.illustrative(r, BOTH).published == 1
    finally:
        reopened.close()


def test_the_records_and_their_downloads_say_which_are_published_notices(hackney):
    """A notices file uploaded is `source` "upload", as a register is: the Overview's table and
    its CSV and Excel downloads could not tell a published notice (its annual value worked out
    from a total) from the borough's own register record."""
    from python_calamine import CalamineWorkbook

    with hackney.read() as r:
        shown = selection.records(r, BOTH)
        written = csv_rows(exports.records_csv(r, BOTH))
        book = CalamineWorkbook.from_filelike(io.BytesIO(exports.records_xlsx(r, BOTH)))
    cells = book.get_sheet_by_name("Contracts").to_python(skip_empty_area=False)
    assert set(shown["source"]) == {"upload"}, "the source alone cannot tell them apart"
    kinds = dict(zip(shown["system"], shown["source_kind"], strict=True))
    assert kinds["Repairs scheduling (lot 2)"] == "published"
    assert kinds["NEC Housing"] == kinds["Payroll system"] == "register"
    for table in (written, cells):
        header, rows = table[0], table[1:]
        column = header.index("Register or notice")
        assert [row[column] for row in rows] == shown["source_kind"].tolist()


def test_a_notices_annual_value_worked_out_from_its_total_says_so_with_the_total(hackney):
    """A notice's annual value worked out from the whole contract's value (£2.4m over six
    years: £400,000) showed as a plain annual value: neither the records nor their downloads
    gave the total or said the figure was worked out."""
    with hackney.read() as r:
        shown = selection.records(r, PUBLISHED)
        written = csv_rows(exports.records_csv(r, PUBLISHED))
    lot1 = shown[shown["system"] == "Housing management system (lot 1)"].iloc[0]
    assert lot1["annual_value"] == 400_000 and lot1["total_value"] == 2_400_000
    assert lot1["annual_value_derived"]
    assert not shown[shown["system"] != lot1["system"]]["annual_value_derived"].any()
    header, rows = written[0], written[1:]
    total = header.index("Whole contract value (£)")
    derived = header.index("Annual value worked out from the whole contract value")
    by_system = {row[header.index("System")]: row for row in rows}
    assert by_system[lot1["system"]][total] == "2400000.0"
    assert by_system[lot1["system"]][derived] == "True"
    assert by_system["Repairs scheduling (lot 2)"][derived] == "False"


def test_titles_alike_only_in_generic_words_are_two_contracts(db):
    """Camden's register holds Civica's library system (Spydus) and NEC's housing system; its
    notices are Civica's award for Paris (social care) and NEC's for a parking system, both
    from 2026. Each notice was taken as the evidence of the register record, because "Civica
    Spydus" and "Civica Paris" share the supplier's name and "Housing management system" and
    "Parking management system" share two generic words: with both sources the two awards
    vanished from every page (a Parking selection found nothing) and Reconciliation listed
    them as matched. Only the words that tell a contract apart count as a title alike."""
    camden = "E09000007"
    rows = borough_records(db, camden).iloc[:2].copy()
    rows["service_area"] = ["Libraries and culture", "Housing"]
    rows["system"] = ["Civica Spydus", "Housing management system"]
    rows["vendor"] = ["Civica", "NEC Software Solutions"]
    rows["contract_start"] = [date(2021, 4, 1), date(2020, 4, 1)]
    rows["contract_end"] = [date(2026, 3, 31), date(2026, 3, 31)]
    snapshots.commit(db, prepared(rows), b"camden register", "ann")
    award = """{{"ocid": "ocds-b5fd17-{n}", "id": "r{n}", "date": "2025-01-10T00:00:00Z",
        "tag": ["award"], "buyer": {{"name": "London Borough of Camden"}},
        "tender": {{"title": "{title}", "classification": {{"scheme": "CPV", "id": "48000000"}}}},
        "awards": [{{"id": "1", "status": "active", "suppliers": [{{"name": "{supplier}"}}],
          "contractPeriod": {{"startDate": "2026-04-01", "endDate": "2030-03-31"}}}}]}}"""
    releases = [
        award.format(n=1, title="Civica Paris", supplier="Civica UK Ltd"),
        award.format(n=2, title="Parking management system", supplier="NEC Software Solutions"),
    ]
    content = ('{"releases": [' + ",".join(releases) + "]}").encode()
    snapshots.commit(db, ingest.prepare(content, "camden.json"), content, "feed")
    with db.read() as r:
        tally = reconciliation.counts(r, FilterState(), "Camden")
        parking = selection.records(r, FilterState(borough=("Camden",), service_area=("Parking",)))
        both = selection.records(r, FilterState(borough=("Camden",)))["system"].tolist()
    assert (tally.matched, tally.published_only) == (0, 2)
    assert parking["system"].tolist() == ["Parking management system"]
    assert {"Civica Paris", "Parking management system", "Civica Spydus"} <= set(both)
    # the same system, named with and without its supplier and generic words, still matches
    nec = {"vendor": "NEC Software Solutions", "service_area": "Housing"}
    held = nec | {"system": "NEC Housing", "contract_start": None, "contract_end": None}
    notice = held | {"system": "Housing management system (lot 1)", "service_area": "Parking"}
    [pair] = matches.pairs([held], [notice])
    assert pair.title_score >= matches.TITLE_SCORE


def test_a_register_naming_the_supplier_shortly_is_matched_to_its_notice(db):
    """Camden's register names its housing system's supplier "Northgate"; the notice of the same
    award names "Northgate Public Services (UK) Ltd", which the vendor names group under NEC
    Software Solutions. The two were compared as "Northgate" and "NEC Software Solutions", never
    matched, and with both sources the one contract was counted twice. The names as written
    are compared too."""
    rows = borough_records(db, "E09000007").iloc[:1].copy()
    rows["service_area"], rows["system"], rows["vendor"] = "Housing", "Housing system", "Northgate"
    rows["contract_start"], rows["contract_end"] = date(2025, 4, 1), date(2030, 3, 31)
    snapshots.commit(db, prepared(rows), b"camden register", "ann")
    content = b"""{"releases": [{"ocid": "ocds-b5fd17-1", "id": "r1", "date": "2025-01-10",
        "tag": ["award"], "buyer": {"name": "London Borough of Camden"},
        "tender": {"title": "Housing system",
          "classification": {"scheme": "CPV", "id": "48000000"}},
        "awards": [{"id": "1", "status": "active",
          "suppliers": [{"name": "Northgate Public Services (UK) Ltd"}],
          "contractPeriod": {"startDate": "2025-04-01", "endDate": "2030-03-31"}}]}]}"""
    snapshots.commit(db, ingest.prepare(content, "camden.json"), content, "feed")
    with db.read() as r:
        tally = reconciliation.counts(r, FilterState(), "Camden")
        both = selection.records(r, FilterState(borough=("Camden",)))
    assert (tally.matched, tally.published_only) == (1, 0)
    assert both["system"].tolist() == ["Housing system"]
