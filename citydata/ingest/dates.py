"""Dates as UK registers write them, read day first, to a `date` or a plain-English reason.

Accepted: 31/03/2027, 31-03-2027, 31.03.2027, 31 03 2027 and two-digit years (07/01/25 is
7 January 2025; 00-69 are 2000s, 70-99 1900s); 31-Mar-27, 1-Apr-2020, 31 March 2027,
31st March 2027, Tue 31 Mar 2027, March 31, 2027; ISO 2027-03-31, 2027/03/31, 20270331 and
timestamps (2019-06-18T00:00:00Z is read as the day in London, so 2020-03-31T23:00:00Z is
1 April; 2025-10-10T16:19:26+01:00 as the day written; ISO's 24:00 is the next day's midnight;
a time or offset no clock has, T25:00 or +99:00, is refused);
Excel serial numbers (46477 is 31 Mar 2027); date and datetime cells. Placeholders (TBC,
rolling, n/a, ongoing...) mean "no date". Everything else is refused with the reason: 31/02/2026
(no such day), 01/01/1 (a cut-off year), 03/31/2027 (month first), a year before 1950 or after
2100.
"""

from __future__ import annotations

import calendar
import math
import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from citydata.ingest import xlerrors

try:
    LONDON: timezone | ZoneInfo = ZoneInfo("Europe/London")
except ZoneInfoNotFoundError:  # no time-zone database: read timestamps as UTC days
    LONDON = UTC

MIN_YEAR, MAX_YEAR = 1950, 2100
EXCEL_EPOCH = date(1899, 12, 30)
_SERIAL_MIN = (date(MIN_YEAR, 1, 1) - EXCEL_EPOCH).days
_SERIAL_MAX = (date(MAX_YEAR, 12, 31) - EXCEL_EPOCH).days

BLANK = "blank"  # nothing written
PLACEHOLDER = "placeholder"  # a word meaning "no date" (TBC, rolling...)

