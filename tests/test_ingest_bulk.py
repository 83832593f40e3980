"""A plain CSV register is read and normalised by DuckDB (citydata.ingest.bulk); every other file
by Python. Both must give a person the same result: the same records, the same problems (row,
column, value, reason, in the same order), the same recognised format and mapping.

Each fixture file of tests/data is prepared both ways and compared; a register written with
every kind of messy value is checked to take the DuckDB path and to match; and the patterns the
SQL uses (clean text, the strict date formats, plain and grouped amounts) are checked to read
in DuckDB exactly as the Python rules read them.
"""

from __future__ import annotations

import copy
import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

import citydata.ingest as ingest
from citydata.core.schema import FIELD_NAMES
from citydata.ingest import bulk, dates, normalise, spellings

DATA = Path(__file__).resolve().parent / "data"
FIXTURES = sorted(
    p
    for folder in ("ingest", "hostile", "real", "notices")
    for p in (DATA / folder).glob("*")
    if p.suffix in (".csv", ".txt", ".xlsx", ".json")
)


@pytest.fixture(autouse=True)
def _every_size(monkeypatch):
    """Small files too take the DuckDB path here (in the app only files of 1 MB and more)."""
    monkeypatch.setattr(bulk, "MIN_BYTES", 0)


def both(content: bytes, name: str, **kwargs) -> tuple[ingest.Prepared, ingest.Prepared, bool]:
    """(prepared the DuckDB way where it can, prepared the Python way, whether DuckDB built it)."""
    built = []
    real = bulk.build

    def spy(*args):
        out = real(*args)  # NotPlain: the Python reader takes over
        built.append(True)
        return out

    bulk.build = spy
    try:
        fast = ingest.prepare(content, name, **kwargs)
    finally:
        bulk.build = real
    ingest.bulk_enabled = False
    try:
        slow = ingest.prepare(content, name, **kwargs)
    finally:
        ingest.bulk_enabled = True
    return fast, slow, bool(built)


def _state(result: ingest.Prepared) -> dict:
    """What a preparation holds, to compare before and after a step (a DataFrame by value)."""
    return {
        name: (value.copy(), list(value.dtypes)) if isinstance(value, pd.DataFrame) else value
        for name, value in copy.deepcopy(vars(result)).items()
    }


def both_ways(content: bytes, name: str, **kwargs) -> tuple[ingest.Prepared, ingest.Prepared]:
    """`both`'s two preparations, the Python way's without a second run where it would be the
    same run: when the DuckDB path declines the file (`_prepare_plain` returns False) and leaves
    the preparation exactly as it found it, `prepare` goes on with the Python reader on that
    untouched preparation, which is all it does with the DuckDB path off; so the one result is
    the Python way's too. Whether the DuckDB path left nothing behind is checked every time,
    and a file it built (or refused) is prepared the Python way again and compared."""
    seen = []
    real = ingest._prepare_plain

    def spy(result, *args):
        before, taken = _state(result), None  # None: it raised (a refusal it found)
        try:
            taken = real(result, *args)
            return taken
        finally:
            seen.append((taken, before, _state(result)))

    ingest._prepare_plain = spy
    try:
        fast = ingest.prepare(content, name, **kwargs)
    finally:
        ingest._prepare_plain = real
    assert len(seen) == 1
    taken, before, after = seen[0]
    if taken is False:
        assert after.keys() == before.keys()
        for key, value in before.items():
            if isinstance(value, tuple) and isinstance(value[0], pd.DataFrame):
                assert after[key][0].equals(value[0]) and after[key][1] == value[1], key
            else:
                assert after[key] == value, f"the declined DuckDB path changed {key}"
        return fast, fast
    ingest.bulk_enabled = False
    try:
        slow = ingest.prepare(content, name, **kwargs)
    finally:
        ingest.bulk_enabled = True
    return fast, slow


def assert_same(fast: ingest.Prepared, slow: ingest.Prepared) -> None:
    for name in ("format", "encoding", "columns", "mapping", "suggested_mapping", "refused"):
        assert getattr(fast, name) == getattr(slow, name), name
    assert (fast.rows_read, fast.sheet, fast.sheets) == (slow.rows_read, slow.sheet, slow.sheets)
    assert fast.problems == slow.problems
    assert list(fast.records.columns) == list(slow.records.columns)
    assert list(fast.records.dtypes) == list(slow.records.dtypes)
    for column in fast.records.columns:  # repr: Decimal('1.50') and a date, not just equal
        assert list(map(repr, fast.records[column])) == list(map(repr, slow.records[column]))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
