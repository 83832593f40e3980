"""Alerts: what each subscription is due to be told, the message, sending it, and its calendar feed.

`send_due` is what `python -m citydata alerts send` runs. For every subscription it lists the
items not yet sent (a decision falling due, a contract ending, a record new or changed, one no
longer listed), makes one message of them with a link back to the exact view, hands it to the
mail server or webhook, and only then records the items as sent. A failure leaves them
unrecorded, so the next run tries again; a second run the same day finds nothing new and sends
nothing.

What was sent lives in the `alerts_sent` table and, for runs made while the app held the
database, in the ledger beside it (citydata.store.ledger): given a ledger, `send_due` reads both
and records in the ledger, so it can run on a read-only copy of the database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from citydata.core import boroughs, settings
from citydata.core.dates import day_label
from citydata.core.formatting import count
from citydata.output import delivery, ics
from citydata.query import alerts as due
from citydata.query import corrections, filters, links, opportunities, selection
from citydata.query.filters import FilterState
from citydata.query.pipeline import LeadTimes
from citydata.store import subscriptions
from citydata.store.db import Database, Reader
from citydata.store.ledger import Ledger
from citydata.store.subscriptions import Subscription

FEED_PATH = "app/static/feeds"  # where Streamlit serves ./static/feeds/ (enableStaticServing)
MARKET_FEED = "coming-to-market.ics"  # public: the whole Coming to market view


@dataclass
class Section:
    kind: str
    title: str
    rows: pd.DataFrame
    items: list[str]  # the keys of `rows`, recorded once they are sent
    # Keys of items not listed because they were sent under their old-style key (see `_unsent`):
    # recorded by this run too, so that a later change of an alias cannot make them new.
    carried: list[str] = field(default_factory=list)


@dataclass
class Message:
    subscription: Subscription
    link: str
    view: str  # the filters in words
    sections: list[Section] = field(default_factory=list)
    watermark: int | None = None  # the newest snapshot, when changes were looked at
    carried_at: datetime | None = None  # when this alert last sent, if any section `carried`
    notes: list[str] = field(default_factory=list)  # values of its link not in the data: `view`

    @property
    def count(self) -> int:
        return sum(len(s.rows) for s in self.sections)

    @property
    def subject(self) -> str:
        parts = [f"{s.title.lower()} ({len(s.rows)})" for s in self.sections if len(s.rows)]
        return "City Tools Explorer: " + ", ".join(parts)

    def text(self) -> str:
        out = [
            f"Alert “{self.subscription.name}” for: {self.view}.",
        ]
        for s in self.sections:
            if s.rows.empty:
                continue
            out.append(f"{s.title} ({len(s.rows)}):")
            shown = s.rows.head(due.MAX_LISTED)
            out.append("\n".join(_line(row, s.kind) for row in shown.to_dict("records")))
            if len(s.rows) > len(shown):
                out.append(f"…and {len(s.rows) - len(shown)} more: open the view to see them.")
        out.append(f"Open this view: {self.link}")
        out.append(
            "Decide-by dates are the contract's end date less its service area's lead time. "
            f"Check the {boroughs.noun()}'s own register before acting. Each contract is listed "
            "once for each date; you hear again if its dates change."
        )
        return "\n\n".join(out)


def link_refused(r: Reader, view_url: str, options: Mapping[str, Any]) -> str | None:
    """Why no alert can be made from `view_url`, or None: a link naming what the data does not
    have (a misspelt borough; `options`: selection.options). The page shows that view without
    the value, so an alert made from it would watch more than the link shows. A vendor's name
    grouped under another since is not refused: the page reads it as that vendor, and so does
    the alert (`view`)."""
    try:
        params = links.read(view_url).params
    except links.BadLink as exc:  # (else a fault of the page, or of `alerts add`)
        return str(exc)
    given, _ = links.from_query_params(params)
    given, _ = selection.regrouped(r, given)
    unknown = corrections.unknown(given, options)
    if not unknown:
        return None
    return (
        f"The link names what the data does not have. {' '.join(unknown)} An alert made from it "
        "would watch more than the link shows: copy the link again from the app."
    )


# Said after a note of `view`: what the alert does with a value the data no longer has.
STILL_WATCHED = "The alert still watches it, so nothing is sent about it until the data has it."


def view_state(r: Reader, sub: Subscription) -> FilterState:
    """The filters of the alert's view (see `view`)."""
    return view(r, sub, selection.options(r))[0]


