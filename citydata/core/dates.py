"""What day and time it is for the product, and date arithmetic shared by the pages: month
steps and the windows people talk about."""

from __future__ import annotations

import calendar
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

# The councils' clock: "today" (contracts ending within 12 months, alerts due, the calendar's
# today) and "now" (a snapshot's time, a download's) are London's, whatever the server's
# clock is set to (a host in UTC would start the day an hour late in summer).
LONDON = ZoneInfo("Europe/London")


def now(at: datetime | None = None) -> datetime:
    """London's wall-clock time, to the second and without a zone, as the database keeps times:
    now, or at the instant `at` (which must carry its zone).

    >>> now(datetime(2026, 6, 1, 23, 30, tzinfo=ZoneInfo("UTC")))
    datetime.datetime(2026, 6, 2, 0, 30)
    """
    if at is not None and at.tzinfo is None:
        raise ValueError("an instant without a time zone names no moment")
    moment = datetime.now(LONDON) if at is None else at.astimezone(LONDON)
    return moment.replace(tzinfo=None, microsecond=0)


def today(at: datetime | None = None) -> date:
    """London's date: today, or at the instant `at` (see `now`)."""
    return now(at).date()


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
