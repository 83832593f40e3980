"""Properties of the upload readers and normalisers, and of the export neutraliser, over any
input hypothesis can make up. Complements tests/test_ingest_*.py (which cover arbitrary bytes,
CSV-like text, dates written every way and amounts written every way).
"""

from __future__ import annotations

import codecs
import csv
import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from citydata.core import boroughs
from citydata.core.schema import FIELD_NAMES, HOSTING_VALUES, SERVICE_AREA_LABELS
from citydata.core.text import starts_formula
from citydata.ingest import councils, dates, encoding, normalise, prepare, xlerrors
from citydata.ingest.normalise import clean_text
from citydata.output import exports

SLOW = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Text a person can type or paste into a spreadsheet cell: any letter of any alphabet, marks,
# symbols, emoji, tabs and line breaks, but no other control characters (a file holding many is
# refused as binary, and a workbook cannot hold them at all).
typed = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Co")) | st.sampled_from(
    "\t\n\r"
)
cell = st.text(typed, max_size=30)
# Everything a cell of a workbook, a CSV or an OCDS file can hold once read.
any_cell = st.one_of(
    cell,
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(),
    st.booleans(),
    st.none(),
)
date_cells = st.one_of(st.dates(), st.datetimes(), st.times(), st.timedeltas())


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


COLUMNS = ["Borough", "System", "Vendor", "Manufacturer", "Reference", "Notes"]
TEXT = ["system", "vendor", "manufacturer", "source_ref"]


def as_read(cell: object) -> str | None:
    """A text field's cell as prepare reads it: cleaned, and a word for no value ("-", "TBC")
    none."""
    text = clean_text(cell)
    return None if text is not None and text.lower() in normalise.NO_VALUE else text


def kept_rows(rows: list[tuple]) -> list[tuple]:
    """The rows prepare keeps, as read: a row naming neither system nor vendor is refused,
    and so is a row with an Excel error (#N/A...) in a field."""
    cleaned = [tuple(as_read(c) for c in r) for r in rows]
    return [r for r in cleaned if (r[0] or r[1]) and not any(map(xlerrors.error, r))]


def records_of(p) -> list[tuple]:
    return [tuple(None if pd.isna(v) else v for v in r) for r in p.records[TEXT].to_numpy()]


# ---- readers: any text a cell can hold comes back as written ------------------------------


def nothing_imported(rows: int) -> str:
    """How the refusal of a file of `rows` rows, none of them imported, begins."""
    if rows == 1:
        return "The 1 row cannot be imported."
    return f"None of the {rows:,} rows can be imported."


@SLOW
@given(st.lists(st.tuples(cell, cell, cell, cell), min_size=1, max_size=8))
def test_any_text_in_csv_cells_comes_back_as_written(rows):
    # The Notes value holds a double quote, as real registers do, so the file quotes with '"'.
    content = csv_bytes([COLUMNS, *(["Camden", *r, 'see "notes"'] for r in rows)])
    p = prepare(content, "register.csv")
    kept = kept_rows(rows)
    if not kept:
        assert p.refused.startswith(nothing_imported(len(rows)))
        return
    assert p.refused is None, p.refused
    assert records_of(p) == kept
    assert p.records["borough"].eq("Camden").all()


@SLOW
@given(st.lists(st.tuples(cell, cell, cell, cell), min_size=1, max_size=6))
def test_any_text_in_workbook_cells_comes_back_as_written(rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(COLUMNS[:5])
    for r in rows:
        ws.append(["Camden", *r])
    for line in ws.iter_rows(min_row=2):
        for c in line:
            if isinstance(c.value, str):
                c.data_type = "s"  # text that starts with '=' stays text, as Excel stores it
    buffer = io.BytesIO()
    wb.save(buffer)
    p = prepare(buffer.getvalue(), "register.xlsx")
    kept = kept_rows(rows)
    if not kept:
        assert p.refused and p.refused.startswith(nothing_imported(len(rows)))
        return
    assert p.refused is None, p.refused
    # A cell of only spaces is empty to the workbook reader: compare what cleaning leaves.
    assert records_of(p) == kept


@given(st.text(typed, max_size=200), st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_text_in_any_unicode_encoding_decodes_to_itself(text, codec):
    content = text.encode(codec)
    if codec == "utf-8":  # without a byte-order mark, the text must not begin with one
        assume(not content.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)))
    assert encoding.decode(content) == (text, codec)