def view(r: Reader, sub: Subscription, options: Mapping[str, Any]) -> tuple[FilterState, list[str]]:
    """The filters of the alert's view, and a note for each value in its link the data no
    longer has (as the page notes them: "No vendor called “X” in the data.").

    End dates given back to front are swapped, as the page swaps them: read as they were, they
    matched nothing and the alert stayed silent. A vendor's name grouped under another since
    (an alias) is read as that vendor. Any other value no longer in the data (the vendor's
    contracts have all gone, a borough's name changed) is kept, and matches nothing: the page
    drops such a value and shows everything with a note, but an alert dropping it would tell
    its subscribers about every contract, when the one vendor it watches has none.
    (`options`: selection.options, read once for every alert.)"""
    state, _ = links.from_query_params(sub.view_params)
    state, _ = selection.regrouped(r, state)  # (said when the alert is made, not every send)
    notes = corrections.unknown(state, options)
    state, _ = corrections.normalise(state, {})  # (the dates' swap only: no value is dropped)
    return state, notes


def view_link(view_url: str, public_url: str | None) -> str:
    """The subscription's view at the app's public address (the link as given without one)."""
    if not public_url:
        return view_url or "(set CITYTOOLS_PUBLIC_URL to link to the app)"
    parts = urlsplit(view_url)
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    return public_url.rstrip("/") + path + query


def message(
    r: Reader,
    sub: Subscription,
    lead: LeadTimes,
    today: date,
    public_url: str | None,
    ledger: Ledger | None = None,
    options: Mapping[str, Any] | None = None,
) -> Message:
    """What `sub` is due to be told today: only items it has not been sent before (by the table,
    or by the `ledger` when given). `options`: selection.options, when read already."""
    if ledger is not None and (since := ledger.since(sub)) is not None:
        sub = replace(sub, since_snapshot=max(sub.since_snapshot, since))
    state, notes = view(r, sub, selection.options(r) if options is None else options)
    msg = Message(sub, view_link(sub.view_url, public_url), filters.summary(state), notes=notes)
    if sub.decisions_months:
        rows = due.decisions_due(r, state, lead, sub.decisions_months, today)
        msg.sections.append(_unsent(r, sub, "decision", rows, ics.DECIDE, "decide_by", ledger))
        msg.sections[-1].title = f"Decisions due within {count(sub.decisions_months, 'month')}"
    if sub.ending_months:
        rows = due.ending(r, state, lead, sub.ending_months, today)
        msg.sections.append(_unsent(r, sub, "ending", rows, ics.END, "contract_end", ledger))
        msg.sections[-1].title = f"Contracts ending within {count(sub.ending_months, 'month')}"
    msg.watermark = due.latest_snapshot(r)  # (every alert hears what left its view)
    if sub.changes:
        rows = due.changed(r, state, lead, sub.since_snapshot)
        msg.sections.append(_by_snapshot(r, sub, "change", rows, ledger))
    # What left the view: all of it for an alert told every change, else what its lists held
    months = {} if sub.changes else {"decisions": sub.decisions_months, "ending": sub.ending_months}
    rows = due.removed(r, state, lead, sub.since_snapshot, today, **months)
    msg.sections.append(_by_snapshot(r, sub, "removed", rows, ledger))
    if any(s.carried for s in msg.sections):
        msg.carried_at = subscriptions.last_sent(r, sub.id)
    return msg


def _by_snapshot(
    r: Reader, sub: Subscription, kind: str, rows: pd.DataFrame, ledger: Ledger | None
) -> Section:
    """The rows not sent before, each keyed by its snapshot and its values' fingerprint."""
    keys = [f"{s}:{f}" for s, f in zip(rows["snapshot_id"], rows["fingerprint"], strict=True)]
    sent = _sent(r, sub, kind, ledger)
    keep = [k not in sent for k in keys]
    items = [k for k, ok in zip(keys, keep, strict=True) if ok]
    return Section(kind, subscriptions.KINDS[kind], rows[keep].reset_index(drop=True), items)


def _sent(r: Reader, sub: Subscription, kind: str, ledger: Ledger | None) -> set[str]:
    sent = subscriptions.already_sent(r, sub.id, kind)
    return sent | ledger.sent(sub, kind) if ledger is not None else sent


