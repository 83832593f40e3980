"""Calendar feeds as Outlook fetches them: the real Streamlit server serves an alert's feed and
the Coming to market feed from static/feeds/ (server.enableStaticServing), and nothing else."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from icalendar import Calendar

from citydata import lifecycle
from citydata.core import dates
from citydata.output import alerts
from citydata.query import pipeline
from citydata.store import subscriptions
from tests.browser.conftest import ROOT, run_server


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def test_the_app_serves_each_feed_at_its_unguessable_address(db_path):
    folder = ROOT / "static" / "feeds"
    db = lifecycle.open_store(db_path)
    lead, _ = pipeline.lead_times_or_default()
    try:
        sub = subscriptions.add(
            db, "test", name="Feed", channel="email", target="a@example.org",
            view_url="https://x/?borough=Hackney", decisions_months=6, ending_months=None,
            changes=False,
        )  # fmt: skip
        with db.read() as r:
            feed = alerts.write_feed(r, sub, lead, folder)
    finally:
        db.close()
    market = folder / alerts.MARKET_FEED
    had_market = market.exists()
    if not had_market:
        db = lifecycle.open_store(db_path)
        try:
            alerts.write_market_feed(db, lead, folder, dates.today(), hide_values=False)
        finally:
            db.close()
    try:
        with run_server(db_path) as server:
            status, body = fetch(alerts.feed_url(sub, server.url))
            assert status == 200
            events = list(Calendar.from_ical(body).walk("VEVENT"))
            assert events and all("Hackney" in str(e["SUMMARY"]) for e in events)

            status, body = fetch(alerts.market_feed_url(server.url))
            assert status == 200 and b"BEGIN:VCALENDAR" in body

            guessed = f"{server.url}/{alerts.FEED_PATH}/{'A' * len(sub.feed_token)}.ics"
            assert fetch(guessed)[0] == 404
            assert fetch(f"{server.url}/app/static/../app.py")[0] in (400, 404)
    finally:
        feed.unlink(missing_ok=True)
        if not had_market:
            market.unlink(missing_ok=True)


pytestmark = pytest.mark.timeout(300)