@pytest.mark.parametrize("borough", [None, "Lewisham"])
def test_every_fixture_prepares_the_same_both_ways(path, borough):
    fast, slow = both_ways(path.read_bytes(), path.name, borough=borough)
    assert_same(fast, slow)


MESSY = [
    ["Borough", "Service area", "System", "Vendor", "Start date", "End date", "Annual value",
     "Hosting", "Satisfaction", "Reference"],
    ["Camden", "Housing", "Civica CX", "Civica", "01/04/2020", "31/03/2027", "£12,500.00",
     "Cloud", "4", "CAM-1"],
    ["camden", "housing", "civica cx", "CIVICA", "2020-04-01", "", "12500", "saas", "4/5",
     "cam-1"],  # a repeat of the row above, spelt otherwise
    ["Gotham", "Housing", "Mosaic", "Servelec", "1 April 2020", "TBC", "1.5m", "", "",
     "X-2"],  # no such borough
    ["Camden", "Adults and Community Services", "Mosaic", "Servelec", "31/02/2026",
     "2027-03-31", "-5", "on prem", "9", "X-3"],  # no such day, negative, satisfaction 9
    ["Islington", "Parking", "  Chipside  ", "", "2026-01-01", "2025-01-01", "$100",
     "Mainframe", "", "X-4"],  # ends before it starts, dollars, no vendor
    ["Hackney", "", "", "", "", "", "n/a", "", "", "X-5"],  # neither system nor vendor
    ["E09000019", "Libraries", "Spydus", "Civica", "7/1/25", "rolling", "1,234",
     "Hybrid", "5", "X-6"],  # a code in the borough column, short dates
    ["Tower Hamlets", "Waste", "Bartec", "Bartec &amp; Co", "20190618", "46477",
     "100 per annum", "hosted", "3", "'0123"],  # an entity, an Excel serial, a forced text
    ["Southwark", "Schools", "Straße Systems", "ÖKO Ltd", "2019-06-18T00:00:00Z",
     "31st March 2027", "£1.5k", "cloud", "3", "STRASSE-1"],
    ["Southwark", "Schools", "STRASSE SYSTEMS", "öko ltd", "18/06/2019", "2027-03-31",
     "0", "Cloud", "1", "strasse-1"],  # the same as the row above once case-folded
    ["Lambeth", "Revenues", "Academy", "Capita", "1949-12-31", "2101-01-01", "1000000000000000",
     "cloud", "2", "X-9"],  # years out of range, too large an amount
]  # fmt: skip


def _xlsx(rows: list[list]) -> bytes:
    """A workbook of `rows` (openpyxl writes the error texts it knows as error cells)."""
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _csv(rows: list[list[str]], **kwargs) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, **kwargs).writerows(rows)
    return out.getvalue().encode("utf-8")


def test_a_register_of_messy_values_takes_the_duckdb_path_and_reads_the_same():
    fast, slow, built = both(_csv(MESSY), "messy.csv")
    assert built, "a plain CSV should be built by DuckDB"
    assert_same(fast, slow)
    reasons = " ".join(p.reason for p in fast.problems)
    for expected in ("not one of the 33 London", "February", "negative", "before it starts",
                     "not in pounds", "Neither a system nor a vendor", "repeats row 2",
                     "repeats row 10", "too large", "cannot be right"):  # fmt: skip
        assert expected in reasons
    assert fast.records["row"].tolist() == [2, 3, 8, 9, 10, 11]


def test_a_word_for_no_value_in_a_name_is_no_name_the_same_both_ways():
    """A register's "-" or "TBC" where a vendor or system goes became a vendor named "-",
    ranked on the Market and counted on the Overview, while the same word in a date or an
    amount was read as no value."""
    rows = [MESSY[0],
            ["Camden", "Housing", "Civica CX", "-", "", "", "", "", "", "N/A"],
            ["Camden", "Waste", "TBC", "Bartec", "", "", "", "", "", "X-2"],
            ["Camden", "Parking", "Unknown", "n/a", "", "", "", "", "", "X-3"],
            ["Camden", "Planning", "-- ", "Idox", "", "", "", "", "", "?"]]  # fmt: skip
    fast, slow, built = both(_csv(rows), "words.csv")
    assert built
    assert_same(fast, slow)
    records = fast.records.set_index("row")
    assert records.loc[2, "vendor"] is None and records.loc[2, "system"] == "Civica CX"
    assert records.loc[3, "system"] is None and records.loc[3, "vendor"] == "Bartec"
    assert 4 not in records.index  # neither a system nor a vendor given
    assert records.loc[5, "system"] is None and records.loc[5, "vendor"] == "Idox"
    assert records["source_ref"].tolist() == [None, "X-2", None]
    assert [p.row for p in fast.problems if "Neither a system nor a vendor" in p.reason] == [4]