# ---- normalisers never raise, whatever a cell holds ---------------------------------------

NORMALISERS = {
    **{f"text ({field})": rule for field, rule in normalise.TEXT_RULES.items()},
    "supplier": normalise.supplier_result,
    "satisfaction": normalise.satisfaction_result,
    "hosting": normalise.hosting_result,
    "service area": normalise.area_result,
    "money": normalise.money_result,
    "borough": councils._resolve,
}


@pytest.mark.parametrize("name", list(NORMALISERS))
@settings(max_examples=200, deadline=None)
@given(value=any_cell)
def test_every_normaliser_answers_for_any_cell(name, value):
    result = NORMALISERS[name](value)
    assert isinstance(result, tuple) and len(result) == 3
    _, refusal, warning = result
    assert refusal is None or (isinstance(refusal, str) and refusal)
    assert warning is None or (isinstance(warning, str) and warning)


@pytest.mark.parametrize("name", [n for n in NORMALISERS if n != "money"])
@settings(max_examples=100, deadline=None)
@given(value=date_cells)
def test_every_normaliser_answers_for_a_date_or_time_cell(name, value):
    assert len(NORMALISERS[name](value)) == 3


@pytest.mark.parametrize(
    "value", [date(2027, 3, 31), datetime(2027, 3, 31, 9, 30), time(9, 30), timedelta(days=3)]
)
def test_money_refuses_a_date_or_time_cell_rather_than_failing(value):
    amount, refusal, _ = normalise.money_result(value)
    assert amount is None and "not an amount of money" in refusal


@settings(max_examples=200, deadline=None)
@given(st.one_of(any_cell, date_cells))
def test_dates_answer_for_any_cell(value):
    day, note = dates.parse_date(value)
    assert (day is None) != (note is None)


# ---- normalisers are idempotent: a value they give reads back as itself ------------------


@settings(max_examples=300, deadline=None)
@given(any_cell)
def test_a_hosting_value_reads_back_as_itself(value):
    label, refusal, _ = normalise.hosting_result(value)
    assert (refusal is None) != bool(xlerrors.error(clean_text(value)))  # (#N/A... refused)
    assert label is None or label in HOSTING_VALUES
    if label is not None:
        assert normalise.hosting_result(label) == (label, None, None)


@settings(max_examples=300, deadline=None)
@given(any_cell)
def test_a_service_area_always_lands_in_the_taxonomy_and_reads_back_as_itself(value):
    label, refusal, _ = normalise.area_result(value)
    assert (refusal is None) != bool(xlerrors.error(clean_text(value)))  # (#N/A... refused)
    assert label in SERVICE_AREA_LABELS
    assert normalise.area_result(label) == (label, None, None)


@settings(max_examples=300, deadline=None)
@given(st.one_of(cell, st.decimals(min_value=0, max_value=10**16, places=3).map(str), any_cell))
def test_an_amount_reads_back_as_itself_however_it_is_written_again(value):
    amount, refusal, _ = normalise.money_result(value)
    if amount is None:
        return
    assert refusal is None and isinstance(amount, Decimal)
    assert Decimal(0) <= amount < normalise.MAX_VALUE and amount == amount.quantize(Decimal("0.01"))
    for again in (str(amount), f"£{amount:,}", f"{amount:,.2f} pa", f"({amount})".strip("()")):
        assert normalise.money_result(again) == (amount, None, None), again


@settings(max_examples=300, deadline=None)
@given(any_cell)
def test_a_satisfaction_score_reads_back_as_itself(value):
    score, refusal, _ = normalise.satisfaction_result(value)
    if score is None:
        return
    assert refusal is None and score in range(1, 6)
    for again in (score, str(score), float(score), f"{score}/5", f"{score} out of 5"):
        assert normalise.satisfaction_result(again) == (score, None, None)


