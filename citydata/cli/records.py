"""The record commands: build, demo, snapshots, original, export, collaborate."""

from __future__ import annotations

import argparse
import hashlib
import sys
from typing import Any

from citydata import lifecycle, readcopy
from citydata.cli.common import (
    AS_A,
    EXIT_OK,
    Refused,
    UsageError,
    a_path,
    add_db_option,
    add_filter_options,
    command,
    filter_state,
    iso_date,
    link_choice,
    note,
    output_format,
    print_json,
    whole_number,
    words,
)
from citydata.core import dates, demo, regions
from citydata.core.formatting import count
from citydata.output import exports, group_briefing, ics, workbook
from citydata.query import collaboration, pipeline
from citydata.query.filters import FilterState
from citydata.store import rawfiles


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("build", help="create the database from the embedded default data")
    add_db_option(p)
    p.add_argument("--force", action="store_true", help="replace an existing file (kept as .bak)")
    p.add_argument(
        "--csv",
        type=a_path,
        default=None,
        help="build from this CSV in the embedded data's shape (e.g. one made by `demo`); "
        "default: the region's illustrative data",
    )

    p = sub.add_parser(
        "demo", help="write an illustrative data set for the region's authorities (benchmarks)"
    )
    p.add_argument(
        "--rows",
        type=whole_number,
        default=None,
        help="default: 800 for London's 33, in proportion",
    )
    p.add_argument("--seed", type=whole_number, default=demo.DEFAULT_SEED)
    p.add_argument("-o", "--output", type=a_path, required=True, help="CSV file to write")

    p = sub.add_parser("snapshots", help="list the stored snapshots")
    add_db_option(p)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("original", help="write the file a snapshot came from, byte for byte")
    add_db_option(p)
    p.add_argument("id", type=whole_number, help="the snapshot's id (see `snapshots`)")
    p.add_argument("-o", "--output", type=a_path, required=True, help="the file to write")

    p = sub.add_parser("export", help="write the current records, filtered as in the app")
    add_db_option(p)
    add_filter_options(p)
    p.add_argument(
        "--format",
        choices=["csv", "xlsx", "ics"],
        help="default: as -o's name ends (.xlsx, .ics), else csv; ics: a calendar of end dates "
        "and decide-by dates (Outlook, Google Calendar)",
    )
    p.add_argument("-o", "--output", type=a_path, help="file to write (default: standard output)")

    p = sub.add_parser(
        "collaborate",
        help=words("boroughs whose contracts for the same thing end close together"),
    )
    add_db_option(p)
    add_filter_options(p)
    # (no defaults here: a link to the Collaboration page gives these as its page showed them)
    p.add_argument(
        "--by",
        choices=list(collaboration.KEYS),
        help=f"what a group shares (default: {collaboration.DEFAULT_BY})",
    )
    p.add_argument(
        "--window-months",
        type=whole_number,
        help="end dates within this many months of a group's first end date (default: "
        f"{collaboration.DEFAULT_WINDOW_MONTHS})",
    )
    p.add_argument(
        "--include-ended", action="store_true", default=None, help="also contracts already ended"
    )
    p.add_argument("--today", type=iso_date, help="count from this date (YYYY-MM-DD)")
    p.add_argument("--json", action="store_true", help="print JSON")


@command("build")
def cmd_build(args: argparse.Namespace) -> int:
    path = lifecycle.db_path(args.db)
    kept, earlier, unusable = None, None, False
    if path.exists():
        if not args.force:
            raise Refused(f"{path} already exists; add --force to rebuild it (it is kept as .bak).")
        try:
            kept, earlier = lifecycle.keep_backup(path)
        except lifecycle.FileUnusable:  # damaged, or not a database: moved aside whole, as the
            unusable = True  # app's "Rebuild from the embedded data" does (never deleted)
    built = lifecycle.build(path, csv=args.csv, keep_old=unusable)
    kept = built if unusable else kept
    db = lifecycle.open_store(path)
    with db.read() as r:
        rows = r.scalar("SELECT count(*) FROM current_contracts")
        boroughs = r.scalar("SELECT count(DISTINCT borough_code) FROM current_contracts")
    db.close()
    print(
        f"Built {path}: {count(rows, 'illustrative record')} for "
        f"{count(boroughs, 'authority', 'authorities')}"
        f" ({regions.current().label})."
    )
    if kept is not None:
        print(f"The file it replaces is kept as {kept}.")
    if earlier is not None:
        print(f"The backup kept before it is now {earlier}.")
    return EXIT_OK


