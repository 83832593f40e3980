"""A fetch handed to the running app: the inbox beside the database file.

DuckDB lets one process write a file, and then no other process may open it. The app holds its
file for as long as it serves, so a scheduled `python -m citydata fetch` cannot store what it
fetched while the app runs. It downloads and checks the pages as always, and queues them as one
batch in the inbox, `<database>.inbox/` beside the file; the app (ui/fetching.py) imports each
batch through its own database handle, records it in the history (`feed_runs`) and moves it to
`done/` or `failed/` with its outcome in `outcome.txt`.

A batch is a folder: the pages as received (`page-0001.json`, ...) and `manifest.json`: the feed,
--since, the run's state when it started (where it carried on from) and when it ended (status,
the next page's address, counts, message), and each page's file, SHA-256, notices and next page.
It is written under a hidden temporary name and renamed into the inbox only once complete, so the
app never sees half a batch. Before storing anything the app checks the whole batch (the
manifest, every page's bytes against its checksum and shape); a batch that fails a check is
refused: nothing of it is stored, and the history says why. Importing records the batch's id in
`meta` (`inbox:<id>`) in the same transaction as the run's last state, so a batch is never
imported twice, even if the app stopped before moving it to `done/`.

The app says it is listening by rewriting `importer.json` (its process id, host and time) on
every pass; `listening` tells a command whether a live app will pick a batch up.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import socket
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from citydata import ingest
from citydata.core import processes
from citydata.feeds import client as http
from citydata.feeds import counts, fetch, history, runs
from citydata.store.db import Database

SUFFIX = ".inbox"
MANIFEST = "manifest.json"
OUTCOME = "outcome.txt"
HEARTBEAT = "importer.json"
DONE, FAILED = "done", "failed"
FORMAT = 1
# The app checks the inbox this often (seconds); a command trusts a heartbeat this many periods old.
PERIOD = 30.0
STALE_PERIODS = 3
# A fetch killed before it queued its batch leaves a hidden folder; swept after a day.
ABANDONED_AFTER = 24 * 3600.0

log = logging.getLogger(__name__)


class BatchRefused(Exception):
    """The batch cannot be imported as it is; the message says why."""


def inbox_for(db_path: str | Path) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + SUFFIX)


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def beat(inbox: Path, period: float) -> None:
    """Say the app is listening (rewritten on every pass of the importer)."""
    inbox.mkdir(exist_ok=True)
    data = {"pid": os.getpid(), "host": socket.gethostname(), "at": time.time(), "period": period}
    _write_atomically(inbox / HEARTBEAT, json.dumps(data))


def listening(db_path: str | Path) -> bool:
    """Whether a running app on this machine imports this database's inbox."""
    try:
        data = json.loads((inbox_for(db_path) / HEARTBEAT).read_text(encoding="utf-8"))
        pid, host, at = int(data["pid"]), str(data["host"]), float(data["at"])
        period = float(data.get("period", PERIOD))
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if host != socket.gethostname() or time.time() - at > STALE_PERIODS * period + 5:
        return False
    return processes.alive(pid)


class Batch:
    """A fetch's pages gathered for the app: a `fetch.Store` writing into a hidden folder of the
    inbox, queued (renamed into view) by `queue`."""

    def __init__(self, db_path: str | Path, after: str | None = None) -> None:
        # `after`: the id of the batch still waiting that this fetch carries on from (its
        # counts are the command's, until the app imports it: `import_batch` takes the app's)
        self.after = after
        self.inbox = inbox_for(db_path)
        self.inbox.mkdir(parents=True, exist_ok=True)
        # Batches are imported in the order of their names: to the microsecond, so that two
        # fetches in one second (one carrying on from the other) are imported in turn; in UTC,
        # which never turns back (London's clock repeats an hour each October).
        self.id = f"{datetime.now(UTC):%Y%m%d-%H%M%S-%f}-{uuid.uuid4().hex[:8]}"
        self.folder = self.inbox / f".incoming-{self.id}"
        self.folder.mkdir()
        self.start: dict[str, Any] | None = None
        self.state: runs.Run | None = None
        self.pages: list[dict[str, Any]] = []

    def save(self, run: runs.Run) -> None:
        # where this fetch carried on from (or, when it started again before reading a page,
        # the fresh start)
        if self.start is None or not self.pages:
            self.start = asdict(run) | {"snapshot_ids": [], "run_id": None}
        self.state = run

    def page(self, feed: runs.Feed, state: runs.Run, page: http.Page, releases: int) -> None:
        prepared = None
        if releases:  # counted as the app will count them (the app reads the pages again)
            prepared = ingest.prepare(page.content, f"{feed.key} page {state.pages + 1}.json")
            if counts.refused_whole(prepared):  # not queued: the fetch stops before it
                raise fetch.PageRefused(fetch.refusal(state, prepared.refused or "", releases))
        name = f"page-{len(self.pages) + 1:04d}.json"
        (self.folder / name).write_bytes(page.content)
        nxt = fetch.next_link(page.document, page.url)
        self.pages.append(
            {
                "file": name,
                "sha256": hashlib.sha256(page.content).hexdigest(),
                "releases": releases,
                "next_url": nxt,
            }
        )
        if prepared is not None:
            counts.read(state, prepared)
            if not prepared.refused:  # (held as they are, withdrawn or not: the app will know)
                counts.queued(state, prepared)

    def queue(self) -> Path | None:
        """Write the manifest and put the batch in the inbox; None when nothing was fetched."""
        if self.state is None or self.start is None:
            shutil.rmtree(self.folder, ignore_errors=True)
            return None
        end = asdict(self.state) | {"snapshot_ids": [], "run_id": None}
        manifest = {
            "format": FORMAT,
            "id": self.id,
            "feed": self.state.feed,
            "since": self.state.since,
            "queued_at": runs.now(),
            "start": self.start,
            "end": end,
            "after": self.after,
            "pages": self.pages,
        }
        _write_atomically(self.folder / MANIFEST, json.dumps(manifest, indent=2))
        target = self.inbox / f"{self.id}-{self.state.feed}"
        os.rename(self.folder, target)
        return target