def test_a_large_register_takes_the_duckdb_path_and_a_small_one_python(monkeypatch):
    monkeypatch.setattr(bulk, "MIN_BYTES", 1024 * 1024)
    row = ["Camden", "Housing", "Civica CX", "Civica", "01/04/2020", "31/03/2027", "£12,500.00",
           "Cloud", "4", "CAM-{}"]  # fmt: skip
    small = _csv([MESSY[0], *([c.format(i) for c in row] for i in range(10))])
    large = _csv([MESSY[0], *([c.format(i) for c in row] for i in range(20_000))])
    assert not both(small, "small.csv")[2]
    fast, slow, built = both(large, "large.csv")
    assert built and len(large) >= bulk.MIN_BYTES
    assert_same(fast, slow)
    assert len(fast.records) == 20_000


def test_the_duckdb_path_reads_every_field_of_a_record():
    assert set(FIELD_NAMES) == bulk._HANDLED  # else every file quietly takes the slow path


def test_skill_levels_and_contact_roles_read_the_same_both_ways():
    rows = [["Borough", "System", "Vendor", "In-house skill level", "Contact role"]]
    rows += [["Camden", "Mosaic", "Servelec", "advanced", "Systems manager"]]
    rows += [["Camden", "Care", "Liquidlogic", "none", "jane.smith@camden.gov.uk"]]  # refused
    rows += [["Camden", "Civica CX", "Civica", "Guru", "Jane Smith"]]  # refused, then a warning
    rows += [["Camden", "Uniform", "Idox", "", "Dr Patel"]]  # a name: left out, a warning
    rows += [["Camden", "Spydus", "Civica", "Basic", "020 7974 4444"]]  # a telephone number
    fast, slow, built = both(_csv(rows), "skills.csv")
    assert built
    assert_same(fast, slow)
    assert fast.records["row"].tolist() == [2, 5]
    assert fast.records["skill_level"].tolist() == ["Expert", None]


EXCEL_ERRORS = [
    ["Borough", "Service area", "System", "Vendor", "Manufacturer", "Start date", "End date",
     "Annual value", "Hosting", "Satisfaction", "Reference", "In-house skill level",
     "Contact role"],
    ["Camden", "Housing", "Mosaic", "Servelec", "", "01/04/2020", "31/03/2027", "1000", "Cloud",
     "4", "R-2", "Basic", "Systems manager"],
    ["Camden", "Housing", "Mosaic", "#N/A", "", "", "", "", "", "", "R-3", "", ""],
    ["Camden", "Housing", "#REF!", "#VALUE!", "", "", "", "", "", "", "R-4", "", ""],
    ["Camden", "Housing", "Mosaic", "Servelec", "#NAME?", "", "", "", "", "", "R-5", "", ""],
    ["Camden", "Housing", "Mosaic", "Servelec", "", "", "", "", "", "", "#NULL!", "", ""],
    ["#REF!", "Housing", "Mosaic", "Servelec", "", "", "", "", "", "", "R-7", "", ""],
    ["Camden", "#NUM!", "Mosaic", "Servelec", "", "", "", "", "", "", "R-8", "", ""],
    ["Camden", "Housing", "Mosaic", "Servelec", "", "", "", "", "#SPILL!", "", "R-9", "", ""],
    ["Camden", "Housing", "Mosaic", "Servelec", "", "", "", "", "", "#CALC!", "R-10", "", ""],
    ["Camden", "Housing", "Mosaic", "Servelec", "", "", "", "", "", "", "R-11",
     "#GETTING_DATA", ""],
    ["Camden", "Housing", "Mosaic", "Servelec", "", "", "", "", "", "", "R-12", "", "#N/A"],
    ["Camden", "Housing", "Mosaic", "Servelec", "", " #DIV/0! ", "", "", "", "", "R-13", "",
     ""],
    ["Camden", "Housing", "Mosaic", "Servelec", "", "", "#n/a", "", "", "", "R-14", "", ""],
    ["Camden", "Housing", "Mosaic", "Servelec", "", "", "", "#N/A", "", "", "R-15", "", ""],
    ["Camden", "Housing", "#1 Housing", "C# Systems", "", "", "", "", "", "", "#16", "", ""],
]  # fmt: skip


