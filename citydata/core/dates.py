"""Date arithmetic shared by the pages: month steps and the windows people talk about."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

import pandas as pd


def add_months(d: date, months: int) -> date:
    """The same day `months` later (or earlier), clamped to the end of a shorter month.

    >>> add_months(date(2026, 1, 31), 1)
    datetime.date(2026, 2, 28)
    """
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def day_label(d: date) -> str:
    """'1 Apr 2026': how dates are written on every page and in every summary."""
    return f"{d.day} {d.strftime('%b %Y')}"


def replaces(when: Any, then: Any) -> bool:
    """Whether a release of a notice published `when` replaces one published `then`: unless it
    is older. A release without a date, on either side, replaces (as notices always did), and
    so does one of the same date: read in order, the later of the two is the newer."""
    if when is None or then is None or pd.isna(when) or pd.isna(then):
        return True
    return pd.Timestamp(when) >= pd.Timestamp(then)