def _unsent(
    r: Reader,
    sub: Subscription,
    kind: str,
    rows: pd.DataFrame,
    uid_kind: str,
    day: str,
    ledger: Ledger | None,
) -> Section:
    """The rows not sent before. An item's key is its calendar UID (made of the vendor as
    written, so an alias added, changed or removed leaves it alone) and its date.

    Until 6 Dec 2026 the UID was made of the canonical vendor, and the sent items of every
    database upgraded since hold keys made that way: an item whose old-style key was sent counts
    as sent too, else an upgrade would send again every contract whose vendor an alias groups.
    Its new key is recorded (`carried`), so it stays sent when that alias later changes."""
    sent = _sent(r, sub, kind, ledger)
    keep, items, carried = [], [], []
    for row in rows.to_dict("records"):
        key = f"{ics.uid(row, uid_kind)}|{_iso(row[day])}"
        same = _same_contract(row, uid_kind, day)
        if key in sent:
            keep.append(False)
        elif f"{ics.legacy_uid(row, uid_kind)}|{_iso(row[day])}" in sent or (same and same in sent):
            keep.append(False)
            carried.append(key)
        else:
            keep.append(True)
            items.extend(k for k in (key, same) if k)
    return Section(
        kind, subscriptions.KINDS[kind], rows[keep].reset_index(drop=True), items, carried
    )


def _same_contract(row: dict[str, Any], uid_kind: str, day: str) -> str:
    """A second key of an item, for a record with a reference: its borough, reference and
    supplier as written, and the date. A steward renaming the system or moving it to another
    service area changes its calendar UID, but not the contract or its date: it is not sent
    again ("you hear again only if its dates change"). '' for a record without a reference."""
    ref = _t(row.get("source_ref"))
    if not ref:
        return ""
    parts = (uid_kind, _t(row.get("borough_code")), ref, _t(row.get("vendor_as_written")))
    return "ref\x1f" + "\x1f".join(parts) + f"|{_iso(row[day])}"


@dataclass
class Outcome:
    subscription: Subscription
    status: str  # 'sent', 'nothing due', 'would send', 'failed'
    count: int = 0
    detail: str = ""
    notes: list[str] = field(default_factory=list)  # see Message.notes


def send_due(
    db: Database,
    lead: LeadTimes,
    today: date,
    *,
    dry_run: bool = False,
    secrets: Mapping[str, Any] | None = None,
    only: int | None = None,
    show: Callable[[Message], None] | None = None,
    ledger: Ledger | None = None,
) -> list[Outcome]:
    """Send every subscription what it is due (or, with `dry_run`, only say what would go).

    Without a `ledger`, what was sent is read from and recorded in the database's table. With
    one, it is read from both and recorded in the ledger only (`db` may then be a read-only
    copy): for a run while the app holds the database.
    """
    public_url = settings.public_url(secrets)
    outcomes: list[Outcome] = []
    with db.read() as r:
        subs = [s for s in subscriptions.all_(r) if only is None or s.id == only]
        options = selection.options(r)  # (once, not once per alert)
        messages = [message(r, s, lead, today, public_url, ledger, options) for s in subs]

    def record(
        sub: Subscription,
        items: dict[str, list[str]],
        since: int | None,
        at: datetime | None = None,
    ) -> None:
        if ledger is not None:
            ledger.record(sub, items, since, at)
        else:
            subscriptions.mark_sent(db, sub.id, items, since, at)

    mail: delivery.MailServer | None = None
    if not dry_run and any(m.count and m.subscription.channel == "email" for m in messages):
        mail = delivery.mail_server(secrets)
    for msg in messages:
        sub = msg.subscription
        if not msg.count:
            if msg.watermark is not None and msg.watermark > sub.since_snapshot and not dry_run:
                record(sub, {}, msg.watermark)
            if msg.carried_at is not None and not dry_run:
                # dated as this alert's last message, so its "Last sent" does not move
                carried = {s.kind: s.carried for s in msg.sections if s.carried}
                record(sub, carried, None, msg.carried_at)
            outcomes.append(Outcome(sub, "nothing due", notes=msg.notes))
            continue
        if show is not None:
            show(msg)
        if dry_run:
            outcomes.append(Outcome(sub, "would send", msg.count, notes=msg.notes))
            continue
        try:
            _deliver(sub, msg, mail, secrets)
        except delivery.DeliveryError as exc:
            outcomes.append(Outcome(sub, "failed", msg.count, str(exc), notes=msg.notes))
            continue
        record(sub, {s.kind: s.items + s.carried for s in msg.sections}, msg.watermark)
        outcomes.append(Outcome(sub, "sent", msg.count, notes=msg.notes))
    return outcomes