@settings(max_examples=300, deadline=None)
@given(st.one_of(cell, st.sampled_from([b.name for b in boroughs.BOROUGHS])))
def test_a_borough_reads_back_as_itself_by_name_code_or_official_name(text):
    found = boroughs.resolve(text)
    if found is None:
        return
    for again in (found.name, found.code, found.official_name, f"  {found.name.upper()} "):
        assert boroughs.resolve(again) is found, again


@settings(max_examples=300, deadline=None)
@given(cell)
def test_cleaned_text_is_trimmed_single_spaced_and_free_of_control_characters(text):
    cleaned = clean_text(text)
    if cleaned is None:
        return
    assert cleaned == cleaned.strip() and "  " not in cleaned
    assert not any(c in cleaned for c in "\t\r\n\x00\u200b\ufeff")


# ---- exports: formula starts neutralised, and undone on the way back in ------------------


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=20), any_cell))
def test_a_neutralised_cell_never_starts_a_formula_and_is_the_input_under_its_apostrophe(value):
    out = exports.neutralise_cell(value)
    if not isinstance(value, str):
        assert out is value, "numbers, dates and blanks are not text: left alone"
        return
    assert not starts_formula(out)
    if starts_formula(value):
        assert out == "'" + value and out[1:] == value
    else:
        assert out == value


frames = st.lists(
    st.tuples(st.text(typed, max_size=15), st.text(typed, max_size=15)), min_size=1, max_size=6
)


@settings(max_examples=100, deadline=None)
@given(frames, st.text(typed, min_size=1, max_size=10))
def test_csv_and_excel_downloads_hold_each_text_neutralised_and_nothing_else(rows, title):
    assume(title != "Vendor")
    # A carriage return alone inside a cell: tests/test_security.py (a known fault).
    assume(not any("\r" in t for t in [title, *(v for r in rows for v in r)]))
    df = pd.DataFrame(rows, columns=[title, "Vendor"])
    want = [[exports.neutralise_cell(v) for v in r] for r in rows]
    header = [exports.neutralise_cell(title), "Vendor"]
    text = exports.to_csv(df).decode("utf-8-sig")
    got = list(csv.reader(io.StringIO(text, newline="")))
    assert got == [header, *want]
    sheet = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(df))).active
    cells = [[c.value for c in line] for line in sheet.iter_rows()]
    blank = [[v if v != "" else None for v in r] for r in [header, *want]]
    while blank and all(v is None for v in blank[-1]):  # a sheet ends at its last value
        blank.pop()
    assert cells == blank
    assert all(c.data_type != "f" for line in sheet.iter_rows() for c in line)


@SLOW
@given(st.lists(st.tuples(cell, cell), min_size=1, max_size=5), st.sampled_from(["csv", "xlsx"]))
def test_stored_text_survives_a_download_and_an_upload_unchanged(pairs, fmt):
    stored = [(as_read(s), as_read(v)) for s, v in pairs]
    # Stored text is what reading leaves (`as_read`); a fixed point of it (cleaning removes one
    # layer of Excel's apostrophe and of HTML escaping, so '\'\'=x' and '&amp;amp;amp;' are not).
    # Excel's error words (#N/A...) are refused: not stored text here.
    stored = [
        (s, v)
        for s, v in stored
        if (s or v) and all(as_read(t) == t and not xlerrors.error(t) for t in (s, v) if t)
    ]
    assume(stored)
    records = pd.DataFrame(
        {name: [None] * len(stored) for name in FIELD_NAMES if name not in ("system", "vendor")}
    )
    records["borough_code"], records["borough"] = "E09000007", "Camden"
    records["system"] = [s for s, _ in stored]
    records["vendor"] = [v for _, v in stored]
    labelled = exports.with_labels(records[list(FIELD_NAMES)])
    content = exports.to_csv(labelled) if fmt == "csv" else exports.to_xlsx(labelled)
    p = prepare(content, f"download.{fmt}")
    assert p.refused is None and p.format == "template"
    back = [
        tuple(None if pd.isna(x) else x for x in r)
        for r in p.records[["system", "vendor"]].to_numpy()
    ]
    assert back == stored
