"""Contract end dates and decide-by dates as an iCalendar file (RFC 5545).

Outlook, Google Calendar and Apple Calendar import the file. Every event is an all-day event
(DTSTART;VALUE=DATE and DTEND the next day), marked free time so it blocks no meetings. UIDs
are derived from the record (borough code, reference, service area, system, the vendor as the
record writes it and the kind of event), not from the date, the snapshot or the vendor aliases,
so importing a newer file updates the events in place when an end date moves or a steward groups
a vendor's name under another, instead of adding duplicates. Alerts key what they sent on the
same UIDs (citydata.output.alerts).

Which version of an event is newer (RFC 5545 SEQUENCE, LAST-MODIFIED) comes from the stored data
and the lead-time file, never from the clock, so two files made of the same data say the same:
LAST-MODIFIED is the last moment anything the event shows could have changed (the row's
`revised_at`: its snapshot's time, the last vendor grouping, the lead-time file's change, the
last restore of a backup; see citydata.query.pipeline.with_decide_by), and SEQUENCE that moment
in whole seconds since SEQUENCE_EPOCH. Each of those moments only moves forward, also when the
database is built again from scratch (its snapshots are new), so an event's SEQUENCE rises
whenever its date or text changes and never falls, and calendar programs that keep the version
they imported take the new one. (A change that leaves an event as it was raises it too, which is
harmless: the program updates the event to the same thing.) Seconds since 2020 fit the 32-bit
integer RFC 5545 allows until 2088. DTSTAMP is when the file was made, as RFC 5545 asks of a
file with a METHOD; a feed is written again only when what it shows changed (`write`), so its
DTSTAMP is when that was.

A calendar's own identity (its UID and X-WR-RELCALID) and its name come from what it holds:
the filters it was made under (`for_selection`), or the feed it is. Two subscribed calendars,
say two boroughs' feeds, are then two calendars in a calendar program, not one.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from icalendar import Calendar, Event

from citydata.core import boroughs, dates
from citydata.core.dates import day_label
from citydata.core.formatting import count, money_in_full
from citydata.core.text import shorten
from citydata.query import filters, links
from citydata.query.filters import FilterState
from citydata.query.market import NOT_GIVEN, SYSTEM_NOT_GIVEN

PRODID = "-//City Tools Explorer//Contract calendar//EN"
UID_DOMAIN = "citytools-explorer"
CALENDAR_NAME = "City Tools: contract end dates"
END, DECIDE = "end", "decide"
# Contracts one file holds at most (two events each): calendar programs import a few thousand
# events comfortably, and a file of every contract of a large selection would never be used.
MAX_CONTRACTS = 2_000
NAME_CHARS = 120  # a calendar's name, at most (a program's list of calendars shows a line)
SEQUENCE_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)  # an event's SEQUENCE counts seconds from it


def summary(row: Any, kind: str = END) -> str:
    """'Contract ends: Camden – Mosaic (Servelec)'. The fixed prefix means no formula start."""
    return f"Contract ends: {what(row)}" if kind == END else f"Decide by: {what(row)}"


def what(row: Any) -> str:
    """'Camden – Mosaic (Servelec)', or 'Camden – Mosaic (vendor not given)' for a record
    naming no vendor (published notices often name none), never 'Camden – Mosaic ()'; and
    'Camden – system not given (Servelec)' for one naming no system, never 'Camden –  (…)'."""
    return f"{_text(row['borough'])} – {system(row)} {vendor(row)}"


def system(row: Any) -> str:
    """The system, or "system not given" (as the briefings and the Adoption page say)."""
    return _text(row.get("system")) or SYSTEM_NOT_GIVEN


def vendor(row: Any) -> str:
    """'(Servelec)', or the Market page's '(vendor not given)'."""
    name = _text(row.get("vendor"))
    return f"({name})" if name else NOT_GIVEN


def uid(row: Any, kind: str, occurrence: int = 1) -> str:
    """A UID that stays the same for the same record, whatever its dates, its snapshot or the
    alias table: the vendor is the name as written (`vendor_as_written`), which every row must
    carry. The canonical `vendor` changes whenever a steward adds, changes or removes an alias."""
    if "vendor_as_written" not in row:  # (a row without it would take the canonical vendor,
        # and every alias a steward adds would make each of its events new: a query's fault)
        raise KeyError("a calendar's rows need vendor_as_written for their UIDs")
    return _uid(row, kind, row.get("vendor_as_written"), occurrence)