def _deliver(
    sub: Subscription,
    msg: Message,
    mail: delivery.MailServer | None,
    secrets: Mapping[str, Any] | None,
) -> None:
    if sub.channel == "email":
        if mail is None:
            raise delivery.DeliveryError(
                "No mail server is set (CITYTOOLS_SMTP_HOST): e-mail alerts cannot be sent."
            )
        delivery.send_email(mail, sub.target, msg.subject, msg.text())
        return
    build = delivery.slack_payload if sub.channel == "slack" else delivery.teams_payload
    payload = build(msg.subject, msg.text())
    delivery.post_webhook(sub.target, payload, delivery.webhook_timeout(secrets))


# ---- calendar feeds --------------------------------------------------------------------------


def feeds_dir(secrets: Mapping[str, Any] | None = None) -> Path | None:
    """Where feeds are written (None when switched off with 'off'): a relative path from the
    app's folder, `~` read as the home folder, as every path setting (settings.path)."""
    text = settings.value("CITYTOOLS_FEEDS_DIR", secrets) or ""
    if text.strip().lower() in ("", "off", "none"):
        return None
    return settings.path("CITYTOOLS_FEEDS_DIR", secrets)


def feed_url(sub: Subscription, public_url: str | None) -> str:
    name = f"{FEED_PATH}/{sub.feed_token}.ics"
    return f"{public_url.rstrip('/')}/{name}" if public_url else f"/{name}"


def write_feed(r: Reader, sub: Subscription, lead: LeadTimes, folder: Path) -> Path:
    """The subscription's view as a calendar file (`ics.write`: in one step, and only when its
    events changed). The name is the subscription's unguessable token."""
    records = due.feed_records(r, view_state(r, sub), lead, ics.MAX_CONTRACTS)
    target = folder / f"{sub.feed_token}.ics"
    # (identity: the feed, whatever its name or filters become; its token is never written out)
    ics.write(target, records, name=f"City Tools: {sub.name}", identity=f"feed\x1f{sub.feed_token}")
    return target


def write_feeds(db: Database, lead: LeadTimes, folder: Path) -> list[Path]:
    """Every subscription's feed; files of removed subscriptions are deleted."""
    with db.read() as r:  # (a feed's name is its token: one the app did not make names no file)
        subs = [s for s in subscriptions.all_(r) if subscriptions.TOKEN.fullmatch(s.feed_token)]
        written = [write_feed(r, s, lead, folder) for s in subs]
    keep = {p.name for p in written} | {MARKET_FEED}
    for old in folder.glob("*.ics"):
        if old.name not in keep:
            old.unlink(missing_ok=True)
    return written


def write_market_feed(
    db: Database, lead: LeadTimes, folder: Path, today: date, *, hide_values: bool
) -> Path:
    """The Coming to market calendar: every contract ending in the next three years, on its
    end date and its decide-by date (values left out when the installation hides them)."""
    years = max(opportunities.YEARS)
    with db.read() as r:
        records = opportunities.feed_records(
            r, FilterState(), lead, years, today, ics.MAX_CONTRACTS
        )
    if hide_values:
        records = opportunities.without_values(records)
    target = folder / MARKET_FEED
    ics.write(target, records, name="City Tools: coming to market", identity=MARKET_FEED)
    return target


def market_feed_url(public_url: str | None) -> str:
    return (
        f"{public_url.rstrip('/')}/{FEED_PATH}/{MARKET_FEED}"
        if public_url
        else (f"/{FEED_PATH}/{MARKET_FEED}")
    )


def _line(row: dict[str, Any], kind: str) -> str:
    what = ics.what(row)
    dates = []
    if kind == "change":
        dates.append("New" if row.get("change") == "new" else "Changed")
    elif kind == "removed":
        dates.append(f"No longer listed ({row['why']})")
    if _iso(row.get("decide_by")):  # (a contract ending soon: its decision may be overdue)
        dates.append(f"decide by {day_label(row['decide_by'])}")
    if _iso(row.get("contract_end")):
        dates.append(f"ends {day_label(row['contract_end'])}")
    else:
        dates.append("no end date")
    extra = f"; {_t(row['service_area'])}"
    if ref := _t(row.get("source_ref")):
        extra += f"; ref. {ref}"
    return f"- {what}: {', '.join(dates)}{extra}"


def _iso(value: Any) -> str:
    # (NaT, a record with no end date among the changes, is a `date` as isinstance sees it)
    if value is None or value is pd.NaT or (not isinstance(value, date) and pd.isna(value)):
        return ""
    return pd.Timestamp(value).date().isoformat()


def _t(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return " ".join(str(value).split())