def test_an_excel_error_in_any_field_refuses_its_row_the_same_both_ways():
    # A CSV saved from Excel writes an error cell as its text. In a field of free text it was
    # kept: a vendor called "#N/A" reached the breakdowns. In an amount #N/A was no value, and
    # elsewhere an error was filed under 'Other' or refused as "not one of the 33 London ...".
    fast, slow, built = both(_csv(EXCEL_ERRORS), "errors.csv")
    assert built, "a plain CSV should be built by DuckDB"
    assert_same(fast, slow)

    def why(error: str, what: str) -> str:
        return f"'{error}' is an Excel error (the cell's formula failed), not {what}."

    assert sorted((x.row, x.column, x.value, x.reason) for x in fast.rejects) == [
        (3, "Vendor", "#N/A", why("#N/A", "a vendor's name")),
        (4, "System", "#REF!", why("#REF!", "a system's name")),
        (4, "Vendor", "#VALUE!", why("#VALUE!", "a vendor's name")),  # not "Neither ... given"
        (5, "Manufacturer", "#NAME?", why("#NAME?", "a manufacturer's name")),
        (6, "Reference", "#NULL!", why("#NULL!", "a reference")),
        (7, "Borough", "#REF!", why("#REF!", "a borough")),
        (8, "Service area", "#NUM!", why("#NUM!", "a service area")),
        (9, "Hosting", "#SPILL!", why("#SPILL!", "a kind of hosting")),
        (10, "Satisfaction", "#CALC!", why("#CALC!", "a satisfaction score")),
        (11, "In-house skill level", "#GETTING_DATA", why("#GETTING_DATA", "a skill level")),
        (12, "Contact role", "#N/A", why("#N/A", "a contact role")),
        (13, "Start date", " #DIV/0! ", why("#DIV/0!", "a date")),
        (14, "End date", "#n/a", why("#n/a", "a date")),
        (15, "Annual value", "#N/A", why("#N/A", "an amount")),
    ]
    # Nothing else changes: a '#' in a name is not an error.
    assert fast.records["row"].tolist() == [2, 16]
    assert fast.records["vendor"].tolist() == ["Servelec", "C# Systems"]
    assert fast.records["source_ref"].tolist() == ["R-2", "#16"]


def test_an_excel_error_is_refused_alike_in_a_workbook_and_in_the_csv_saved_from_it():
    # The same sheet as a workbook: the seven errors openpyxl knows written as error cells
    # (type "e"), the others as text, as Excel writes #GETTING_DATA in a CSV.
    xlsx = ingest.prepare(_xlsx(EXCEL_ERRORS), "errors.xlsx")
    csv_ = ingest.prepare(_csv(EXCEL_ERRORS), "errors.csv")
    said = sorted((x.row, x.column, x.reason) for x in xlsx.rejects)
    assert said == sorted((x.row, x.column, x.reason) for x in csv_.rejects)
    assert len(said) == 14 and xlsx.records["row"].tolist() == [2, 16]


