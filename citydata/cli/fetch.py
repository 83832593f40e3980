"""python -m citydata fetch contracts-finder|find-a-tender --since YYYY-MM-DD.

Brings published notices from the publishers' public APIs: pages through the results, waits when
asked to (429 Retry-After) and backs off when a server fails (5xx), keeps each response's bytes,
imports the region's authorities' technology notices beside the registers, and resumes an
interrupted run from where it stopped. Meant for a scheduler (cron, a scheduled CI workflow).
Exit 0 done, 1 stopped (the message says why; run again to carry on), 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from citydata import lifecycle, readcopy
from citydata.cli.common import (
    EXIT_OK,
    EXIT_REFUSED,
    UsageError,
    a_path,
    add_db_option,
    authority,
    command,
    iso_date,
    note,
    output_format,
    print_json,
    whole_number,
    words,
)
from citydata.core import dates
from citydata.core.formatting import count
from citydata.feeds import fetch, history, runs, spool
from citydata.output import exports
from citydata.query import reconciliation
from citydata.query.filters import FilterState


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "fetch", help="bring published notices from Contracts Finder or Find a Tender"
    )
    p.add_argument("feed", choices=sorted(runs.FEEDS), help="which publisher")
    p.add_argument(
        "--since", type=iso_date, required=True, help="notices published since YYYY-MM-DD"
    )
    add_db_option(p)
    p.add_argument("--restart", action="store_true", help="start again instead of resuming")
    p.add_argument(
        "--max-pages",
        type=whole_number,
        help=f"stop after this many pages (default {fetch.MAX_PAGES:,}); run again to carry on",
    )
    p.add_argument("--json", action="store_true", help="print the run as one JSON object")

    p = sub.add_parser(
        "fetch-history", help="the latest fetches and notices files imported, newest first"
    )
    add_db_option(p)
    p.add_argument(
        "--limit", type=whole_number, default=20, help="how many runs to list (default 20)"
    )
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser(
        "reconcile", help=words("a borough's register against its published notices")
    )
    p.add_argument(
        "--borough", required=True, metavar=words("Borough").upper(), help=words("the borough")
    )
    add_db_option(p)
    p.add_argument(
        "-o", "--output", type=a_path, help="write every record with its outcome to this CSV"
    )


@command("fetch")
def cmd_fetch(args: argparse.Namespace) -> int:
    if args.max_pages is not None and args.max_pages < 1:
        raise UsageError("--max-pages must be 1 or more.")
    if args.since > dates.today():  # (as the Published notices page allows no later day)
        raise UsageError(
            f"--since {args.since.isoformat()} is after today: no notice has been published "
            "since then. Give the first day to fetch, today or earlier."
        )
    path = lifecycle.db_path(args.db)
    try:
        db = lifecycle.open_store(path, waits=())
    except lifecycle.FileBusy:
        if spool.listening(path):  # the running app holds the file: hand the pages to it
            return _fetch_for_app(args, path)
        db = lifecycle.open_store(path)  # another command: wait for it as before
    try:
        previous = runs.last_run(db, args.feed)
        _say_resuming(args, previous)
        run = fetch.download(
            fetch.DatabaseStore(db),
            args.feed,
            args.since,
            previous,
            restart=args.restart,
            max_pages=args.max_pages,
            on_page=lambda run: _progress(args, run),
        )
        behind = history.standing(db, args.feed)
    finally:
        db.close()
    if args.json:
        print_json(_as_json(run))
    else:
        print("\n".join(filter(None, [run.summary(), behind])))
    return EXIT_OK if run.status == "done" else EXIT_REFUSED


def _fetch_for_app(args: argparse.Namespace, path: Path) -> int:
    """Fetch into a batch the running app imports (citydata.feeds.spool)."""
    waiting = spool.waiting_last(path, args.feed)  # a batch still waiting: carry on from it
    after, previous = waiting if waiting is not None else (None, None)
    if previous is None:
        with readcopy.open_for_reading(path) as copy:
            previous = runs.last_run(copy, args.feed)
    _say_resuming(args, previous)
    batch = spool.Batch(path, after=after)
    try:
        run = fetch.download(
            batch,
            args.feed,
            args.since,
            previous,
            restart=args.restart,
            max_pages=args.max_pages,
            on_page=lambda run: _progress(args, run),
        )
    finally:
        queued = batch.queue()  # what was fetched, even when stopped half way
    pages = "this page" if run.pages == 1 else f"these {run.pages:,} pages"
    said = (
        f"The app is running and holds the database, so it will import {pages} itself "
        "within a minute (see `python -m citydata fetch-history` or the Published notices "
        f"page). Queued as {queued}."
    )
    if args.json:
        print_json(_as_json(run) | {"queued_for_app": str(queued)})
    else:
        print(f"{run.summary(queued=True)}\n{said}")
    return EXIT_OK if run.status == "done" else EXIT_REFUSED


def _as_json(run: runs.Run) -> dict[str, Any]:
    """The run as `fetch --json` prints it: its fields, and `kept` beside `imported` (the same
    number, named as `fetch-history --json` names it)."""
    return asdict(run) | {"kept": run.imported}


def _say_resuming(args: argparse.Namespace, previous: runs.Run | None) -> None:
    resuming = (
        not args.restart
        and previous is not None
        and previous.status != "done"
        and previous.since == args.since.isoformat()
        and previous.next_url
    )
    if resuming and previous is not None and not args.json:
        print(f"Carrying on from page {previous.pages + 1}…", file=sys.stderr)


def _progress(args: argparse.Namespace, run: runs.Run) -> None:
    if not args.json:
        print(
            f"  page {run.pages}: {count(run.notices, 'notice')} read, {run.imported:,} imported",
            file=sys.stderr,
            flush=True,
        )


@command("fetch-history")
def cmd_fetch_history(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise UsageError("--limit must be 1 or more.")
    with readcopy.open_for_reading(args.db, on_copy=note) as db:
        lines = history.recent(db, args.limit)
        behind = [said for key in runs.FEEDS if (said := history.standing(db, key))]
    if args.json:  # `imported` beside `kept`: the same number, as `fetch --json` names it
        print(
            lines.assign(imported=lines["kept"]).to_json(
                orient="records", date_format="iso", indent=2
            )
        )
    elif lines.empty:
        print("No fetch or notices import has run yet.")
    else:
        for said in behind:  # (a feed whose latest fetches stopped before the end)
            print(said)
        for row in lines.to_dict("records"):
            print(history.line(row))
    return EXIT_OK


@command("reconcile")
def cmd_reconcile(args: argparse.Namespace) -> int:
    output_format(args, ("csv",))
    found = authority(args.borough)
    # a read: while the app serves, from a copy of the database made just now
    with readcopy.open_for_reading(args.db, on_copy=note) as db, db.read() as r:
        result = reconciliation.reconcile(r, FilterState(), found.name)
    print(result.sentence(found.name))
    if result.counts.matched or result.counts.published_only:
        print(result.disagreement_sentence())
    else:  # as the Reconciliation page says it: there is nothing to agree or disagree with
        print(
            f"No published notices are held for {found.name}. Fetch them with `python -m "
            "citydata fetch contracts-finder --since YYYY-MM-DD` (or find-a-tender), or on the "
            "Published notices page."
        )
    if args.output:
        with open(args.output, "wb") as f:
            f.write(exports.to_csv(exports.with_labels(result.labelled())))  # as the page's
    return EXIT_OK
