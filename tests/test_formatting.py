"""One formatter per kind of value, one fold per kind of key: what people read is the same on
every page, chart, briefing and calendar file."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
import pytest

from citydata.core import formatting, keys
from citydata.core.schema import hosting_label, service_area_label


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0, "£0"),
        (950, "£950"),
        (999.6, "£1k"),
        (1_500, "£1.5k"),
        (12_345, "£12.3k"),
        (350_000, "£350k"),
        (999_999, "£1m"),
        (1_234_567, "£1.23m"),
        (1_250_000, "£1.25m"),
        (2_500_000, "£2.5m"),
        (1_650_000_000, "£1.65bn"),
        (-2_500, "-£2.5k"),
        (Decimal("1234567.89"), "£1.23m"),
        (None, "no value"),
        (float("nan"), "no value"),
        (pd.NA, "no value"),
    ],
)
def test_money_is_written_one_way(value, shown):
    assert formatting.money(value) == shown


def test_money_keeps_a_fourth_figure_when_asked_and_in_full_when_exact():
    assert formatting.money(1_025_000, digits=4) == "£1.025m"
    assert formatting.money_in_full(200_000.0) == "£200,000"
    assert formatting.money_in_full(Decimal("12345"), pence=True) == "£12,345.00"
    assert formatting.money_in_full(math.nan) == "no value"


def test_an_amount_in_full_rounds_a_half_up_as_the_tables_and_spreadsheets_do():
    """£100,250.50 was written £100,250 (Python rounds a half to the even pound) where the
    page's own table (format "£%,.0f") and a spreadsheet opening the download show £100,251;
    £2.50 was £2, £3.50 £4."""
    assert formatting.money_in_full(100_250.5) == "£100,251"
    assert formatting.money_in_full(Decimal("1200250.50")) == "£1,200,251"
    assert [formatting.money_in_full(v) for v in (0.5, 2.5, 3.5, 2.49)] == ["£1", "£3", "£4", "£2"]
    assert formatting.money_in_full(Decimal("0.125"), pence=True) == "£0.13"


def test_days_and_counts():
    for value in (
        date(2026, 4, 1),
        datetime(2026, 4, 1, 13),
        pd.Timestamp("2026-04-01"),
        "2026-04-01",
    ):
        assert formatting.day(value) == "1 Apr 2026"
    assert formatting.day(None) == "not recorded"
    assert formatting.day(pd.NaT, missing="no end date") == "no end date"
    assert formatting.count(1, "contract") == "1 contract"
    assert formatting.count(1234, "contract") == "1,234 contracts"
    assert formatting.count(2, "contract has", "contracts have") == "2 contracts have"


def test_one_fold_per_kind_of_key():
    assert keys.fold("  CAPITA  Business-Services Ltd.") == "capita business services ltd"
    assert keys.fold("Smith & Jones") == keys.fold("smith and jones")
    assert keys.fold_header("Annual Value (£) ") == "annual value"
    assert keys.fold_header("Supplier [name]") == "supplier"
    assert keys.fold_words("Children’s Services") == keys.fold_words("childrens services")
    # the service-area and hosting lookups go through the same fold
    assert service_area_label("Revs & Bens") == "Revenues and benefits"
    assert service_area_label("ADULTS' SOCIAL CARE") == service_area_label("adults social care")
    assert hosting_label("on-premises") == hosting_label("On premises")


def test_a_short_amount_rounds_a_half_up_too():
    """£122,500 was written £122k and £2.50 £2 (Python sends a half to the even digit), while
    £1,135 was £1.14k: the tables beside them say £122,500, which a reader rounds up."""
    shown = [formatting.money(v) for v in (122_500, 12_250, 1_225_000, 1_125, 1_135, 2.5, 0.5)]
    assert shown == ["£123k", "£12.3k", "£1.23m", "£1.13k", "£1.14k", "£3", "£1"]
    assert formatting.money(Decimal("2.49")) == "£2" and formatting.money(-2.5) == "-£3"
    assert formatting.money(5_124.5, digits=4) == "£5.125k"