def legacy_uid(row: Any, kind: str) -> str:
    """The UID as made before 6 Dec 2026, of the canonical `vendor`. Only for alerts, which hold
    the keys they sent made of it: an item sent under this UID counts as sent, so upgrading
    sends nothing again. Nothing new is made with it."""
    return _uid(row, kind, row.get("vendor"), 1)


def _uid(row: Any, kind: str, vendor: Any, occurrence: int) -> str:
    parts = [
        kind,
        *(_text(row.get(c)) for c in ("borough_code", "source_ref", "service_area", "system")),
        _text(vendor),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
    suffix = f"-{occurrence}" if occurrence > 1 else ""
    return f"{kind}-{digest}{suffix}@{UID_DOMAIN}"


def calendar_uid(identity: str) -> str:
    """The calendar's own UID, of what it holds (`identity`: its filters, or its feed)."""
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32]
    return f"calendar-{digest}@{UID_DOMAIN}"


def for_selection(state: FilterState) -> tuple[str, str]:
    """(name, identity) of the calendar of the contracts `state` selects: the name says which
    ('City Tools: Contracts where borough is Camden'), and the identity is the same for the
    same filters, whatever their order, from the page or the command line."""
    chosen = links.to_query_params(state)
    identity = "selection\x1f" + "\x1f".join(
        f"{key}={chr(0x1E).join(sorted(values))}" for key, values in sorted(chosen.items())
    )
    return f"City Tools: {shorten(filters.summary(state), NAME_CHARS)}", identity


def build(
    records: pd.DataFrame,
    *,
    decide_by: bool = True,
    stamp: datetime | None = None,
    name: str = CALENDAR_NAME,
    identity: str = "",
    made_of: str | None = None,
) -> bytes:
    """The calendar of `records` (as from `pipeline.with_decide_by`): one event per end date
    and, when `decide_by` is set, one per decide-by date. Records with no end date are skipped.
    `identity` says what the calendar is (`for_selection`, or a feed's), for its UID.
    `made_of`, if given, is written as the calendar's X-CITYTOOLS-MADE-OF (see `write`).
    """
    stamp = stamp or datetime.now(UTC).replace(microsecond=0)
    own = calendar_uid(identity or name)
    cal = Calendar.new(prodid=PRODID, name=name, method="PUBLISH", uid=own)
    cal.add("X-WR-RELCALID", own)  # (the older property some calendar programs read instead)
    if made_of:
        cal.add(MADE_OF, made_of)
    seen: Counter[str] = Counter()
    shared = _Shared()
    for row in records.to_dict("records"):
        end = _date(row.get("contract_end"))
        if end is None:
            continue
        kinds = [(END, end)]
        decide = _date(row.get("decide_by"))
        if decide_by and decide is not None:
            kinds.append((DECIDE, decide))
        description = _description(row, end, decide)  # (the same for both of a record's events)
        category = [_text(row.get("service_area")) or "Contracts"]
        last_modified = _utc(row.get("revised_at"))
        sequence = _sequence(last_modified)
        for kind, day in kinds:
            base_uid = uid(row, kind)
            seen[base_uid] += 1
            # What Event.new(uid=..., stamp=..., ...) makes, each value set by the same
            # icalendar property; the values events share are encoded once (`_Shared`).
            event = Event()
            event.uid = base_uid if seen[base_uid] == 1 else uid(row, kind, seen[base_uid])
            event.summary = summary(row, kind)
            event.description = description
            shared.set(event, "stamp", stamp)
            shared.set(event, "start", day)
            shared.set(event, "end", day + timedelta(days=1))
            shared.set(event, "categories", category)
            shared.set(event, "transparency", "TRANSPARENT")
            shared.set(event, "sequence", sequence)
            shared.set(event, "last_modified", last_modified)
            cal.add_component(event)
    return cal.to_ical()


class _Shared:
    """Property values as icalendar encodes them, each encoded once per calendar and shared by
    the events that have it: a calendar's events share their DTSTAMP, TRANSP, most of their
    dates, categories, SEQUENCE and LAST-MODIFIED, and encoding a value (a date's time zone,
    a text's escapes) took about half the time of making an event with Event.new. The file
    written is the same, byte for byte."""

    def __init__(self) -> None:
        self._encoded: dict[tuple[str, Any], list[tuple[str, Any]]] = {}

    def set(self, event: Event, attribute: str, value: Any) -> None:
        """`event.<attribute> = value`, as icalendar's property sets it (nothing for None)."""
        key = (attribute, tuple(value) if isinstance(value, list) else value)
        properties = self._encoded.get(key)
        if properties is None:
            probe = Event()
            setattr(probe, attribute, value)
            properties = self._encoded[key] = list(probe.items())
        for name, encoded in properties:
            event[name] = encoded


