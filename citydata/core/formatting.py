"""How values are written for people: one formatter per kind of value, used by every page,
chart, briefing, calendar file and message.

- money: `money` short ('£950', '£12.3k', '£1.25m') for figures, charts and briefings;
  `money_in_full` ('£200,000', or '£12,345.00' with pence) where the exact amount matters;
- counts: `count` ('1 contract', '1,234 contracts');
- days: `day` ('1 Apr 2026', or a word for a missing date; citydata.core.dates.day_label).

Text shown through Markdown has one escaper too: citydata.core.text.markdown_literal.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd

from citydata.core.dates import day_label

_UNITS = ((1e9, "bn"), (1e6, "m"), (1e3, "k"))


def _missing(value: Any) -> bool:
    """None, NaN, NaT, pd.NA or an empty string."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


NOT_RECORDED = "Not recorded"  # a figure shown alone (a metric) whose records hold no value


def money(value: Any, digits: int = 3, missing: str = "no value") -> str:
    """Pounds to `digits` significant figures with a unit, trailing zeros dropped.

    >>> [money(v) for v in (950, 12_345, 350_000, 1_234_567, 2_500_000, 999_999)]
    ['£950', '£12.3k', '£350k', '£1.23m', '£2.5m', '£1m']
    """
    if _missing(value):
        return missing
    amount = float(value)
    sign, amount = ("-" if amount < 0 else ""), abs(amount)
    rounded = float(f"{amount:.{digits}g}") if amount >= 1_000 else round(amount)
    for size, unit in _UNITS:
        if rounded >= size:
            return f"{sign}£{_trim(rounded / size, digits)}{unit}"
    return f"{sign}£{rounded:,.0f}"


def _trim(number: float, digits: int) -> str:
    """`number` with at most `digits` significant figures and no trailing zeros: 1.2, 350."""
    places = max(digits - 1 - math.floor(math.log10(number)), 0) if number else 0
    return f"{number:,.{places}f}".rstrip("0").rstrip(".") if places else f"{number:,.0f}"


def money_in_full(value: Any, pence: bool = False, missing: str = "no value") -> str:
    """The exact amount: '£200,000' (to the pound) or '£12,345.00' (`pence`)."""
    if _missing(value):
        return missing
    amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
    return f"£{amount:,.2f}" if pence else f"£{amount:,.0f}"


def count(n: int, one: str, many: str | None = None) -> str:
    """'1 contract', '1,234 contracts'; `many` for plurals that are not `one` + 's'."""
    return f"{int(n):,} {one if int(n) == 1 else (many or one + 's')}"


def day(value: Any, missing: str = "not recorded") -> str:
    """'1 Apr 2026' for a date, datetime, Timestamp or ISO text; `missing` when there is none."""
    if _missing(value):
        return missing
    if isinstance(value, datetime | pd.Timestamp):
        value = value.date()
    elif not isinstance(value, date):
        value = pd.Timestamp(value).date()
    return day_label(value)