def test_rows_of_nothing_but_excel_errors_are_skipped_and_said_the_same_both_ways():
    # A lookup filled down below the data leaves rows of #N/A: no record, each refused until
    # now ("'#N/A' is an Excel error, not a borough"), hundreds of them for one register.
    rows = [["System", "Vendor", "Borough", "Contract end"]]
    rows += [["Mosaic", "Servelec", "Camden", "31/03/2027"]]
    rows += [["#N/A", "#N/A", "#N/A", "#N/A"]] * 3
    rows += [["#N/A", "", " #REF! ", ""]]  # blanks and two errors: nothing but errors still
    rows += [["#N/A", "Civica", "Camden", "31/03/2028"]]  # an error beside values: refused
    for borough in (None, "Camden"):
        fast, slow, built = both(_csv(rows), "lookups.csv", borough=borough)
        assert not built  # (the Python reader skips them, as it does blank and total rows)
        assert_same(fast, slow)
        said = [(x.row, x.severity, x.reason) for x in fast.problems if x.row]
        skipped = "holds nothing but Excel errors ({}), as formulas copied below the data do,"
        assert said[:4] == [
            (3, "skipped", f"Row 3 {skipped.format('#N/A')} and was skipped."),
            (4, "skipped", f"Row 4 {skipped.format('#N/A')} and was skipped."),
            (5, "skipped", f"Row 5 {skipped.format('#N/A')} and was skipped."),
            (6, "skipped", f"Row 6 {skipped.format('#N/A and #REF!')} and was skipped."),
        ]
        assert [(x.row, x.column) for x in fast.rejects] == [(7, "System")]
        assert fast.records["row"].tolist() == [2]
    # An error in the first cell of a row with values keeps the file on the DuckDB path.
    fast, slow, built = both(_csv([*rows[:2], rows[-1]]), "lookup.csv")
    assert built
    assert_same(fast, slow)
    assert [(x.row, x.column) for x in fast.rejects] == [(3, "System")]


def test_rows_of_nothing_but_excel_errors_are_skipped_in_a_workbook_as_in_its_csv():
    rows = [["System", "Vendor", "Borough", "Contract end"]]
    rows += [["Mosaic", "Servelec", "Camden", "31/03/2027"]]
    rows += [["#N/A", "#N/A", None, "#N/A"]] * 2  # error cells, as a failed lookup leaves
    xlsx = ingest.prepare(_xlsx(rows), "lookups.xlsx")
    assert [(x.row, x.severity) for x in xlsx.problems if x.row] == [
        (3, "skipped"),
        (4, "skipped"),
    ]
    assert xlsx.records["row"].tolist() == [2] and not xlsx.rejects


def test_a_register_for_one_borough_and_a_borough_code_column_read_the_same():
    rows = [["Borough code", "Borough", "System", "Vendor", "Contract end"]]
    rows += [["E09000007", "Camden", "Mosaic", "Servelec", "31/03/2027"]]
    rows += [["E09000007", "Hackney", "Mosaic", "Servelec", "31/03/2027"]]  # conflicting
    rows += [["", "", "Mosaic", "Servelec", "31/03/2027"]]
    rows += [["E09000012", "", "Mosaic", "Servelec", "31/03/2027"]]  # Hackney, not Camden
    for borough in (None, "Camden"):
        fast, slow, built = both(_csv(rows, delimiter=";"), "codes.csv", borough=borough)
        assert built
        assert_same(fast, slow)
        assert fast.problems


@pytest.mark.parametrize(
    "text",
    [
        'System,Vendor,Borough\n"Mosaic", "Servelec",Camden\n',  # a space before a quote
        "System,Vendor,Borough\nMosaic,Servelec,Camden\n\nCare,Liquidlogic,Camden\n",  # blank
        "System,Vendor,Borough\nMosaic,Servelec,Camden\nTotal,,\n",  # a total row
        "System,Vendor,Borough\nMosaic,Servelec,Camden\n,Civica total,\n",  # its first cell
        "System,Vendor,Borough\nMosaic,Servelec,Camden\nsystem,vendor,borough\n",  # a header
        'System,Vendor,Borough\n"Mosaic\nfor adults",Servelec,Camden\n',  # a record, two lines
        "System,Vendor,Borough\nMosaic,Servelec\n",  # a short row
        "System,Vendor,Borough\rMosaic,Servelec,Camden\r",  # old Mac line ends
    ],
)
def test_files_duckdb_reads_otherwise_take_the_python_reader(text):
    fast, slow, built = both(text.encode(), "odd.csv")
    assert not built
    assert_same(fast, slow)


def test_rows_whose_first_cell_has_no_letter_or_digit_are_read_by_duckdb_when_regular():
    """A first cell that is empty or a dash makes the DuckDB path look at every row for blank,
    total and header rows; when there is none it goes on, with the same records and problems."""
    text = "System,Vendor,Borough\n,Servelec,Camden\n-,Civica,Camden\nMosaic,Servelec,Camden\n"
    fast, slow, built = both(text.encode(), "dashes.csv")
    assert built
    assert_same(fast, slow)
    assert len(fast.records) == 3


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(max_size=12), min_size=1, max_size=40))
def test_text_the_sql_keeps_as_it_is_is_text_clean_text_keeps(values):
    pattern = spellings.literal(normalise.CLEAN_TEXT)
    rows = duckdb.sql(
        f"SELECT v, regexp_full_match(v, {pattern}) FROM unnest($v) t(v)", params={"v": values}
    ).fetchall()
    for value, kept in rows:
        if kept:
            assert normalise.clean_text(value) == value
        assert kept == bool(normalise._CLEAN_TEXT.fullmatch(value))


