"""The product's today and now are London's, whatever the server's clock says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from citydata.core import dates
from tests import command

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("instant", "day"),
    [
        # British Summer Time: half past eleven at night in UTC is half past midnight in London
        (datetime(2026, 6, 1, 23, 30, tzinfo=UTC), date(2026, 6, 2)),
        # in winter London keeps UTC: still the first
        (datetime(2026, 12, 1, 23, 30, tzinfo=UTC), date(2026, 12, 1)),
        # the clocks go forward at 01:00 UTC on the last Sunday of March
        (datetime(2026, 3, 28, 23, 59, tzinfo=UTC), date(2026, 3, 28)),
        (datetime(2026, 3, 29, 23, 0, tzinfo=UTC), date(2026, 3, 30)),
        # an instant given in another zone: 8 am in Sydney is still the evening before in London
        (datetime(2026, 6, 2, 8, 0, tzinfo=ZoneInfo("Australia/Sydney")), date(2026, 6, 1)),
    ],
)
def test_today_is_london_s_date_at_the_instant(instant, day):
    assert dates.today(instant) == day


def test_now_is_london_s_wall_clock_time_as_the_database_keeps_times():
    """Naive (the database's TIMESTAMP columns hold no zone), to the second."""
    at = datetime(2026, 7, 14, 13, 3, 59, 999_999, tzinfo=UTC)
    assert dates.now(at) == datetime(2026, 7, 14, 14, 3, 59)
    assert dates.now(datetime(2026, 1, 14, 13, 3, tzinfo=UTC)) == datetime(2026, 1, 14, 13, 3)


def test_an_instant_without_a_zone_is_refused_rather_than_guessed():
    with pytest.raises(ValueError, match="time zone"):
        dates.today(datetime(2026, 6, 1, 23, 30))


def test_now_without_an_instant_is_london_s_clock():
    before = datetime.now(LONDON).replace(tzinfo=None, microsecond=0)
    got = dates.now()
    after = datetime.now(LONDON).replace(tzinfo=None)
    assert before <= got <= after


def _host_zone_on_another_day(at: datetime) -> str:
    """A zone whose date differs from London's at `at`, and goes on differing until London's
    own date changes: Kiritimati (UTC+14) from mid-morning in London to midnight, Baker
    Island's (UTC-12) from midnight to midday, when Kiritimati is still on London's day."""
    london = at.astimezone(LONDON).date()
    ahead = "Pacific/Kiritimati"
    return ahead if at.astimezone(ZoneInfo(ahead)).date() != london else "Etc/GMT+12"


def test_a_command_s_today_is_london_s_on_a_server_in_another_time_zone(db_path):
    """A server whose clock is set to another zone (one in UTC starts the day an hour late for
    London in summer) grouped contracts ending "from today" by its own date. The zone is
    chosen at the moment of the run, so that the server's date is not London's then."""
    for _ in range(2):  # (once more if London's midnight fell during the command)
        at = datetime.now(UTC)
        zone = _host_zone_on_another_day(at)
        host_day = at.astimezone(ZoneInfo(zone)).date()
        london_day = at.astimezone(LONDON).date()
        assert host_day != london_day  # the test means something: the two dates differ
        done = command.process("collaborate", "--json", db=db_path, text=True, env={"TZ": zone})
        if datetime.now(UTC).astimezone(LONDON).date() == london_day:
            break
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["today"] == london_day.isoformat(), (zone, host_day)


def test_a_process_takes_the_zone_it_is_given():
    """What the test above relies on: without it, the server's date would be London's."""
    shown = subprocess.run(
        [sys.executable, "-c", "import time; print(time.strftime('%z'))"],
        env=os.environ | {"TZ": "Pacific/Kiritimati"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.strip() == "+1400"


def test_a_time_stored_by_a_server_in_another_zone_is_london_s_wall_clock_time(db_path):
    """A subscription added on a server whose clock is 14 hours ahead of London's said it was
    made at the server's time: the next day's morning for an evening in London."""
    before = datetime.now(LONDON).replace(tzinfo=None, microsecond=0)
    done = command.process(
        *("alerts", "add", "--name", "Camden", "--email", "a@example.org", "--ending", "6"),
        "--json",
        db=db_path,
        text=True,
        env={"TZ": "Pacific/Kiritimati"},
    )
    after = datetime.now(LONDON).replace(tzinfo=None)
    assert done.returncode == 0, done.stderr
    made = datetime.fromisoformat(json.loads(done.stdout)["created_at"])
    assert before <= made <= after
