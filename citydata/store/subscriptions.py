"""Alert subscriptions and the record of what was sent to each.

A subscription names who is told (an e-mail address, or a Microsoft Teams or Slack incoming
webhook), the view it watches (a share link of the app: its filters are the subscription's
filters) and what it is told about: decisions due within N months, contracts ending within N
months, and records new or changed since it was last told; every subscription is also told of
the records that left its view since. `alerts_sent` holds one row per item
delivered, so a second run sends nothing twice; an item is written there only after its message
was accepted by the mail server or webhook.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd

from citydata.core import dates
from citydata.core.formatting import count
from citydata.store.db import Database, Reader

CHANNELS: dict[str, str] = {"email": "E-mail", "teams": "Microsoft Teams", "slack": "Slack"}
KINDS: dict[str, str] = {
    "decision": "Decisions due",
    "ending": "Contracts ending",
    "change": "New or changed records",
    "removed": "No longer listed",  # told to every alert: see citydata.query.alerts.removed
}
MAX_MONTHS = 60
MAX_NAME = 100
MAX_TARGET = 500
MAX_VIEW = 4000
_EMAIL = re.compile(r"[^@\s<>\"',;]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}")
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
# A feed token as `add` makes one (secrets.token_urlsafe(24)): it names the calendar file.
TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
COLUMNS = (
    "id",
    "name",
    "channel",
    "target",
    "view_url",
    "decisions_months",
    "ending_months",
    "changes",
    "feed_token",
    "since_snapshot",
    "created_by",
    "created_at",
)


class SubscriptionError(ValueError):
    """A subscription that cannot be stored, with a message saying which field and why."""


@dataclass(frozen=True)
class Subscription:
    id: int
    name: str
    channel: str
    target: str
    view_url: str
    decisions_months: int | None
    ending_months: int | None
    changes: bool
    feed_token: str
    since_snapshot: int
    created_by: str | None = None
    created_at: datetime | None = None

    @property
    def view_params(self) -> dict[str, list[str]]:
        """The share link's URL parameters (its filters and the page's own choices)."""
        return parse_qs(urlsplit(self.view_url).query)

    def wants(self) -> list[str]:
        """What this subscription is told about, in words."""
        out = []
        if self.decisions_months:
            out.append(f"decisions due within {count(self.decisions_months, 'month')}")
        if self.ending_months:
            out.append(f"contracts ending within {count(self.ending_months, 'month')}")
        if self.changes:
            out.append("new or changed records")
        return out


def check(
    name: str,
    channel: str,
    target: str,
    view_url: str,
    decisions_months: int | None,
    ending_months: int | None,
    changes: bool,
) -> dict[str, Any]:
    """The cleaned fields of a new subscription; SubscriptionError names the first bad one."""
    name = " ".join((name or "").split())
    target = (target or "").strip()
    view_url = (view_url or "").strip()
    if not name:
        raise SubscriptionError("Give the subscription a name (who or what it is for).")
    if len(name) > MAX_NAME:
        raise SubscriptionError(f"The name is longer than {MAX_NAME} characters.")
    if channel not in CHANNELS:
        raise SubscriptionError(f"Send by one of: {', '.join(CHANNELS)} (not “{channel}”).")
    if len(target) > MAX_TARGET:
        raise SubscriptionError(f"The address is longer than {MAX_TARGET} characters.")
    if channel == "email" and not _EMAIL.fullmatch(target):
        raise SubscriptionError(f"“{target[:80]}” is not an e-mail address.")
    if channel != "email":
        check_webhook(target)
    if len(view_url) > MAX_VIEW:
        raise SubscriptionError(f"The view link is longer than {MAX_VIEW} characters.")
    if view_url and not (view_url.startswith(("http://", "https://", "/", "?"))):
        raise SubscriptionError(
            "The view must be a link copied from the app (starting https://), or empty for "
            "all contracts."
        )
    months = {}
    for key, value in (("decisions", decisions_months), ("ending", ending_months)):
        if value is not None and not 0 <= int(value) <= MAX_MONTHS:
            raise SubscriptionError(f"Months for {key} must be between 0 and {MAX_MONTHS}.")
        months[key] = int(value) if value else None
    if not (months["decisions"] or months["ending"] or changes):
        raise SubscriptionError(
            "Choose what to send: decisions due, contracts ending, or new or changed records."
        )
    return {
        "name": name,
        "channel": channel,
        "target": target,
        "view_url": view_url,
        "decisions_months": months["decisions"],
        "ending_months": months["ending"],
        "changes": bool(changes),
    }


def check_webhook(url: str) -> None:
    """A webhook must be https (plain http only to this machine, for testing)."""
    parts = urlsplit(url)
    local = parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS
    if not (parts.scheme == "https" or local) or not parts.hostname:
        raise SubscriptionError(
            f"“{url[:80]}” is not a webhook address: paste the https:// address the "
            "incoming webhook gives you."
        )


def check_stored(sub: Subscription) -> None:
    """SubscriptionError unless `sub` is one `add` could have stored: its fields as `check`
    leaves them, and a feed token as `add` makes (it names a file: nothing else may reach the
    path). For a subscription that did not come through `add`: one in a backup."""
    fields = {
        "name": sub.name,
        "channel": sub.channel,
        "target": sub.target,
        "view_url": sub.view_url,
        "decisions_months": sub.decisions_months,
        "ending_months": sub.ending_months,
        "changes": sub.changes,
    }
    if check(**fields) != fields:
        raise SubscriptionError("Its name, address, view or months are not as the app stores them.")
    if not TOKEN.fullmatch(sub.feed_token or ""):
        raise SubscriptionError("Its calendar feed's name is not one this app makes.")


def add(db: Database, who: str | None, **fields: Any) -> Subscription:
    """Store a new subscription (fields as `check` takes them); returns it."""
    clean = check(**fields)
    with db.write() as w:
        # max + 1 inside the one writer's transaction (a sequence would not survive a restore)
        new_id = w.scalar("SELECT coalesce(max(id), 0) + 1 FROM alert_subscriptions")
        since = w.scalar("SELECT coalesce(max(id), 0) FROM snapshots")
        w.execute(
            f"INSERT INTO alert_subscriptions ({', '.join(COLUMNS)}) VALUES "
            "($id, $name, $channel, $target, $view_url, $decisions_months, $ending_months, "
            "$changes, $feed_token, $since, $who, $now)",
            clean
            | {
                "id": new_id,
                "feed_token": secrets.token_urlsafe(24),
                "since": since,
                "who": who,
                "now": dates.now(),
            },
        )
    found = get(db, int(new_id))
    assert found is not None
    return found


def remove(db: Database, subscription_id: int) -> bool:
    """Delete a subscription and what was sent to it; False when there was none."""
    with db.write() as w:
        n = w.scalar(
            "SELECT count(*) FROM alert_subscriptions WHERE id = $id", {"id": subscription_id}
        )
        w.execute("DELETE FROM alerts_sent WHERE subscription_id = $id", {"id": subscription_id})
        w.execute("DELETE FROM alert_subscriptions WHERE id = $id", {"id": subscription_id})
    return bool(n)


def all_(r: Reader | Database) -> list[Subscription]:
    rows = r.rows(f"SELECT {', '.join(COLUMNS)} FROM alert_subscriptions ORDER BY id")
    return [Subscription(**dict(zip(COLUMNS, row, strict=True))) for row in rows]


def get(r: Reader | Database, subscription_id: int) -> Subscription | None:
    return next((s for s in all_(r) if s.id == subscription_id), None)


def table(r: Reader | Database) -> pd.DataFrame:
    """The subscriptions as people read them (the webhook address is a secret: not shown)."""
    rows = [
        {
            "Id": s.id,
            "Name": s.name,
            "Send by": CHANNELS[s.channel],
            "To": s.target if s.channel == "email" else "(webhook)",
            "What": "; ".join(s.wants()),
            "View": s.view_url or "(all contracts)",
            "Last sent": last_sent(r, s.id),
        }
        for s in all_(r)
    ]
    return pd.DataFrame(rows, columns=["Id", "Name", "Send by", "To", "What", "View", "Last sent"])


def last_sent(r: Reader | Database, subscription_id: int) -> datetime | None:
    return r.scalar(
        "SELECT max(sent_at) FROM alerts_sent WHERE subscription_id = $id", {"id": subscription_id}
    )


def already_sent(r: Reader | Database, subscription_id: int, kind: str) -> set[str]:
    rows = r.rows(
        "SELECT item FROM alerts_sent WHERE subscription_id = $id AND kind = $kind",
        {"id": subscription_id, "kind": kind},
    )
    return {item for (item,) in rows}


def mark_sent(
    db: Database,
    subscription_id: int,
    items: dict[str, list[str]],
    since_snapshot: int | None = None,
    at: datetime | None = None,
) -> None:
    """Record delivered items (by kind), dated now or `at`; moves the changes watermark when
    given."""
    now = (at or dates.now()).replace(microsecond=0)
    rows = [
        (subscription_id, kind, item, now) for kind, keys in items.items() for item in set(keys)
    ]
    with db.write() as w:
        if rows:
            w.register("_sent", pd.DataFrame(rows, columns=["s", "k", "i", "t"]))
            w.execute("INSERT OR IGNORE INTO alerts_sent SELECT s, k, i, t FROM _sent")
        if since_snapshot is not None:
            w.execute(
                "UPDATE alert_subscriptions SET since_snapshot = $since WHERE id = $id",
                {"since": since_snapshot, "id": subscription_id},
            )
