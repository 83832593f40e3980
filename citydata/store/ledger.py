"""What `alerts send` delivered while the app held the database: a small ledger beside the file.

DuckDB lets one process write a database file, and then no other process may even read it. The
app holds its file for as long as it serves, so a scheduled `alerts send` cannot record what it
sent in `alerts_sent` while the app runs. It reads a checked copy of the database instead
(citydata.readcopy.open_for_reading) and appends what it delivered to this ledger,
`<database>.alerts-sent.jsonl`: one JSON line per delivered message,

    {"subscription": 3, "token": "<the subscription's feed token>", "sent_at": "...",
     "items": {"decision": ["..."], "ending": [...]}, "since_snapshot": 41}

What was sent is the table's rows plus the ledger's. Whoever holds the database for writing
(the app, on its Alerts page and before Send now; `alerts send` when the app is stopped) folds
the ledger into the table and then empties it; folding twice is harmless (INSERT OR IGNORE), so
stopping half way loses nothing. The token ties an entry to its subscription: entries of a
removed subscription are dropped, even if its number is given to a new one.

One sender at a time: `alerts send` and the app's Send now hold an exclusive lock on the ledger
(flock) from reading what was sent until they have recorded what they sent, so two runs at once
cannot both send the same item. Each entry is written and flushed to disk right after its
message was accepted; a torn last line (a crash mid-write) is ignored.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from citydata.core import dates
from citydata.store.db import Database, FileBusy
from citydata.store.subscriptions import Subscription

SUFFIX = ".alerts-sent.jsonl"


def path_for(db_path: str | Path) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + SUFFIX)


class Ledger:
    """The ledger's entries as read when it was opened, and (when held) appending to it."""

    def __init__(self, path: Path, entries: list[dict[str, Any]], fd: int | None = None):
        self.path = path
        self.entries = entries
        self._fd = fd

    def sent(self, sub: Subscription, kind: str) -> set[str]:
        return {
            item
            for e in self._of(sub)
            for item in e.get("items", {}).get(kind, [])
            if isinstance(item, str)
        }

    def since(self, sub: Subscription) -> int | None:
        marks = [e["since_snapshot"] for e in self._of(sub) if _int(e.get("since_snapshot"))]
        return max(marks) if marks else None

    def _of(self, sub: Subscription) -> list[dict[str, Any]]:
        """The entries of `sub` (its number and its token: not an earlier alert's number)."""
        return [
            e
            for e in self.entries
            if e.get("subscription") == sub.id and e.get("token") == sub.feed_token
        ]

    def record(
        self,
        sub: Subscription,
        items: dict[str, list[str]],
        since: int | None,
        at: datetime | None = None,
    ) -> None:
        """Append one delivered message's items (and the changes watermark), flushed to disk;
        dated now, or `at` for items sent earlier (see citydata.output.alerts.send_due)."""
        if self._fd is None:
            raise RuntimeError("the ledger is open for reading only")
        entry = {
            "subscription": sub.id,
            "token": sub.feed_token,
            "sent_at": (at or dates.now()).replace(microsecond=0).isoformat(),
            "items": {kind: sorted(set(keys)) for kind, keys in items.items() if keys},
            "since_snapshot": since,
        }
        os.write(self._fd, (json.dumps(entry) + "\n").encode("utf-8"))
        os.fsync(self._fd)
        self.entries.append(entry)

    def fold_into(self, db: Database) -> int:
        """Move the entries into `alerts_sent` (and the watermarks into the subscriptions), then
        empty the ledger. Returns how many entries were folded."""
        if self._fd is None:
            raise RuntimeError("the ledger is open for reading only")
        if not self.entries:
            return 0
        with db.write() as w:
            live = dict(w.rows("SELECT id, feed_token FROM alert_subscriptions"))
            kept = [e for e in self.entries if live.get(e.get("subscription")) == e.get("token")]
            rows = [
                (e["subscription"], kind, item, _when(e.get("sent_at")))
                for e in kept
                for kind, items in e.get("items", {}).items()
                for item in items
                if isinstance(item, str)
            ]
            if rows:
                w.register("_ledger", pd.DataFrame(rows, columns=["s", "k", "i", "t"]))
                w.execute(
                    "INSERT OR IGNORE INTO alerts_sent "
                    "SELECT s, k, i, CAST(t AS TIMESTAMP) FROM _ledger"
                )
            for e in kept:
                if _int(e.get("since_snapshot")):
                    w.execute(
                        "UPDATE alert_subscriptions SET since_snapshot = "
                        "greatest(since_snapshot, $since) WHERE id = $id",
                        {"since": e["since_snapshot"], "id": e["subscription"]},
                    )
        os.ftruncate(self._fd, 0)
        folded = len(self.entries)
        self.entries = []
        return folded


@contextlib.contextmanager
def held(db_path: str | Path, wait: float = 600.0) -> Iterator[Ledger]:
    """The ledger, locked against every other sender until the block ends. Waits up to `wait`
    seconds for another sender to finish, then FileBusy."""
    path = path_for(db_path)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise FileBusy(
                        "Alerts are being sent by another run (a scheduled `alerts send`, or "
                        "Send now in the app). Try again when it has finished."
                    ) from None
                time.sleep(0.2)  # polling for the other sender's lock, not a fixed wait
        yield Ledger(path, _read(path), fd)
    finally:
        os.close(fd)  # closing releases the lock


def peek(db_path: str | Path) -> Ledger:
    """The ledger as it is now, for reading only (what is due, shown before anything is sent)."""
    path = path_for(db_path)
    return Ledger(path, _read(path))


def fold(db: Database, db_path: str | Path) -> int:
    """Fold the ledger into the database now, unless a sender holds it (then 0: next time)."""
    path = path_for(db_path)
    if not path.exists() or path.stat().st_size == 0:
        return 0
    try:
        with held(db_path, wait=0) as book:
            return book.fold_into(db)
    except FileBusy:
        return 0


def _read(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    entries = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:  # a torn last line: its message is sent again, never lost
            continue
        if isinstance(entry, dict) and _int(entry.get("subscription")):
            entries.append(entry)
    return entries


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _when(text: Any) -> str:
    try:
        return datetime.fromisoformat(str(text)).isoformat(sep=" ")
    except ValueError:
        return dates.now().isoformat(sep=" ")
