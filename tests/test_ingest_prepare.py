"""The whole pipeline: every problem at once, row rules, boroughs, the result's shape."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citydata.core.schema import FIELD_NAMES, FIELDS
from citydata.ingest import IngestError, Prepared, Problem, bulk, prepare
from citydata.ingest import validate as validate_module

UNEXPECTED = "This file could not be read."

MANY_PROBLEMS = """Borough,Service area,System,Vendor,Contract start,Contract end,Annual value,Hosting,Satisfaction,Reference
Camden,Housing,Northgate Housing,Northgate,01/04/2021,31/03/2027,"£45,000",Cloud,4,C-1
Camden,Housing,Northgate Housing,Northgate,01/04/2021,31/03/2027,"£45,000",Cloud,4,C-1
Gotham,Parking,Chipside,Chipside Ltd,01/04/2021,31/03/2027,1000,,,C-3
Camden,Parking,Taranto,Imperial,31/02/2026,31/03/2027,-5,,9,C-4
Camden,Zoo keeping,Zoo System,Zoo Ltd,01/04/2021,TBC,n/a,Mainframe,,C-5
Camden,Housing,,,01/04/2021,31/03/2027,,,,C-6
Camden,Housing,Lone System,,01/04/2027,31/03/2021,,,,C-7
Camden,Libraries,Spydus,Civica,01/04/2021,,£1.2m,SaaS,5,C-8
"""  # noqa: E501


@pytest.fixture(scope="module")
def many() -> Prepared:
    return prepare(MANY_PROBLEMS.encode(), "camden.csv")


def test_every_problem_is_reported_at_once(many):
    assert sorted((x.row, x.column, x.value) for x in many.rejects) == [
        (4, "Borough", "Gotham"),
        (5, "Annual value", "-5"),
        (5, "Contract start", "31/02/2026"),
        (5, "Satisfaction", "9"),
        (7, "System", None),
        (8, "Contract end", "31/03/2021"),
    ]
    warned = sorted((x.row, x.column) for x in many.warnings if x.row is not None)
    assert warned == [
        (3, None),  # repeats row 2
        (6, "Contract end"),  # TBC
        (6, "Hosting"),  # Mainframe
        (6, "Service area"),  # Zoo keeping -> Other
        (9, "Contract end"),  # blank end
    ]
    assert (many.rows_read, len(many.records), many.rows_refused, many.rows_warned) == (8, 4, 4, 3)
    assert many.records["row"].tolist() == [2, 3, 6, 9]


def test_a_misspelt_borough_is_refused_with_the_name_it_is_closest_to():
    content = (
        "Borough,System,Vendor\nCamdem,Mosaic,Servelec\nWestminister,Spydus,Civica\n"
        "Hackeny,Uniform,Idox\nGotham,Chipside,Chipside Ltd\n"
    )
    p = prepare(content.encode(), "misspelt.csv")
    said = "is not one of the 33 London authorities (32 boroughs and the City of London)."
    assert [(x.row, x.reason) for x in p.rejects] == [
        (2, f"'Camdem' {said} Did you mean Camden?"),
        (3, f"'Westminister' {said} Did you mean Westminster?"),
        (4, f"'Hackeny' {said} Did you mean Hackney?"),
        (5, f"'Gotham' {said}"),  # nothing close: no guess
    ]


def test_reasons_say_why_in_plain_english(many):
    reasons = {(x.row, x.column): x.reason for x in many.problems}
    assert reasons[(4, "Borough")] == (
        "'Gotham' is not one of the 33 London authorities (32 boroughs and the City of London)."
    )
    assert reasons[(5, "Annual value")] == "The value -5 is negative; a contract's value cannot be."
    assert reasons[(7, "System")] == "Neither a system nor a vendor is given."
    assert (
        reasons[(8, "Contract end")]
        == "The contract ends (31/03/2021) before it starts (01/04/2027)."
    )
    assert (
        reasons[(6, "Service area")]
        == "'Zoo keeping' is not a service area we know: filed under 'Other'."
    )
    assert reasons[(3, None)].startswith("This repeats row 2")
    assert reasons[(9, "Contract end")] == "No end date is given: recorded as no end date."


def test_a_row_with_a_system_but_no_vendor_is_imported_with_a_warning():
    p = prepare(b"Borough,System,Vendor\nCamden,Lone System,\n", "x.csv")
    assert p.records["vendor"].tolist() == [None]
    assert [x.reason for x in p.warnings if x.row] == ["No vendor is given."]


def test_records_have_the_canonical_shape_and_types(many):
    records = many.records
    assert list(records.columns) == [*FIELD_NAMES, "row"]
    first = records.iloc[0]
    assert first["borough_code"] == "E09000007" and first["borough"] == "Camden"
    assert first["contract_start"] == date(2021, 4, 1)
    assert first["annual_value"] == Decimal("45000.00")
    assert str(records["satisfaction"].dtype) == "Int64"
    assert records["contract_end"].tolist()[2:] == [None, None]
    assert records.loc[records["row"] == 6, "service_area"].item() == "Other"
    assert records.loc[records["row"] == 9, "hosting"].item() == "Cloud (SaaS)"
    assert many.boroughs == ["E09000007"]


def test_records_load_into_the_contracts_table_types(many):
    con = duckdb.connect()
    columns = ", ".join(f"{f.name} {f.sql_type}" for f in FIELDS)
    con.execute(f"CREATE TABLE contracts ({columns}, row INTEGER)")
    frame = many.records  # noqa: F841 - read by DuckDB by name
    con.execute(f"INSERT INTO contracts SELECT {', '.join(FIELD_NAMES)}, row FROM frame")
    assert con.execute(
        "SELECT sum(annual_value), count(contract_end) FROM contracts"
    ).fetchone() == (
        Decimal("1290000.00"),
        2,
    )


def test_to_json_is_plain_data(many):
    out = many.to_json()
    json.dumps(out)
    assert out["format"] == "template" and out["rows_rejected"] == 4 and out["rows_accepted"] == 4
    assert out["rejects"][0] == {
        "row": 4,
        "column": "Borough",
        "value": "Gotham",
        "reason": "'Gotham' is not one of the 33 London authorities (32 boroughs and the City "
        "of London).",
        "outcome": "not imported",
        "left_out": False,  # (a fault to fix, not a row left out by design)
    }
    assert set(out) >= {"mapping", "rejects", "warnings", "rows_read", "boroughs", "refused"}


def test_check_raises_only_when_nothing_can_be_stored(many):
    assert many.check() is many
    refused = prepare(b"", "x.csv")
    with pytest.raises(IngestError, match=r"This file is empty\."):
        refused.check()


# Boroughs: a column, or one borough for the whole file.


def test_borough_argument_fills_blanks_and_refuses_other_boroughs():
    content = (
        b"Borough,System,Vendor\n,Mosaic,Servelec\nLB Camden,Uniform,Idox\nBrent,Civica,Civica\n"
    )
    p = prepare(content, "x.csv", borough="camden")
    assert p.records["borough"].tolist() == ["Camden", "Camden"]
    assert [(x.row, x.reason) for x in p.rejects] == [
        (4, "This row is for Brent, but the file is being imported for Camden.")
    ]


def test_unknown_borough_argument_refuses_the_file():
    p = prepare(b"System,Vendor\nMosaic,Servelec\n", "x.csv", borough="Gotham")
    assert p.refused == (
        '"Gotham" is not one of the 33 London authorities (32 boroughs and the City of London)'
    )
    assert p.columns == ["System", "Vendor"]


def test_blank_borough_without_argument_is_refused():
    p = prepare(b"Borough,System,Vendor\n,Mosaic,Servelec\nBrent,Uniform,Idox\n", "x.csv")
    assert [x.reason for x in p.rejects] == [
        "No borough is given: fill in the borough, or choose one for the whole file."
    ]


def test_borough_code_and_name_must_agree():
    content = (
        b"Borough code,Borough,System,Vendor\nE09000007,Camden,Mosaic,Servelec\n"
        b"E09000005,Camden,Uniform,Idox\nE09000005,,Civica,Civica\n"
    )
    p = prepare(content, "x.csv")
    assert p.records["borough"].tolist() == ["Camden", "Brent"]
    assert [x.reason for x in p.rejects] == [
        "The borough code says Brent but the borough says Camden."
    ]


def test_several_boroughs_in_one_file():
    content = (
        b"Council,System,Vendor\nLONDON BOROUGH OF HARINGEY,Mosaic,Servelec\nRBKC,Uniform,Idox\n"
    )
    p = prepare(content, "x.csv")
    assert p.boroughs == ["E09000014", "E09000020"]


def test_nothing_accepted_refuses_the_file_and_says_why():
    p = prepare(b"Borough,System,Vendor\nGotham,Mosaic,Servelec\n", "x.csv")
    assert p.refused == (
        "The 1 row cannot be imported. Row 2: 'Gotham' is not one of the 33 London authorities "
        "(32 boroughs and the City of London)."
    )
    assert p.records.empty and len(p.rejects) == 1
    two = prepare(b"Borough,System,Vendor\nGotham,Mosaic,Servelec\nGotham,Uniform,Idox\n", "x.csv")
    assert two.refused.startswith("None of the 2 rows can be imported. For example, row 2: ")


def test_an_unforeseen_failure_is_a_refusal_not_an_exception(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(validate_module, "build", broken)
    monkeypatch.setattr(bulk, "build", broken)  # the DuckDB path falls back to the Python one
    p = prepare(b"Borough,System,Vendor\nCamden,Mosaic,Servelec\n", "x.csv")
    assert p.refused.startswith(UNEXPECTED) and p.records.empty


def test_a_timestamp_with_no_such_time_refuses_its_row_not_the_whole_file():
    # One cell '...T25:00:00Z' (or an offset of +99:00) used to make the whole file "could not
    # be read"; ISO's end of day, 24:00, is the next day's midnight.
    content = (
        "Borough,System,Vendor,Contract end\n"
        "Camden,Mosaic,Servelec,2027-03-31T25:00:00Z\n"
        "Camden,Spydus,Civica,2027-03-31T10:00:00+99:00\n"
        "Camden,Uniform,Idox,2027-03-30T24:00:00Z\n"
    )
    p = prepare(content.encode(), "camden.csv")
    assert p.refused is None
    assert [(x.row, x.column, x.reason) for x in p.rejects] == [
        (
            2,
            "Contract end",
            "'2027-03-31T25:00:00Z' is not a real date: that is not a time of day.",
        ),
        (
            3,
            "Contract end",
            "'2027-03-31T10:00:00+99:00' is not a real date: '+99:00' is not a time zone.",
        ),
    ]
    assert p.records["contract_end"].tolist() == [date(2027, 3, 31)]


def test_problem_values_are_cut_to_a_readable_length():
    long = "x" * 500
    p = prepare(f"Borough,System,Vendor\n{long},S,V\n".encode(), "x.csv")
    assert len(p.rejects[0].value) == 200 and p.rejects[0].value.endswith("…")
    assert isinstance(p.rejects[0], Problem)


# Property-based: whatever bytes arrive, prepare answers (and never with the catch-all).


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_prepare_never_raises_on_arbitrary_bytes(content):
    p = prepare(content, "upload.csv")
    assert isinstance(p, Prepared)
    assert not (p.refused or "").startswith(UNEXPECTED)
    assert list(p.records.columns) == [*FIELD_NAMES, "row"]


cells = st.text(alphabet=st.sampled_from(list('ab1/,;"\n\r\t £-.&#0Ca')), max_size=12)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(cells, min_size=1, max_size=6), max_size=8), st.sampled_from([",", ";"]))
def test_prepare_never_raises_on_csv_like_text(rows, delimiter):
    text = "Borough,System,Vendor,Contract end,Annual value\n"
    text += "\n".join(delimiter.join(r) for r in rows)
    for name in ("x.csv", "x.json"):
        p = prepare(text.encode(), name, borough="Camden")
        assert not (p.refused or "").startswith(UNEXPECTED)
        assert p.refused or len(p.records) + p.rows_refused == p.rows_read


def test_a_long_quoted_value_is_cut_and_the_words_after_it_are_not():
    from citydata.ingest.report import short_reason

    long = "x" * 100
    assert short_reason(f"'{long}' is not a date.") == f"'{'x' * 59}…' is not a date."
    # An apostrophe after the value is not the end of a quoted value: nothing is cut.
    reason = (
        "The buyer 'Building Digital UK (BDUK)' is not a London borough or the City of London; "
        "only the 33 London authorities' contracts are imported."
    )
    assert short_reason(reason) == reason


def test_a_json_file_that_cannot_be_read_says_where_in_words_not_pythons():
    p = prepare(b'{"releases": [\n  {"id": "a",,}\n]}', "notices.json")
    assert p.refused == (
        "This JSON file cannot be read: it stops being valid JSON at line 2, column 14 (cut "
        "short, or changed by hand?). Upload the file as it was downloaded."
    )
    p = prepare(b'{"releases": [' + b"9" * 5_000 + b"]}", "notices.json")
    assert p.refused is not None and "thousands of digits long" in p.refused
    assert "4300" not in p.refused and "int" not in p.refused


@pytest.mark.parametrize(
    ("rows", "accepted"),
    [
        ([2, 3, 5, 9], 4),  # a register: a record a row, in the file's order
        ([2, 2, 2, 4, 4], 2),  # a row of several suppliers gives several records
        ([4, 2, 4, 3], 3),  # out of order
        ([7], 1),
        ([], 0),
    ],
)
def test_rows_accepted_counts_each_row_once(rows, accepted):
    """The count a steward reads ("n accepted") is of rows, however the records lie."""
    prepared = prepare(b"Borough,System,Vendor\nCamden,Mosaic,Servelec\n", "register.csv")
    prepared.set_table(pa.table({"row": pa.array(rows, type=pa.int64())}))
    assert prepared.rows_accepted == accepted
