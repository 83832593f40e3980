"""python -m citydata: build, demo, snapshots, export.

Exit codes: 0 done, 1 refused (nothing written), 2 usage error. Every failure is one plain line
on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from citydata import demo, exports, filters, queries, store
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
    p.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    p.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
    return top


@command("build")
def cmd_build(args: argparse.Namespace) -> int:
    path = store.db_path(args.db)
    if path.exists():
        if not args.force:
            raise Refused(f"{path} already exists; add --force to rebuild it (it is kept as .bak).")
        store.Database(path).close()  # refuses clearly when the running app holds the file
        for old in (path, path.with_name(path.name + ".wal")):
            if old.exists():
                old.replace(old.with_name(old.name + ".bak"))
    store.build(path)
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
        " s.rows_rejected, s.status, s.source FROM snapshots AS s ORDER BY s.id"
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
    db = store.open_store(args.db)
    with db.read() as r:
        df = queries.records(r, state)
    db.close()
    data = exports.to_csv(df) if args.format == "csv" else exports.to_xlsx(df)
    if args.output:
        args.output.write_bytes(data)
        print(f"Wrote {len(df)} records to {args.output}.", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed its own message
        return EXIT_OK if exc.code == 0 else EXIT_USAGE
    try:
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (Refused, StoreError) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except OSError as exc:
        print(f"refused: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_REFUSED


def print_json(obj: object) -> None:
    print(json.dumps(obj, indent=2, default=str))
