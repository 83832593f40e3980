"""python -m citydata: build, demo, snapshots, export, collaborate.

Exit codes: 0 done, 1 refused (nothing written), 2 usage error. Every failure is one plain line
on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from citydata import (
    collaboration,
    demo,
    exports,
    filters,
    ics,
    pipeline,
    queries,
    settings,
    store,
)
from citydata.db import StoreError
from citydata.filters import FilterState

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2

Command = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, Command] = {}


class UsageError(Exception):
    """Wrong words on the command line: exit 2."""


class Refused(Exception):
    """The request was understood but cannot be done: exit 1, nothing written."""


def command(name: str) -> Callable[[Command], Command]:
    def register(fn: Command) -> Command:
        COMMANDS[name] = fn
        return fn

    return register


def add_db_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db",
        type=Path,
        help=f"database file (default: ${store.ENV_VAR} or data/citytools.duckdb)",
    )


def add_filter_options(p: argparse.ArgumentParser) -> None:
    """The sidebar's filters, as options; --url takes a shared link's filters instead."""
    for choice in filters.CHOICES:
        flag = "--" + choice.key.replace("_", "-")
        p.add_argument(flag, dest=choice.key, action="append", default=[], metavar="VALUE")
    p.add_argument("--end-from", metavar="YYYY-MM-DD", help="contracts ending on or after")
    p.add_argument("--end-to", metavar="YYYY-MM-DD", help="contracts ending on or before")
    p.add_argument("--search", dest="q", default="", help="free-text search")
    p.add_argument("--url", help="a shared link of the app: use its filters")


def cli_user(args: argparse.Namespace) -> str:
    """Who to record for a change made from the command line: --user, else the login name."""
    if args.user:
        return " ".join(args.user.split())[:100]
    try:
        return f"{getpass.getuser()} (command line)"
    except (KeyError, OSError):
        return "command line"


def filter_state(args: argparse.Namespace) -> FilterState:
    if args.url:
        params = parse_qs(urlsplit(args.url).query)
    else:
        params = {c.key: getattr(args, c.key) for c in filters.CHOICES}
        params |= {"end_from": [args.end_from or ""], "end_to": [args.end_to or ""]}
        params |= {"q": [args.q]}
    state, notes = filters.from_query_params(params)
    if notes:
        raise UsageError(" ".join(notes))
    return state


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m citydata", description="City Tools Explorer's command line."
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("build", help="create the database from the embedded default data")
    add_db_option(p)
    p.add_argument("--force", action="store_true", help="replace an existing file (kept as .bak)")
    p.add_argument(
        "--csv",
        type=Path,
        default=demo.EMBEDDED_CSV,
        help="build from this CSV in the embedded data's shape (e.g. one made by `demo`)",
    )

    p = sub.add_parser("demo", help="write an illustrative data set (for benchmarks)")
    p.add_argument("--rows", type=int, default=demo.DEFAULT_ROWS)
    p.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
    p.add_argument("-o", "--output", type=Path, required=True, help="CSV file to write")

    p = sub.add_parser("snapshots", help="list the stored snapshots")
    add_db_option(p)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("export", help="write the current records, filtered as in the app")
    add_db_option(p)
    add_filter_options(p)
    p.add_argument(
        "--format",
        choices=["csv", "xlsx", "ics"],
        default="csv",
        help="ics: a calendar of end dates and decide-by dates (Outlook, Google Calendar)",
    )
    p.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")

    p = sub.add_parser(
        "collaborate", help="boroughs whose contracts for the same thing end close together"
    )
    add_db_option(p)
    add_filter_options(p)
    p.add_argument("--by", choices=list(collaboration.KEYS), default="service_area")
    p.add_argument(
        "--window-months",
        type=int,
        default=collaboration.DEFAULT_WINDOW_MONTHS,
        help="end dates within this many months of a group's first end date",
    )
    p.add_argument("--include-ended", action="store_true", help="also contracts already ended")
    p.add_argument("--today", type=iso_date, help="count from this date (YYYY-MM-DD)")
    p.add_argument("--json", action="store_true", help="print JSON")

    from citydata import snapshot_cli  # registers import, rollback, backup and restore

    snapshot_cli.add_parsers(sub)

    from citydata import alias_cli  # registers aliases

    alias_cli.add_parsers(sub)
    return top


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}” is not a date (use YYYY-MM-DD)") from None


@command("build")
def cmd_build(args: argparse.Namespace) -> int:
    path = store.db_path(args.db)
    if path.exists():
        if not args.force:
            raise Refused(f"{path} already exists; add --force to rebuild it (it is kept as .bak).")
        store.keep_backup(path)
    store.build(path, csv=args.csv)
    db = store.open_store(path)
    with db.read() as r:
        rows = r.scalar("SELECT count(*) FROM current_contracts")
        boroughs = r.scalar("SELECT count(DISTINCT borough_code) FROM current_contracts")
    db.close()
    print(f"Built {path}: {rows} illustrative records for {boroughs} authorities.")
    return EXIT_OK


@command("demo")
def cmd_demo(args: argparse.Namespace) -> int:
    if args.rows < 1:
        raise UsageError("--rows must be at least 1.")
    n = demo.write_csv(args.output, rows=args.rows, seed=args.seed)
    print(f"Wrote {n} illustrative records to {args.output} (seed {args.seed}).")
    return EXIT_OK


@command("snapshots")
def cmd_snapshots(args: argparse.Namespace) -> int:
    db = store.open_store(args.db)
    df = db.df(
        "SELECT s.id, s.borough_code, s.created_at, s.created_by, s.file_name, s.rows_imported,"
        " s.rows_rejected, s.status, s.source, s.restored_from FROM snapshots AS s ORDER BY s.id"
    )
    db.close()
    if args.json:
        print(df.to_json(orient="records", date_format="iso"))
    else:
        print(df.to_string(index=False))
    return EXIT_OK


@command("export")
def cmd_export(args: argparse.Namespace) -> int:
    state = filter_state(args)
    if args.format == "ics":
        return _export_ics(args, state)
    db = store.open_store(args.db)
    try:
        with db.read() as r:
            if args.format == "csv":  # streamed by DuckDB: any number of records
                out = args.output or sys.stdout.buffer
                written = exports.save_records_csv(r, state, out, labels=False)
            else:
                written = exports.record_count(r, state)
                if written > exports.EXCEL_MAX_ROWS:
                    raise Refused(
                        f"{written:,} records are more than an Excel sheet holds "
                        f"({exports.EXCEL_MAX_ROWS + 1:,} rows): use --format csv or narrow "
                        "the filters. Nothing was written."
                    )
                data = exports.to_xlsx(queries.records(r, state))
    finally:
        db.close()
    if args.format != "csv":
        if args.output:
            args.output.write_bytes(data)
        else:
            sys.stdout.buffer.write(data)
    if args.output:
        print(f"Wrote {written} records to {args.output}.", file=sys.stderr)
    return EXIT_OK


def _export_ics(args: argparse.Namespace, state: FilterState) -> int:
    try:
        lead = pipeline.load_lead_times()
    except pipeline.LeadTimeError as exc:
        raise Refused(str(exc)) from None
    db = store.open_store(args.db)
    with db.read() as r:  # as on the Calendar page: the contracts ending nearest today
        df = pipeline.with_decide_by(r, state, lead, ics.MAX_CONTRACTS)
    db.close()
    data = ics.build(df)
    if args.output:
        args.output.write_bytes(data)
        nearest = " (the most a calendar holds: those ending nearest today)"
        print(
            f"Wrote {ics.event_count(df)} events for {len(df)} contracts"
            f"{nearest if len(df) == ics.MAX_CONTRACTS else ''} to {args.output}.",
            file=sys.stderr,
        )
    else:
        sys.stdout.buffer.write(data)
    return EXIT_OK


@command("collaborate")
def cmd_collaborate(args: argparse.Namespace) -> int:
    state = filter_state(args)
    try:
        q = collaboration.Query(args.by, args.window_months, args.include_ended)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    today = args.today or date.today()
    db = store.open_store(args.db)
    with db.read() as r:
        groups = collaboration.groups(r, state, q, today)
        members = collaboration.members(r, state, q, today)
    db.close()
    if args.json:
        print_json(collaboration.report(groups, members, q, today))
    else:
        print(collaboration.as_text(groups, q))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    # Unexpected failures inside citydata are logged for the app's operators; on the command
    # line the user gets the one-line message instead of a logged traceback.
    quiet = logging.getLogger("citydata")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed its own message
        return EXIT_OK if exc.code == 0 else EXIT_USAGE
    try:
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (Refused, StoreError, settings.SettingError) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except OSError as exc:
        print(f"refused: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_REFUSED


def print_json(obj: object) -> None:
    print(json.dumps(obj, indent=2, default=str))