def _sql(expression: str, text: str):
    """`expression` over a one-cell table whose cell `c` holds `text`."""
    return duckdb.sql(f"SELECT {expression} FROM (SELECT $t AS c)", params={"t": text}).fetchall()[
        0
    ][0]


DATES = ["2026-03-31", "2026-02-29", "2028-02-29", "1949-12-31", "2100-12-31", "2101-01-01",
         "0000-00-00", "31/03/2027", "29/02/2027", "01/13/2027", "00/01/2027", "7/1/2025",
         "2026-3-31", "31/12/1950"]  # fmt: skip


@pytest.mark.parametrize("text", DATES)
def test_the_strict_date_formats_read_the_same_in_duckdb_and_python(text):
    got = _sql(spellings.fast("contract_end", "c"), text)
    day, note = dates.parse_date(text)
    if got is not None:
        assert got == day and note is None
    python_strict = next(
        (fmt for pattern, fmt in dates.STRICT_FORMATS if re.fullmatch(pattern, text)), None
    )
    if python_strict and day is not None:
        assert datetime.strptime(text, python_strict).date() == day
        assert got == day  # what Python reads by these formats, DuckDB reads too


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.from_regex(normalise.PLAIN_MONEY, fullmatch=True),
        st.from_regex(normalise.GROUPED_POUNDS, fullmatch=True),
        st.text(alphabet="£0123456789,.", max_size=16),
    )
)
def test_amounts_the_sql_reads_are_the_amounts_python_reads(text):
    got = _sql(spellings.fast("annual_value", "c"), text)
    value, refusal, _ = normalise.money_result(text)
    if got is not None:
        assert refusal is None and isinstance(value, Decimal)
        assert str(got) == str(value)


@pytest.mark.parametrize("runs", [bulk._RUNS, 0], ids=["runs sliced", "rows sorted"])
def test_rows_handed_back_out_of_the_files_order_are_put_back_in_it(monkeypatch, runs):
    """DuckDB's parallel scans may hand a large file's rows back out of order (batches that
    overlap): the records and the problems still come in the file's order, whether the runs
    of rows are put in order as they are or, past `_RUNS` of them, every row is sorted."""
    monkeypatch.setattr(bulk, "_RUNS", runs)
    rows = [MESSY[0], *(MESSY[1:] * 40)]
    content = _csv(rows)

    def shuffled(reader):
        batches = list(reader)
        picked = [b.slice(k, 1) for b in batches for k in range(b.num_rows)]
        return iter(picked[1::2][::-1] + picked[::2])  # every other row, backwards first

    monkeypatch.setattr(bulk, "_batches", shuffled)
    fast, slow, built = both(content, "shuffled.csv")
    assert built
    assert_same(fast, slow)
    assert fast.records["row"].is_monotonic_increasing and len(fast.records) == 6 * 40


@pytest.mark.parametrize(
    "text",
    [
        "\n".join(",".join(r) for r in MESSY) + "\n",  # read and built by DuckDB
        "System,Vendor,Borough\nMosaic,Servelec,Camden\nTotal,,\n",  # read, then not plain
        'System,Vendor,Borough\n"Mosaic\nfor adults",Servelec,Camden\n',  # counted otherwise
    ],
    ids=["built", "declined", "recounted"],
)
def test_the_duckdb_path_leaves_no_file_behind(monkeypatch, tmp_path, text):
    """Whichever way the file is read in the end, nothing is left in the temporary folder: the
    rows DuckDB reads are kept in memory, and the upload too where the system has files in
    memory (else it is written to a temporary folder that goes with the check)."""
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    fast, slow = both_ways(text.encode(), "register.csv")
    assert_same(fast, slow)
    assert list(tmp_path.iterdir()) == []