_PLACEHOLDER_START = re.compile(
    r"(rolling|ongoing|on going|tb[acd]|to be (confirmed|agreed|determined)|unknown|not known"
    r"|not applicable|open[ -]ended|indefinite|perpetual|evergreen|continuous|various|until"
    r"|no end|no fixed end|no date)\b.*"
)
# (not Excel's #N/A: an error, which the rules refuse, see xlerrors)
_PLACEHOLDER_WORDS = frozenset(
    {"n/a", "na", "n.a.", "n.a", "nk", "n/k", "none", "nil", "null", "open", "-", "--", "---",
     "?", "??", "0", "x", "tbc.", "not set"}
)  # fmt: skip
_MONTHS = {
    name: i
    for i in range(1, 13)
    for name in (calendar.month_name[i].lower(), calendar.month_abbr[i].lower())
} | {"sept": 9}
_WEEKDAY = r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+)?"
_TIME = r"(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:am|pm)?)?"
_ISO = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:[t ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(z|[+-]\d{2}:?\d{2})?)?"
)
_DAY_FIRST = re.compile(rf"(\d{{1,2}})\s*[/.\- ]\s*(\d{{1,2}})\s*[/.\- ]\s*(\d+){_TIME}")
_NAMED = re.compile(
    rf"{_WEEKDAY}(\d{{1,2}})(?:st|nd|rd|th)?[\s\-/.,]*([a-z]+)\.?[\s\-/.,]*(\d+){_TIME}"
)
_MONTH_FIRST = re.compile(rf"{_WEEKDAY}([a-z]+)\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SERIAL = re.compile(r"\d{4,6}(?:\.\d+)?")

# The common spellings, read with a plain strptime: one list for both ways a register is read
# (parse_date here, and DuckDB's regexp_full_match + try_strptime in citydata.ingest.bulk).
# A value that matches a pattern but does not parse, or parses to a year out of range, is left
# to the full rules below, which say why.
STRICT_FORMATS: tuple[tuple[str, str], ...] = (
    (r"[0-9]{4}-[0-9]{2}-[0-9]{2}", "%Y-%m-%d"),
    (r"[0-9]{2}/[0-9]{2}/[0-9]{4}", "%d/%m/%Y"),
)
_STRICT = tuple((re.compile(pattern), fmt) for pattern, fmt in STRICT_FORMATS)

Parsed = tuple[date | None, str | None]  # (the date, or None with a reason or a blank kind)


def _year(text: str) -> int | str:
    """A four-digit year, or the reason the written year cannot be one."""
    if len(text) == 4:
        return int(text)
    if len(text) == 2:
        yy = int(text)
        return 2000 + yy if yy < 70 else 1900 + yy
    if len(text) > 4:
        return f"the year '{text}' has too many digits"
    return f"the year '{text}' is incomplete (a date cut short?)"


def _make(year: int | str, month: int, day: int, written: str) -> Parsed:
    if isinstance(year, str):
        return None, f"'{written}' is not a valid date: {year}."
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None, f"'{written}' has the year {year}, which cannot be right for a contract."
    if not 1 <= month <= 12:
        hint = " (dates are read day first, as 31/03/2027)" if 1 <= day <= 12 else ""
        return None, f"'{written}' is not a real date: there is no month {month}{hint}."
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        name = calendar.month_name[month]
        return None, f"'{written}' is not a real date: {name} {year} has {last} days."
    return date(year, month, day), None


def _from_serial(number: float, written: str) -> Parsed:
    if not math.isfinite(number) or not _SERIAL_MIN <= number <= _SERIAL_MAX:
        return None, f"'{written}' is a number, not a date."
    return EXCEL_EPOCH + timedelta(days=int(number)), None


def _london_day(moment: datetime) -> date:
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(LONDON).date()


def parse_date(value: Any) -> Parsed:
    """(date, None) | (None, BLANK) | (None, PLACEHOLDER) | (None, reason it is not a date)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, BLANK
    if isinstance(value, datetime):
        day = _london_day(value)
        return _make(day.year, day.month, day.day, str(value))
    if isinstance(value, date):
        return _make(value.year, value.month, value.day, value.isoformat())
    if isinstance(value, (time, bool)):
        return None, f"'{value}' is not a date."
    if isinstance(value, (int, float)):
        if value == 0:
            return None, PLACEHOLDER  # an empty formula cell
        return _from_serial(float(value), f"{value:g}")
    if type(value) is str and (strict := _strict(value)):
        return strict, None
    written = re.sub(r"\s+", " ", str(value).replace("\u00a0", " ")).strip()
    text = written.lower()
    if not text:
        return None, BLANK
    if text in _PLACEHOLDER_WORDS or _PLACEHOLDER_START.fullmatch(text):
        return None, PLACEHOLDER
    if xlerrors.ERROR.fullmatch(text):
        return None, xlerrors.reason(written, "a date")
    if m := _ISO.fullmatch(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
        if m[7] and m[4]:
            parsed = _make(year, month, day, written)
            if parsed[0] is None:
                return parsed
            clock = _clock(m[4], m[5], m[6])
            zone = UTC if m[7] == "z" else _offset(m[7])
            if clock is None or zone is None:
                what = f"'{m[7]}' is not a time zone" if clock else "that is not a time of day"
                return None, f"'{written}' is not a real date: {what}."
            moment = datetime.combine(parsed[0], time(), zone) + clock
            if zone.utcoffset(None):  # the writer's own offset: the day as they wrote it
                return moment.date(), None
            return _london_day(moment), None
        return _make(year, month, day, written)
    if m := _DAY_FIRST.fullmatch(text):
        return _make(_year(m[3]), int(m[2]), int(m[1]), written)
    if m := _NAMED.fullmatch(text):
        month = _MONTHS.get(m[2])
        if month is None:
            return None, f"'{written}' is not a date: '{m[2]}' is not a month."
        return _make(_year(m[3]), month, int(m[1]), written)
    if m := _MONTH_FIRST.fullmatch(text):
        month = _MONTHS.get(m[1])
        if month is not None:
            return _make(int(m[3]), month, int(m[2]), written)
    if m := _COMPACT.fullmatch(text):
        return _make(int(m[1]), int(m[2]), int(m[3]), written)
    if _SERIAL.fullmatch(text):
        return _from_serial(float(text), written)
    return None, f"'{written}' is not a date (write it as 31/03/2027)."


def _strict(text: str) -> date | None:
    """The day a value in one of STRICT_FORMATS names, or None (then the full rules decide)."""
    for pattern, fmt in _STRICT:
        if pattern.fullmatch(text):
            try:
                day = datetime.strptime(text, fmt).date()
            except ValueError:
                return None
            return day if MIN_YEAR <= day.year <= MAX_YEAR else None
    return None


def _clock(hours: str, minutes: str, seconds: str | None) -> timedelta | None:
    """A timestamp's time of day from midnight; ISO's 24:00 is the end of the day (the next
    day's midnight); None for an hour, minute or second that no clock shows (25:00, 10:61)."""
    h, m, s = int(hours), int(minutes), int(seconds or 0)
    if (h, m, s) != (24, 0, 0) and not (h <= 23 and m <= 59 and s <= 59):
        return None
    return timedelta(hours=h, minutes=m, seconds=s)


def _offset(text: str) -> timezone | None:
    """A timestamp's offset from UTC ('+01:00'), or None when no time zone has it ('+99:00')."""
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_moment(value: Any) -> datetime | None:
    """When a notice was published, as a moment in UTC without its zone (a day alone: its
    midnight); None when the value is empty or not a date. For ordering releases, never shown:
    an ISO timestamp keeps its time ('2025-03-03T14:30:00Z', '...+01:00' an hour earlier in
    UTC), anything else is read as `parse_date` reads it."""
    moment = value if isinstance(value, datetime) else None
    if isinstance(value, str) and _ISO.fullmatch(value.strip().lower()):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:  # 2025/03/03, an hour 25: the day, as a register's date is read
            moment = None
    if moment is None:
        day, _ = parse_date(value)
        return None if day is None else datetime.combine(day, time())
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment if MIN_YEAR <= moment.year <= MAX_YEAR else None
