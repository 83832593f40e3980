"""Normalising values: dates, money, text, hosting, service areas, satisfaction."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from citydata.ingest import dates, normalise
from citydata.ingest.dates import BLANK, PLACEHOLDER, parse_date

D = date

DATE_CASES = [
    ("31/03/2027", D(2027, 3, 31)),
    ("1/4/2020", D(2020, 4, 1)),
    ("31-Mar-27", D(2027, 3, 31)),
    ("1-Apr-2020", D(2020, 4, 1)),
    ("31.03.2027", D(2027, 3, 31)),
    ("31 03 2027", D(2027, 3, 31)),
    ("2027-03-31", D(2027, 3, 31)),
    ("2027/03/31", D(2027, 3, 31)),
    ("20270331", D(2027, 3, 31)),
    ("2019-06-18T00:00:00Z", D(2019, 6, 18)),
    ("2020-03-31T23:00:00Z", D(2020, 4, 1)),  # midnight in London (BST) written in UTC
    ("2025-10-10T16:19:26+01:00", D(2025, 10, 10)),
    ("2025-01-01T00:00:00+01:00", D(2025, 1, 1)),  # the day in the writer's own offset
    ("2020-04-01 00:00:00", D(2020, 4, 1)),
    ("46477", D(2027, 3, 31)),  # Excel serial number
    (46477, D(2027, 3, 31)),
    (46477.0, D(2027, 3, 31)),
    ("07/01/25", D(2025, 1, 7)),  # two-digit year, day first
    ("31/12/99", D(1999, 12, 31)),
    ("31 March 2027", D(2027, 3, 31)),
    ("31st March 2027", D(2027, 3, 31)),
    ("Tue 31 Mar 2027", D(2027, 3, 31)),
    ("March 31, 2027", D(2027, 3, 31)),
    ("5 Sept 2025", D(2025, 9, 5)),
    ("01-Jan-2020 12:00", D(2020, 1, 1)),
    (" 31/03/2027\u00a0", D(2027, 3, 31)),
    (datetime(2027, 3, 31, 0, 0), D(2027, 3, 31)),
    (D(2027, 3, 31), D(2027, 3, 31)),
]


@pytest.mark.parametrize(("written", "expected"), DATE_CASES)
def test_uk_dates_in_every_common_form(written, expected):
    assert parse_date(written) == (expected, None)


@pytest.mark.parametrize("written", ["TBC", "rolling", "Rolling monthly", "n/a", "ongoing", "-",
                                     "N/K", "Until terminated", "open-ended"])  # fmt: skip
def test_placeholders_mean_no_date(written):
    assert parse_date(written) == (None, PLACEHOLDER)


@pytest.mark.parametrize("written", ["-", "n/a", "TBC", "Unknown", " none ", "?"])
def test_a_word_for_no_value_is_no_name(written):
    """A vendor or system written "-" was kept as a name ("-" ranked among the vendors)."""
    for field, rule in normalise.TEXT_RULES.items():
        assert rule(written) == (None, None, None), field
    assert normalise.supplier_result(f"{written}|1 High St|Companies House|0123") == (
        None,
        None,
        None,
    )
    assert normalise.TEXT_RULES["vendor"]("Capita") == ("Capita", None, None)
    assert normalise.supplier_result("Capita|1 High St") == ("Capita", None, None)


@pytest.mark.parametrize("written", ["", "   ", None, float("nan")])
def test_blank_dates(written):
    assert parse_date(written) == (None, BLANK)


@pytest.mark.parametrize(
    ("written", "words"),
    [
        ("31/02/2026", "not a real date: February 2026 has 28 days"),
        ("29/02/2025", "February 2025 has 28 days"),
        ("01/01/1", "the year '1' is incomplete"),
        ("01/01/202", "the year '202' is incomplete"),
        ("25/06/2012900", "too many digits"),
        ("03/31/2027", "there is no month 31 (dates are read day first"),
        ("13/13/2020", "there is no month 13."),
        ("31/03/1899", "the year 1899"),
        ("1 Foo 2020", "'foo' is not a month"),
        ("soon", "is not a date"),
        ("12", "is not a date"),
        (12, "is a number, not a date"),
    ],
)
def test_impossible_dates_are_refused_with_the_reason(written, words):
    day, reason = parse_date(written)
    assert day is None and words in reason and reason not in (BLANK, PLACEHOLDER)


def test_leap_day_exists_in_a_leap_year():
    assert parse_date("29/02/2028") == (D(2028, 2, 29), None)


# Hypothesis: every way of writing a day reads back as that day.

days = st.dates(min_value=D(1970, 1, 1), max_value=D(2068, 12, 31))


@given(days)
def test_any_day_written_any_common_way_reads_back(day):
    forms = [
        f"{day:%d/%m/%Y}",
        f"{day.day}/{day.month}/{day.year}",
        f"{day:%d-%b-%y}",
        f"{day.day}-{day:%b-%Y}",
        f"{day:%d.%m.%Y}",
        day.isoformat(),
        f"{day.isoformat()}T12:00:00Z",
        f"{day.isoformat()}T00:00:00+01:00",
        f"{day:%d %B %Y}",
        f"{day:%d/%m/%y}",
        str((day - dates.EXCEL_EPOCH).days),
    ]
    for written in forms:
        assert parse_date(written) == (day, None), written


@given(st.one_of(st.text(max_size=40), st.integers(), st.floats(), st.none(), st.datetimes()))
def test_parse_date_never_raises_and_always_says_why(value):
    day, note = parse_date(value)
    if day is None:
        assert isinstance(note, str) and note
    else:
        assert note is None and dates.MIN_YEAR <= day.year <= dates.MAX_YEAR


# Money.

MONEY_CASES = [
    ("£1,234,567.00", Decimal("1234567.00")),
    ("1234567", Decimal("1234567.00")),
    ("1,234.5", Decimal("1234.50")),
    ("453000.0", Decimal("453000.00")),
    ("£ 1 234", Decimal("1234.00")),
    ("£1.2m", Decimal("1200000.00")),
    ("150k", Decimal("150000.00")),
    ("£5,000 pa", Decimal("5000.00")),
    ("£5,000 p.a.", Decimal("5000.00")),
    ("£50,000pa", Decimal("50000.00")),  # 'pa' with no space before it
    ("£50kpa", Decimal("50000.00")),
    ("£1.5mn", Decimal("1500000.00")),
    ("10,000 per annum", Decimal("10000.00")),
    ("5000 + VAT", Decimal("5000.00")),
    ("GBP 12.345", Decimal("12.35")),
    ("0", Decimal("0.00")),
    (453000.0, Decimal("453000.00")),
    (12, Decimal("12.00")),
    ("", None),
    ("n/a", None),
    ("TBC", None),
    (None, None),
    (float("nan"), None),
]


@pytest.mark.parametrize(("written", "expected"), MONEY_CASES)
def test_money(written, expected):
    assert normalise.money_result(written) == (expected, None, None)


@pytest.mark.parametrize(
    ("written", "words"),
    [
        ("-5", "negative"),
        ("(1,234)", "negative"),
        ("£-500", "negative"),
        (-3.5, "negative"),
        ("€100", "not in pounds"),
        ("$5", "not in pounds"),
        ("1,23", "not an amount of money"),
        ("1.234,56", "not an amount of money"),
        ("about a million", "not an amount of money"),
        ("1e30", "not an amount of money"),
        ("9" * 20, "too large"),
        # under the limit as written, at it to the penny: it was stored as £1,000,000,000,000,000
        ("999999999999999.995", "too large"),
        ("£999,999,999,999,999.999", "too large"),
        (999999999999999.995, "too large"),
    ],
)
def test_money_refused(written, words):
    value, reason, _ = normalise.money_result(written)
    assert value is None and words in reason


pennies = st.integers(min_value=0, max_value=10**13).map(lambda p: Decimal(p) / 100)


@given(pennies)
def test_any_amount_written_any_common_way_reads_back(amount):
    for written in (f"£{amount:,.2f}", f"{amount:.2f}", f"{amount:,}", f" £ {amount} "):
        assert normalise.money_result(written) == (amount, None, None), written
    assert normalise.money_result(float(amount))[0] == amount


@given(pennies.filter(lambda a: a > 0))
def test_any_negative_amount_is_refused(amount):
    for written in (f"-{amount}", f"-£{amount:,.2f}", f"({amount:,.2f})"):
        value, reason, _ = normalise.money_result(written)
        assert value is None and "negative" in reason


@given(st.one_of(st.text(max_size=30), st.floats(), st.integers(), st.booleans()))
def test_money_never_raises(value):
    amount, reason, _ = normalise.money_result(value)
    assert (amount is None) or (amount >= 0 and reason is None)


# Text, hosting, service areas, satisfaction.


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("  Civica   UK\tLtd  ", "Civica UK Ltd"),
        ("London Boroughs&#039; Legal Alliance", "London Boroughs' Legal Alliance"),
        ("LL&amp;T disputes", "LL&T disputes"),
        ("LL&amp;amp;T", "LL&T"),
        ("Line one\r\nline two", "Line one line two"),
        ("Zero\u200bwidth\x07bell\x00nul", "Zerowidthbellnul"),
        ("\u00a0Servelec\u00a0", "Servelec"),
        ("'+44 3001234500", "+44 3001234500"),
        ("'=SUM(A1)", "=SUM(A1)"),
        ("'\uff20handle", "\uff20handle"),  # a download's apostrophe before a look-alike '@'
        ("' =SUM(A1)", "=SUM(A1)"),  # ... and before a formula behind a space: trimmed
        ("' a name", "' a name"),
        ("'Tis a name", "'Tis a name"),
        ("Fish & Chips", "Fish & Chips"),
        (1234.0, "1234"),
        ("   ", None),
        (None, None),
    ],
)
def test_text_is_trimmed_decoded_and_cleaned(written, expected):
    assert normalise.clean_text(written) == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("SaaS", "Cloud (SaaS)"),
        ("on-prem", "On premises"),
        ("Supplier hosted", "Hosted by supplier"),
        ("hybrid", "Hybrid"),
        ("", None),
        ("n/a", None),
    ],
)
def test_hosting_words(written, expected):
    assert normalise.hosting_result(written) == (expected, None, None)


def test_unknown_hosting_is_left_blank_with_a_warning():
    value, refusal, warn = normalise.hosting_result("Mainframe")
    assert value is None and refusal is None and "'Mainframe' is not a kind of hosting" in warn


@pytest.mark.parametrize(
    ("written", "expected", "warned"),
    [
        ("Revs & Bens", "Revenues and benefits", False),
        ("Environmental Services", "Environment and waste", False),
        ("IT", "Corporate IT and infrastructure", False),
        ("Adults' and Community Services", "Adults' social care", True),
        ("Children and Young People's Service", "Children's social care", True),
        ("Housing Needs", "Housing", True),
        # paid by the revenues and benefits service, as the notices' rules file them
        ("Housing Benefit", "Revenues and benefits", False),
        ("Housing Benefits Service", "Revenues and benefits", True),
        ("Business Rates", "Revenues and benefits", False),
        ("Zoo", "Other", True),
        (None, "Other", True),
    ],
)
def test_service_areas_through_the_taxonomy(written, expected, warned):
    value, refusal, warn = normalise.area_result(written)
    assert value == expected and refusal is None and (warn is not None) == warned


@pytest.mark.parametrize(("written", "expected"), [("4", 4), ("4.0", 4), (5.0, 5), ("4/5", 4),
                                                   ("3 out of 5", 3), ("", None)])  # fmt: skip
def test_satisfaction(written, expected):
    assert normalise.satisfaction_result(written) == (expected, None, None)


@pytest.mark.parametrize("written", ["0", "6", "3.5", "Good", -1])
def test_satisfaction_outside_one_to_five_is_refused(written):
    value, reason, _ = normalise.satisfaction_result(written)
    assert value is None and "whole number from 1 (poor) to 5 (good)" in reason


def test_per_unique_works_each_distinct_value_out_once():
    calls = []

    def fn(value):
        calls.append(value)
        return (None if value is None else value.upper()), None, None

    series = pd.Series(["a", "b", "a", None, "b", "a"] * 1000, dtype=object)
    values, refusals, warnings = normalise.per_unique(series, fn)
    assert values[:6] == ["A", "B", "A", None, "B", "A"] and len(values) == 6000
    assert len(calls) == 3 and set(calls) == {"a", "b", None}
    assert refusals == warnings == [None] * 6000


def test_dates_around_the_clock_change_use_london_time():
    summer = datetime(2026, 6, 30, 23, 30, tzinfo=dates.UTC)
    assert parse_date(summer) == (D(2026, 7, 1), None)
    assert parse_date(summer - timedelta(hours=1)) == (D(2026, 6, 30), None)
