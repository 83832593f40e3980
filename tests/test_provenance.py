"""What a download says about itself: the filters in its name, and in an Excel file a sheet
saying them in full, when it was made, of which snapshots, and how many rows it holds."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pandas as pd

from citydata import lifecycle
from citydata.output import exports, provenance
from citydata.query.filters import FilterState

MADE = datetime(2026, 12, 7, 9, 30)


def test_the_filters_go_into_a_file_name_in_a_short_safe_form():
    stem = provenance.filter_stem
    assert stem(FilterState()) == ""
    assert stem(FilterState(borough=("Camden", "Hackney"), service_area=("Housing",))) == (
        "camden-hackney-housing"
    )
    assert stem(FilterState(end_from=date(2026, 4, 1), end_to=date(2027, 3, 31))) == (
        "ending-from-2026-04-01-to-2027-03-31"
    )
    assert stem(FilterState(q="Mosaic  care")) == "search-mosaic-care"
    hostile = stem(FilterState(vendor=("../../etc/passwd", '=HYPERLINK("x")', "a\\b:c*?")))
    assert hostile == "etc-passwd-hyperlink-x-a-b-c"
    long = stem(FilterState(borough=("Barking and Dagenham", "Kensington and Chelsea") * 3))
    assert len(long) <= provenance.STEM_CHARS and not long.endswith("-")
    assert long.startswith("barking-and-dagenham-kensington-and-chelsea-")
    assert provenance.named("vendor-ranking", FilterState(borough=("Camden",))) == (
        "vendor-ranking-camden"
    )
    assert provenance.named("vendor-ranking", None) == "vendor-ranking"


def test_an_excel_download_says_its_filters_when_it_was_made_and_what_data(db_path):
    state = FilterState(borough=("Camden", "Hackney"))
    db = lifecycle.open_store(db_path)
    try:
        with db.read() as r:
            book = exports.records_xlsx(r, state, made=MADE)
            count = exports.record_count(r, state)
            frame = exports.to_xlsx(
                pd.DataFrame({"a": [1, 2]}), about=provenance.about(r, state, MADE)
            )
    finally:
        db.close()
    for data, rows in ((book, count), (frame, 2)):
        sheet = openpyxl.load_workbook(io.BytesIO(data))["About this download"]
        items = [tuple(row) for row in sheet.iter_rows(values_only=True)]
        assert items[0] == ("Item", "Value")
        assert items[1] == ("Selection", "Records where borough is Camden or Hackney")
        assert items[2] == ("Made", "7 Dec 2026 at 09:30")
        data_lines = [v for k, v in items[4:-1]]
        assert [k for k, _ in items[4:-1]] == ["Data", None], "one line a snapshot"
        assert data_lines[0].startswith("Camden: register, snapshot ")
        assert data_lines[1].startswith("Hackney: register, snapshot ")
        assert "illustrative data" in data_lines[0]
        assert items[-1] == ("Rows", rows)


def test_a_selection_of_no_record_says_no_snapshot_is_drawn_on(db_path):
    db = lifecycle.open_store(db_path)
    try:
        with db.read() as r:
            said = provenance.about(r, FilterState(q="no such thing anywhere"), MADE)
    finally:
        db.close()
    assert ("Data", "No records: no snapshot is drawn on.") in said


def test_a_table_s_sheet_is_named_after_what_it_holds_not_contracts():
    assert provenance.sheet_title("vendor-ranking") == "Vendor ranking"
    assert provenance.sheet_title("who-can-help-mosaic") == "Who can help mosaic"
    assert len(provenance.sheet_title("x-" * 40)) <= 31
    assert provenance.sheet_title("") == "Table"