def _sequence(revised: datetime | None) -> int | None:
    """The event's SEQUENCE: whole seconds from SEQUENCE_EPOCH to when it was last revised
    (see the module's note)."""
    if revised is None:
        return None
    return max(0, int((revised - SEQUENCE_EPOCH).total_seconds()))


def _utc(value: Any) -> datetime | None:
    """A stored time (London's wall-clock time, without a zone: `dates.now`) in UTC, as
    LAST-MODIFIED must be written."""
    if value is None or pd.isna(value):
        return None
    moment = pd.Timestamp(value).to_pydatetime()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dates.LONDON)
    return moment.astimezone(UTC).replace(microsecond=0)


MADE_OF = "X-CITYTOOLS-MADE-OF"
SAMPLE_STAMP = datetime(2000, 1, 1, tzinfo=UTC)


def made_of(records: pd.DataFrame, *, name: str, identity: str = "", decide_by: bool = True) -> str:
    """A digest of what `build` makes a calendar of: the records, the name and identity, and
    how this code and this installation (its region's words, the icalendar version) write one
    of them, as the calendar of the first record written at a fixed time. 32 hex digits: the
    property's line stays under iCalendar's 75 characters, unfolded."""
    sample = build(
        records.head(1), decide_by=decide_by, stamp=SAMPLE_STAMP, name=name, identity=identity
    )
    digest = hashlib.sha256(sample)
    digest.update(records.to_csv(index=False).encode("utf-8"))
    return digest.hexdigest()[:32]


def write(
    target: Path, records: pd.DataFrame, *, name: str, identity: str, decide_by: bool = True
) -> bool:
    """Write the calendar of `records` to `target` in one step (readers never see half a file),
    unless the file there was made of the same (`made_of`): a feed that every `alerts send` and
    every change on the Alerts page writes again is built again (about a second for a few
    thousand events) only when what it shows has changed, and its DTSTAMP stays the time its
    events last changed. True when the file was written."""
    digest = made_of(records, name=name, identity=identity, decide_by=decide_by)
    try:
        with target.open("rb") as held:
            if f"{MADE_OF}:{digest}".encode() in held.read(2048):
                return False
    except FileNotFoundError:
        pass
    content = build(records, decide_by=decide_by, name=name, identity=identity, made_of=digest)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_bytes(content)
    partial.replace(target)
    return True


def event_count(records: pd.DataFrame, decide_by: bool = True) -> int:
    """How many events `build` makes of `records` (to tell the user before they download)."""
    ends = records["contract_end"].notna()
    n = int(ends.sum())
    if decide_by and "decide_by" in records:
        n += int((ends & records["decide_by"].notna()).sum())
    return n


def describe(contracts: int, limit: int = MAX_CONTRACTS) -> str:
    """What the file of `contracts` dated contracts (at most `limit`) holds, for the page."""
    shown = min(contracts, limit)
    which = "the contract above" if contracts == 1 else f"each of the {contracts:,} contracts above"
    if shown < contracts:
        which = f"the {shown:,} contracts ending nearest to today (of the {contracts:,} above)"
    text = (
        f"{2 * shown:,} all-day events: the end date of {which} and the date to decide on its "
        "renewal. "
    )
    if shown < contracts:
        text += "Narrow the filters in the sidebar to put the others in the file. "
    return text + (
        "Outlook, Google Calendar and Apple Calendar import the file; importing a newer one "
        "updates the events."
    )


def _description(row: dict[str, Any], end: date, decide: date | None) -> str:
    lines = [
        f"{boroughs.noun(capital=True)}: {_text(row.get('borough'))}",
        f"Service area: {_text(row.get('service_area'))}",
        f"System: {system(row)}",
        f"Vendor: {_text(row.get('vendor')) or NOT_GIVEN}",
        f"Contract ends: {day_label(end)}",
    ]
    if decide is not None:
        months = row.get("lead_months")
        lead = f" ({count(months, 'month')} before the end)" if pd.notna(months) else ""
        lines.append(f"Decide by: {day_label(decide)}{lead}")
    value = row.get("annual_value")
    if value is not None and pd.notna(value):
        lines.append(f"Annual value: {money_in_full(value)}")
    if ref := _text(row.get("source_ref")):
        lines.append(f"Reference: {ref}")
    lines.append(
        boroughs.reword("From City Tools Explorer: check the borough's register before acting.")
    )
    return "\n".join(lines)


def _date(value: Any) -> date | None:
    if value is None or (not isinstance(value, date) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.date()
    return value


def _text(value: Any) -> str:
    """One line of text; empty for missing values."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return " ".join(str(value).split())