def test_a_register_is_read_by_duckdb_without_writing_it_to_the_disk(monkeypatch, tmp_path):
    """DuckDB reads the upload from memory: a server whose temporary folder is missing (or full)
    still reads a large register the fast way, and the upload never lands on the disk."""
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "missing"))
    fast, slow, built = both(_csv(MESSY), "messy.csv")
    assert built
    assert_same(fast, slow)
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("refused", [False, True], ids=["all accepted", "one refused"])
def test_the_records_reach_the_store_in_whole_row_groups_without_a_copy(monkeypatch, refused):
    """The store inserts the records as whole row groups of DuckDB's when each piece but the
    last is one (`bulk._BATCH`): the query's own batches are kept as they are when no row was
    refused (no copy of a million records into one piece, 0.2 s), and put in one piece when
    refused rows left pieces of other sizes."""
    monkeypatch.setattr(bulk, "_BATCH", 2048)  # (DuckDB's smallest batch, for a small file)
    rows = [["Borough", "System", "Vendor", "Reference"]]
    rows += [["Camden", f"System {i % 7}", "Civica", f"R-{i}"] for i in range(5000)]
    if refused:
        rows[3000][0] = "Gotham"  # no such borough
    fast, slow, built = both(_csv(rows), "register.csv")
    assert built
    assert_same(fast, slow)
    pieces = [len(b) for b in fast.table.to_batches()]
    assert pieces == ([4999] if refused else [2048, 2048, 904])


def test_rows_whose_repeat_keys_collide_are_told_apart_by_their_values(monkeypatch):
    # Every row given one key, as if the hash collided everywhere: only true repeats are named.
    monkeypatch.setattr(spellings, "repeat_key", lambda: "0::UBIGINT")
    fast, slow, built = both(_csv(MESSY), "messy.csv")
    assert built
    assert_same(fast, slow)
    repeats = [p.row for p in fast.problems if "repeats row" in p.reason]
    assert repeats == [3, 11]


def test_a_header_of_two_rows_is_left_to_the_python_reader():
    """DuckDB's reader takes one header line: a second would be read as a contract."""
    rows = [["Borough", "System", "Vendor", "Dates", "Ends"],
            ["", "", "", "Start", ""],
            ["Camden", "Mosaic", "Servelec", "01/04/2021", "31/03/2027"]]  # fmt: skip
    fast, slow, built = both(_csv(rows), "two.csv")
    assert not built
    assert_same(fast, slow)
    assert fast.records["contract_start"].tolist() == [date(2021, 4, 1)]
    assert fast.records["contract_end"].tolist() == [date(2027, 3, 31)]


def test_a_repeated_header_whose_first_heading_holds_quotes_and_sql_is_skipped_both_ways():
    """The first heading reaches the DuckDB reader's query as a bound parameter: any text, a
    quote, a backslash or SQL, is only ever compared."""
    first = "Borough (it's \\ 'x' OR 1=1 --)"
    rows = [[first, "System", "Vendor"], ["Camden", "Mosaic", "Servelec"],
            [first, "System", "Vendor"], ["Hackney", "Uniform", "Idox"]]  # fmt: skip
    fast, slow, _ = both(_csv(rows), "quoted.csv")
    assert_same(fast, slow)
    assert fast.records["system"].tolist() == ["Mosaic", "Uniform"]
    assert [p.row for p in fast.problems if "repeats the header" in p.reason] == [3]


def test_rows_are_numbered_as_a_spreadsheet_shows_them_both_ways():
    """A steward opens the file in Excel or LibreOffice to fix what the report names: the header
    is row 1 and a record whose cell holds a line break is one row. The rows were counted as
    the file's text lines, so every row after such a cell was named one too far down."""
    rows = [["Borough", "System", "Vendor", "Notes", "Contract end"],
            ["Camden", "Mosaic", "Servelec", "Adults\nand children", "31/03/2027"],
            ["Camden", "Uniform", "Idox", "", "31/02/2027"],
            ["Borough", "System", "Vendor", "Notes", "Contract end"],
            ["Total", "", "", "", ""],
            ["Camden", "Civica Pay", "Civica", "", "31/03/2029"]]  # fmt: skip
    fast, slow, _ = both(_csv(rows), "register.csv")
    assert_same(fast, slow)
    assert fast.records["row"].tolist() == [2, 6]
    assert sorted((x.row, x.reason) for x in fast.problems if x.row) == [
        (3, "'31/02/2027' is not a real date: February 2027 has 28 days."),
        (4, "Row 4 repeats the header and was skipped."),
        (5, "Row 5 is a total row and was skipped."),
    ]
    assert fast.rows_read == 3  # the contracts' rows: not the repeated header, not the total
