"""Date arithmetic shared by the pages: month steps and the windows people talk about."""

from __future__ import annotations

import calendar
from datetime import date


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