@command("demo")
def cmd_demo(args: argparse.Namespace) -> int:
    if args.rows is None:
        args.rows = demo.rows_for(regions.current().authorities)
    if args.rows < 1:
        raise UsageError("--rows must be at least 1.")
    output_format(args, ("csv",))  # (demo.xlsx: CSV under a workbook's name, as `coming`)
    n = demo.write_csv(args.output, rows=args.rows, seed=args.seed)
    print(f"Wrote {count(n, 'illustrative record')} to {args.output} (seed {args.seed}).")
    return EXIT_OK


@command("snapshots")
def cmd_snapshots(args: argparse.Namespace) -> int:
    with readcopy.open_for_reading(args.db, on_copy=note) as db:
        df = db.df(
            "SELECT s.id, s.borough_code, s.created_at, s.created_by, s.file_name,"
            " s.rows_imported, s.rows_rejected, s.status, s.kind, s.source, s.restored_from,"
            " s.rows_left_out"
            " FROM snapshots AS s ORDER BY s.id"
        )
    df["rows_left_out"] = df["rows_left_out"].astype("Int64")  # (none for a register)
    if args.json:
        print(df.to_json(orient="records", date_format="iso"))
    else:  # (a value not given, such as a snapshot restored from none, is "-", never "<NA>")
        table = df.astype(object)
        print(table.where(table.notna(), "-").to_string(index=False))
    return EXIT_OK


@command("original")
def cmd_original(args: argparse.Namespace) -> int:
    """The stored bytes of a snapshot's file (kept compressed in pieces: citydata.store.rawfiles),
    written piece by piece and checked against the SHA-256 they are kept under."""
    partial = args.output.with_name(f".{args.output.name}.partial")
    try:
        with readcopy.open_for_reading(args.db, on_copy=note) as db, db.read() as r:
            found = r.one(
                "SELECT s.file_name, s.file_hash, f.file_hash AS held FROM snapshots AS s"
                " LEFT JOIN raw_files AS f USING (file_hash) WHERE s.id = $id",
                {"id": args.id},
            )
            if found is None:
                raise Refused(f"There is no snapshot {args.id}.")
            if found["held"] is None:
                raise Refused(f"Snapshot {args.id} has no stored file.")
            digest = hashlib.sha256()
            with partial.open("wb") as out:
                for piece in rawfiles.pieces(r, found["file_hash"]):
                    digest.update(piece)
                    out.write(piece)
        if digest.hexdigest() != found["file_hash"]:
            raise Refused(f"The stored file of snapshot {args.id} is damaged.")
        partial.replace(args.output)
    finally:
        partial.unlink(missing_ok=True)
    print(f"Wrote {args.output}: {found['file_name']}, as received.")
    return EXIT_OK


@command("export")
def cmd_export(args: argparse.Namespace) -> int:
    asked = output_format(args, ("csv", "xlsx", "ics"))  # -o contracts.xlsx: a workbook
    if args.format and asked and args.format != asked:
        raise UsageError(
            f"-o {args.output} is named as {AS_A[asked]}, but --format is {args.format}: give "
            "one of them, or the same in both."
        )
    args.format = args.format or asked or "csv"
    if args.format == "xlsx" and not args.output and sys.stdout.isatty():
        raise UsageError(
            "An Excel workbook cannot be shown on the screen: give -o FILE.xlsx, or send it to a "
            "file with > FILE.xlsx."
        )
    state = filter_state(args)
    if args.format == "ics":
        return _export_ics(args, state)
    # While the app serves, this reads a copy of the database made just now (readcopy).
    with readcopy.open_for_reading(args.db, on_copy=note) as db, db.read() as r:
        out = args.output or sys.stdout.buffer
        if args.format == "csv":  # streamed by DuckDB: any number of records
            written = exports.save_records_csv(r, state, out, labels=False)
        else:
            found = exports.record_count(r, state)
            if found > workbook.EXCEL_MAX_ROWS:
                raise Refused(
                    f"{found:,} records are more than an Excel sheet holds "
                    f"({workbook.EXCEL_MAX_ROWS + 1:,} rows): use --format csv or narrow "
                    "the filters."
                )
            # the app's Excel download, streamed from DuckDB: never whole in memory
            written = exports.save_records_xlsx(r, state, out, labels=False)
    if args.output:
        print(f"Wrote {count(written, 'record')} to {args.output}.", file=sys.stderr)
    return EXIT_OK