def sweep(db_path: str | Path, older_than: float = ABANDONED_AFTER) -> list[Path]:
    """Delete the hidden folders of fetches killed before they queued their batch (older than
    `older_than` seconds; a fetch under way is never that old). Returns what was deleted."""
    inbox = inbox_for(db_path)
    if not inbox.is_dir():
        return []
    gone = []
    for folder in inbox.glob(".incoming-*"):
        try:
            if time.time() - folder.stat().st_mtime > older_than:
                shutil.rmtree(folder)
                gone.append(folder)
        except OSError:
            continue
    return gone


def waiting(db_path: str | Path) -> list[Path]:
    """The batches in the inbox not imported yet, oldest first."""
    inbox = inbox_for(db_path)
    if not inbox.is_dir():
        return []
    return sorted(
        p
        for p in inbox.iterdir()
        if p.is_dir() and not p.name.startswith(".") and p.name not in (DONE, FAILED)
    )


def waiting_end(db_path: str | Path, feed_key: str) -> runs.Run | None:
    """The end of the newest batch of `feed_key` still waiting, to carry on from (None: none)."""
    found = waiting_last(db_path, feed_key)
    return None if found is None else found[1]


def waiting_last(db_path: str | Path, feed_key: str) -> tuple[str, runs.Run] | None:
    """The id and the end of the newest batch of `feed_key` still waiting (None: none)."""
    for folder in reversed(waiting(db_path)):
        try:
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            if manifest.get("feed") == feed_key:
                return str(manifest.get("id") or folder.name), _run(manifest["end"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


def _as_imported(db: Database, state: runs.Run, after: Any) -> None:
    """A batch carrying on from one queued before it (`after`) starts from that one's counts as
    the app imported it, not as the command counted them before (every record for the app to
    import, every withdrawal for it to weigh): what its history line adds is what happened."""
    if not state.carried_from or not isinstance(after, str):
        return
    run_id = db.scalar("SELECT value FROM meta WHERE key = $k", {"k": f"inbox:{after}"})
    actual = history.recorded(db, int(run_id)) if str(run_id or "").isdigit() else None
    if actual is None or actual.pages != state.pages:
        return
    for name in runs.COUNTS:
        setattr(state, name, getattr(actual, name))


def _run(data: Any) -> runs.Run:
    if not isinstance(data, dict):
        raise TypeError("not a run")
    return runs.Run(**{k: v for k, v in data.items() if k in runs.Run.__dataclass_fields__})


@dataclass
class Checked:
    manifest: dict[str, Any]
    start: runs.Run
    end: runs.Run
    pages: list[tuple[dict[str, Any], http.Page]]


def check(folder: Path) -> Checked:
    """Read and check a whole batch; BatchRefused says what is wrong."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BatchRefused("It has no manifest (manifest.json).") from None
    except ValueError:  # not JSON, or not text
        raise BatchRefused(
            "Its manifest (manifest.json) is not one the fetch wrote: it is not valid JSON "
            "(cut short, or changed by hand?)."
        ) from None
    except OSError as exc:
        log.warning("the manifest of queued batch %s cannot be read: %r", folder.name, exc)
        why = f" ({exc.strerror.lower()})" if exc.strerror else ""
        raise BatchRefused(
            f"Its manifest (manifest.json) cannot be read on this computer{why}."
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BatchRefused("Its manifest is not one this version of the app reads.")
    if manifest.get("feed") not in runs.FEEDS:
        raise BatchRefused(f"Its manifest names no known feed ({str(manifest.get('feed'))[:40]}).")
    try:
        date.fromisoformat(str(manifest.get("since")))
        start, end = _run(manifest["start"]), _run(manifest["end"])
        listed = list(manifest["pages"])
    except (ValueError, KeyError, TypeError):
        raise BatchRefused("Its manifest is incomplete (since, start, end or pages).") from None
    pages = []
    for n, entry in enumerate(listed, start=1):
        try:
            name = str(entry["file"])
            content = (folder / Path(name).name).read_bytes()
        except (KeyError, TypeError):
            raise BatchRefused(f"Page {n}'s entry in the manifest is incomplete.") from None
        except OSError:
            raise BatchRefused(f"Page {n} ({name}) is missing.") from None
        if hashlib.sha256(content).hexdigest() != entry.get("sha256"):
            raise BatchRefused(
                f"Page {n} ({name}) is not what was downloaded: its contents changed or were cut "
                "short (the checksum differs)."
            )
        try:
            document = json.loads(content)
            releases = document["releases"]
        except (ValueError, KeyError, TypeError):
            raise BatchRefused(f"Page {n} ({name}) is not a list of notices.") from None
        if not isinstance(releases, list) or len(releases) != entry.get("releases"):
            raise BatchRefused(f"Page {n} ({name}) does not hold the notices listed for it.")
        pages.append((entry, http.Page(url="", content=content, document=document)))
    return Checked(manifest, start, end, pages)


def imported(db: Database, batch_id: str) -> bool:
    return db.scalar("SELECT count(*) FROM meta WHERE key = $k", {"k": f"inbox:{batch_id}"}) > 0


class _Recording(fetch.DatabaseStore):
    """The database store, also marking the batch imported with the run's last state."""

    def __init__(self, db: Database, batch_id: str) -> None:
        super().__init__(db)
        self.batch_id = batch_id

    def finish(self, run: runs.Run) -> None:
        with self.db.write() as w:
            runs.save_state(w, run)
            w.execute(
                "INSERT OR REPLACE INTO meta VALUES ($k, $v)",
                {"k": f"inbox:{self.batch_id}", "v": str(run.run_id)},
            )


def import_batch(db: Database, folder: Path, who: str = "command line (queued)") -> runs.Run:
    """Import one queued batch and move it to done/ or failed/ with its outcome."""
    now = runs.now()
    try:
        batch = check(folder)
    except BatchRefused as exc:
        feed = feed_of(folder)
        run = runs.Run(
            feed=feed or "file",
            since="",
            status="failed",
            started_at=now,
            finished_at=now,
            started_by=who,
            file_name=None if feed else folder.name,
            message=f"The queued batch {folder.name} was refused: {exc} Nothing was stored.",
        )
        with db.write() as w:
            runs.record(w, run)
        _file(folder, FAILED, run.message)
        return run
    batch_id = str(batch.manifest.get("id") or folder.name)
    if imported(db, batch_id):
        _file(folder, DONE, "Already imported.")
        return batch.end
    store = _Recording(db, batch_id)
    state = batch.start
    state.status, state.finished_at, state.started_by = "running", None, who
    state.run_id = None
    _as_imported(db, state, batch.manifest.get("after"))
    feed = runs.FEEDS[batch.manifest["feed"]]
    try:
        store.save(state)
        for entry, page in batch.pages:
            store.page(feed, state, page, int(entry["releases"]))
            state.pages += 1  # (its records counted as the store read them)
            state.next_url = entry.get("next_url")
            store.save(state)
        state.status, state.message = batch.end.status, batch.end.message
        state.next_url = batch.end.next_url
    except http.FeedError as exc:  # a page refused now (the limits or rules changed since)
        state.status = "failed"
        state.message = f"{exc} Run the fetch again to carry on."
    except Exception:  # a fault storing a page: resumable like any stopped fetch
        log.exception("importing queued batch %s stopped at page %s", folder.name, state.pages + 1)
        state.status = "failed"
        state.message = (
            f"Importing the queued batch stopped at page {state.pages + 1}: something went wrong "
            "inside City Tools Explorer (a fault in the app, not in the notices). The pages "
            f"before it are kept; nothing of page {state.pages + 1} was stored. Run the fetch "
            "again to carry on; if it stops at the same page again, please report it (the "
            "server's log says where it happened)."
        )
    state.finished_at = runs.now()
    store.finish(state)
    _file(folder, DONE, state.summary())
    return state


def feed_of(folder: Path) -> str | None:
    for key in runs.FEEDS:
        if folder.name.endswith("-" + key):
            return key
    return None


def _file(folder: Path, where: str, outcome: str) -> None:
    """Write the outcome into the batch and move it to done/ or failed/."""
    target_dir = folder.parent / where
    target_dir.mkdir(exist_ok=True)
    _write_atomically(folder / OUTCOME, outcome + "\n")
    target = target_dir / folder.name
    if target.exists():
        target = target_dir / f"{folder.name}-{uuid.uuid4().hex[:6]}"
    os.rename(folder, target)


def import_waiting(
    db: Database, db_path: str | Path, skip_feeds: set[str] | frozenset[str] = frozenset()
) -> list[runs.Run]:
    """Import every waiting batch, oldest first, except those of `skip_feeds` (a fetch of that
    feed is running in the app: they wait for the next pass)."""
    done = []
    for folder in waiting(db_path):
        if feed_of(folder) in skip_feeds:
            continue
        done.append(import_batch(db, folder))
    return done