def _export_ics(args: argparse.Namespace, state: FilterState) -> int:
    try:
        lead = pipeline.load_lead_times()
    except pipeline.LeadTimeError as exc:
        raise Refused(str(exc)) from None
    with readcopy.open_for_reading(args.db, on_copy=note) as db, db.read() as r:
        # as on the Calendar page: the contracts ending nearest today
        df = pipeline.with_decide_by(r, state, lead, ics.MAX_CONTRACTS)
    if df.empty:  # (a calendar file needs an event: RFC 5545; the Calendar page offers none)
        raise Refused(
            "No record these filters select has an end date, so there is no event "
            "to put in a calendar."
        )
    name, identity = ics.for_selection(state)
    data = ics.build(df, name=name, identity=identity)
    if args.output:
        args.output.write_bytes(data)
        nearest = " (the most a calendar holds: those ending nearest today)"
        print(
            f"Wrote {count(ics.event_count(df), 'event')} for {count(len(df), 'contract')}"
            f"{nearest if len(df) == ics.MAX_CONTRACTS else ''} to {args.output}.",
            file=sys.stderr,
        )
    else:
        sys.stdout.buffer.write(data)
    return EXIT_OK


@command("collaborate")
def cmd_collaborate(args: argparse.Namespace) -> int:
    state = filter_state(args, COLLABORATION, tuple(_COLLABORATION_CHOICES))
    by, window, ended = (
        link_choice(args, COLLABORATION, key, getattr(args, dest), option, read)
        for key, (dest, option, read) in _COLLABORATION_CHOICES.items()
    )
    try:
        q = collaboration.Query(
            by or collaboration.DEFAULT_BY,
            collaboration.DEFAULT_WINDOW_MONTHS if window is None else window,
            bool(ended),
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    today = args.today or dates.today()
    with readcopy.open_for_reading(args.db, on_copy=note) as db, db.read() as r:
        groups = collaboration.groups(r, state, q, today)
        members = collaboration.members(r, state, q, today)
    if args.json:
        print_json(group_briefing.report(groups, members, q, today))
    else:
        print(group_briefing.as_text(groups, q))
    return EXIT_OK


COLLABORATION = "collaborate"  # the Collaboration page's address


def _grouping(raw: str) -> str:
    """The Collaboration page's grouping as its link writes it ("Vendor in a service area")."""
    labels = {text.capitalize(): key for key, text in collaboration.KEYS.items()}
    if raw in labels or raw in collaboration.KEYS:
        return labels.get(raw, raw)
    raise ValueError(f"it has {', '.join(labels)}")


def _window(raw: str) -> int:
    """The page's window as its link writes it: within the page's slider, as the page takes it
    (it shows 6 months for a link's 30, with a note)."""
    top = collaboration.PAGE_MAX_WINDOW_MONTHS
    if raw.isdecimal() and 1 <= int(raw) <= top:  # (isdigit takes "²", which int() refuses)
        return int(raw)
    raise ValueError(f"it has a whole number of months from 1 to {top}")


def _yes_no(raw: str) -> bool:
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise ValueError("it has true or false")


# The Collaboration page's choices in its link: the option each is, and how its value is read.
_COLLABORATION_CHOICES = {
    "group_by": ("by", "--by", _grouping),
    "window": ("window_months", "--window-months", _window),
    "include_ended": ("include_ended", "--include-ended", _yes_no),
}
