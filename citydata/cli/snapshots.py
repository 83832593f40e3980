"""python -m citydata import / rollback / backup / restore: the commands that change the data.

They register themselves with `citydata.cli` (which imports this module). They open the database
read-write; while the app is running it holds the file, so they refuse with a message saying so
(exit 1) and change nothing: upload through the app then, or stop it first. That is deliberate:
one process writes at a time, and the app's readers never see a half-written change.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import Any

from citydata import ingest, lifecycle, readcopy
from citydata.cli.common import (
    EXIT_OK,
    EXIT_REFUSED,
    NOTHING_WRITTEN,
    Refused,
    a_path,
    add_db_option,
    authority,
    cli_user,
    command,
    note,
    print_json,
    refusal,
    shown,
    whole_number,
    words,
)
from citydata.core import settings
from citydata.core.formatting import count
from citydata.feeds import counts
from citydata.ingest import read, report
from citydata.ingest.report import format_label
from citydata.output import backup, restores
from citydata.store import previews, rollbacks, snapshots, withdrawals
from citydata.store.db import StoreError
from citydata.store.previews import BoroughChange, CommitRefused


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("import", help="check a register file and store it as new snapshots")
    p.add_argument("file", type=a_path, help="CSV, Excel (.xlsx) or OCDS JSON file")
    add_db_option(p)
    p.add_argument(
        "--borough",
        metavar=words("Borough").upper(),
        help=words("the borough a single-borough file is for"),
    )
    p.add_argument("--dry-run", action="store_true", help="check and compare; write nothing")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--user", help="recorded as who imported (default: your login name)")

    p = sub.add_parser("rollback", help="make an earlier snapshot current again")
    p.add_argument("id", type=whole_number, help="the snapshot to go back to (see `snapshots`)")
    add_db_option(p)
    p.add_argument("--user", help="recorded as who rolled back (default: your login name)")

    p = sub.add_parser("backup", help="write everything the database holds to one zip file")
    add_db_option(p)
    p.add_argument("-o", "--output", type=a_path, required=True, help="the .zip file to write")

    p = sub.add_parser("restore", help="replace the database's data with a backup's")
    p.add_argument("file", type=a_path, help="a .zip file made by `backup`")
    add_db_option(p)


@command("import")
def cmd_import(args: argparse.Namespace) -> int:
    if args.borough:
        authority(args.borough)  # a usage error when it names none
    limit = settings.upload_limit_bytes()
    with args.file.open("rb") as f:  # no more than the largest file accepted, and a byte
        content = f.read(limit + 1)
        size = os.fstat(f.fileno()).st_size  # (0 for a device or a pipe: not known)
    prepared = ingest.prepare(content, args.file.name, borough=args.borough)
    if len(content) > limit:  # refused, unread: its size as the file system knows it
        prepared.refused = read.too_big(size if size > limit else None, limit)
    out: dict[str, Any] = prepared.to_json() | {
        "snapshot_ids": [],
        "rows_imported": 0,
        "records_imported": 0,
        "dry_run": bool(args.dry_run),
        "changes": [],
    }
    kept_none = counts.nothing_kept(prepared) if len(content) <= limit else ""
    if kept_none:  # notices, each left out for a reason with nothing to fix: not refused
        written = "" if args.dry_run else " Nothing was written."
        out["refused"], out["message"] = None, kept_none + written
        return _report(args, prepared, out, [], EXIT_OK)
    if prepared.refused or (prepared.rows_accepted == 0 and not prepared.withdrawn):
        out["refused"] = prepared.refused or "No row of this file can be imported."
        return _report(args, prepared, out, [], EXIT_REFUSED)
    changes: list[BoroughChange] = []
    announced = []  # "Writing N snapshots…" said: a refusal after it says nothing was written

    def writing(snapshot_count: int) -> None:
        """Said once the commit's checks have passed, as its writing starts (snapshots.commit):
        not before a refusal (someone else committed meanwhile, or nothing would change)."""
        print(f"Writing {count(snapshot_count, 'snapshot')}…", file=sys.stderr, flush=True)
        announced.append(snapshot_count)

    # A dry run writes nothing at all: where opening the file would build or migrate it, it
    # compares with a private copy made ready instead (readcopy.open_for_preview).
    try:
        with contextlib.ExitStack() as stack:
            if args.dry_run:
                db = stack.enter_context(readcopy.open_for_preview(args.db))
            else:
                db = lifecycle.open_store(args.db)
                stack.callback(db.close)
            changes = previews.preview(db, prepared)
            out["changes"] = [_change_json(c) for c in changes]
            out["rows_imported"] = prepared.rows_accepted
            out["records_imported"] = prepared.records_accepted
            if not args.dry_run:
                expect = {c.borough_code: c.base_snapshot_id for c in changes}
                try:
                    out["snapshot_ids"] = snapshots.commit(
                        db, prepared, content, cli_user(args), expect=expect, writing=writing
                    )
                except snapshots.NothingChanged as exc:
                    # notices all held already (feeds overlap): done, in the history too, as
                    # the Published notices page's import is; a register is refused
                    held = counts.record_upload(
                        db, prepared, cli_user(args), [], changes, "" if exc.noted else str(exc)
                    )
                    if held is not None and not exc.noted:
                        out["message"] = held.summary()
                    raise
                # notices: their line in the fetch history, as the Upload page writes one
                counts.record_upload(db, prepared, cli_user(args), out["snapshot_ids"], changes)
    except snapshots.NothingChanged as exc:
        out["rows_imported"] = out["records_imported"] = 0
        if exc.noted:  # newer releases that changed nothing else: their dates kept, no snapshot
            out["message"] = str(exc)
            return _report(args, prepared, out, changes, EXIT_OK)
        if out.get("message"):  # notices all held already: nothing new, nothing wrong
            return _report(args, prepared, out, changes, EXIT_OK)
        out["refused"] = str(exc)
        return _report(args, prepared, out, changes, EXIT_REFUSED, bool(announced))
    except (CommitRefused, StoreError) as exc:
        out["refused"] = str(exc)
        out["rows_imported"] = out["records_imported"] = 0
        return _report(args, prepared, out, changes, EXIT_REFUSED, bool(announced))
    return _report(args, prepared, out, changes, EXIT_OK)


def _changed(changes: list[BoroughChange]) -> list[BoroughChange]:
    """The boroughs a commit makes a new snapshot for: those the file changes."""
    return [c for c in changes if not c.diff.is_empty]


def _change_json(c: BoroughChange) -> dict[str, Any]:
    return {
        "borough_code": c.borough_code,
        "borough": c.borough,
        "replaces_snapshot": c.base_snapshot_id,
        "records_before": c.before,
        "records_after": c.after,
        "added": len(c.diff.added),
        "removed": len(c.diff.removed),
        "changed": c.diff.records_changed,
        # records left out: older than the notice held, older than another release in the file
        "older_than_held": c.older,
        "older_in_file": c.older_in_file,
        # notices withdrawn or cancelled: those held no longer shown, those not held left out
        "withdrawn": c.withdrawn,
        "withdrawn_not_held": c.withdrawn_not_held,
        # notices held whose newer release no longer names the council a buyer: no longer shown
        "no_longer_a_buyer": c.dropped,
    }


def _report(
    args: argparse.Namespace,
    prepared: Any,
    out: dict[str, Any],
    changes: list[BoroughChange],
    code: int,
    announced: bool = False,
) -> int:
    if args.json:
        if announced:  # the database failed once writing had started: said where "Writing" was
            print(NOTHING_WRITTEN, file=sys.stderr, flush=True)
        print_json(out)
        return code
    if code != EXIT_OK:  # first: what follows says what was found, not what was done
        print(f"refused: {refusal(out['refused'])}", file=sys.stderr, flush=True)
    recognised = f"{prepared.file_name}: recognised as {format_label(prepared.format)}"
    if prepared.refused:  # refused as a whole: no row of it is imported, whatever it holds
        if prepared.rows_read:
            print(f"{recognised}; {count(prepared.rows_read, 'row')} read, none imported.")
        elif prepared.columns:  # (no columns: not read as a table at all; the refusal says why)
            print(f"{recognised}.")
    else:
        print(f"{recognised}.")
        print(
            f"  {count(prepared.rows_read, 'row')} read: {prepared.rows_accepted:,} accepted"
            f"{_records_note(prepared)}, "
            f"{prepared.rows_refused:,} refused, {_left_out_note(prepared)}"
            f"{prepared.rows_warned:,} imported with a change."
        )
        if entries := prepared.not_notices:  # (not rows: no row was made of them)
            what = "entry that is not a notice" if entries == 1 else "entries that are not notices"
            print(f"  Also left out: {entries:,} {what} in the list of notices.")
        if unused := prepared.unused_columns:  # as the Upload page names them
            print(
                shown(
                    "  These columns will not be imported: "
                    + ", ".join(f"“{c}”" for c in unused)
                    + ". If one of them holds a field, rename its heading as the template "
                    "names the field."
                )
            )
    for line in _problem_lines(prepared):
        print(line)
    for c in changes:
        now = count(c.before, "record")
        left_out = "".join(f"; {part}" for part in snapshots.left_out(c))
        print(f"  {c.borough}: {now} now, {c.after:,} after ({c.diff.summary()}{left_out})")
    if code != EXIT_OK:
        return code  # the refusal was said first
    if args.dry_run:
        if changes and not _changed(changes):  # as the Upload page says: importing is refused
            print(f"  {previews.unchanged_message(changes)}")
        if out.get("message"):  # (a notices file with nothing the region keeps)
            print(f"  {out['message']}")
        print("Dry run: nothing was written.")
    elif not out["snapshot_ids"]:  # only the notices' newer release dates were kept
        print(f"  {out['message']}")
    else:
        ids = out["snapshot_ids"]
        label = "snapshot" if len(ids) == 1 else "snapshots"
        print(f"Imported: {label} {', '.join(map(str, ids))}.")
    return code


def _problem_lines(prepared: Any) -> list[str]:
    """The file's problems, one line each, in the order of its rows; then, apart, a notices
    file's rows left out with nothing to fix (another council's, not technology, an older
    release, withdrawn), each "(left out)" with why, as the Upload page lists them."""
    lines = _lines(prepared, [*prepared.file_notes, *prepared.row_faults], "problem")
    if left_out := prepared.left_out_problems:
        lines.append(f"  Rows left out, with nothing to fix ({prepared.rows_left_out:,}):")
        lines += _lines(prepared, left_out, "row left out", report.LEFT_OUT)
    return lines


def _lines(prepared: Any, problems: list[Any], noun: str, outcome: str | None = None) -> list[str]:
    """One line each; more than report.SHOWN are summed up by kind: the first few of each kind
    and how many more rows are like them (a payments file's 639 lines with a value too few,
    say), at most report.KINDS kinds."""
    if len(problems) <= report.SHOWN:
        return [_problem_line(prepared, p, outcome) for p in problems]
    lines = []
    kinds = report.kinds(problems)
    for kind in kinds[: report.KINDS]:
        lines += [_problem_line(prepared, p, outcome) for p in kind.examples]
        if kind.more:
            lines.append(f"    {kind.more_like_this()}")
    if beyond := report.beyond_kinds(kinds):
        lines.append(f"  … and {beyond}.")
    lines.append(f"  {count(len(problems), noun)} in all: add --json to list every one.")
    return lines


def _problem_line(prepared: Any, p: Any, outcome: str | None = None) -> str:
    where = p.where()
    if p.value:
        where += f" (“{p.value}”)"
    # (None for a note about the file: its reason says it all)
    outcome = outcome or prepared.outcome(p)
    return shown(f"  {where}: {p.reason}") + (f" ({outcome})" if outcome else "")


@command("rollback")
def cmd_rollback(args: argparse.Namespace) -> int:
    db = lifecycle.open_store(args.db)
    try:
        new_id = rollbacks.rollback(db, args.id, cli_user(args))
        with db.read() as r:
            again = snapshots.illustrative_again(r, new_id)
            left_out = withdrawals.left_out(withdrawals.kept_out(r, new_id))
    except CommitRefused as exc:
        raise Refused(str(exc)) from exc
    finally:
        db.close()
    if left_out:
        print(
            f"Rolled back: snapshot {new_id} holds the records of snapshot {args.id} and is now "
            f"current, but {left_out}: a rollback never brings back a notice its publisher "
            "has since said was withdrawn, cancelled or unsuccessful."
        )
    else:
        print(f"Rolled back: snapshot {new_id} is a copy of snapshot {args.id} and now current.")
    if again:
        print(again)
    return EXIT_OK


@command("backup")
def cmd_backup(args: argparse.Namespace) -> int:
    partial = args.output.with_name(f".{args.output.name}.partial-{os.getpid()}")
    try:
        with readcopy.open_for_reading(args.db, on_copy=note) as db, partial.open("wb") as f:
            manifest = backup.write(db, f)
        partial.replace(args.output)
    finally:
        partial.unlink(missing_ok=True)
    rows = manifest["tables"]
    print(
        f"Wrote {args.output}: {count(rows['snapshots']['rows'], 'snapshot')}, "
        f"{count(rows['contracts']['rows'], 'record')}, "
        f"{count(len(manifest['raw_files']), 'stored file')}."
    )
    return EXIT_OK


@command("restore")
def cmd_restore(args: argparse.Namespace) -> int:
    # Read from the file piece by piece as it is checked, never whole in memory; a backup too
    # big to restore is refused by its size, unread, before the database is opened.
    try:
        with restores.opened(args.file) as archive:
            db = lifecycle.open_store(args.db)
            try:
                restored = restores.restore(db, archive)
            finally:
                db.close()
    except backup.BackupError as exc:
        raise Refused(str(exc)) from exc
    print(restored.summary())
    return EXIT_OK


def _left_out_note(prepared: Any) -> str:
    """'5 left out, ' for a notices file (rows not technology, another council's, an older
    release or withdrawn: nothing to fix, so not refused), else nothing."""
    if getattr(prepared, "source_kind", "register") != "published":
        return ""
    return (
        f"{prepared.rows_left_out:,} left out (not technology, another council's, older or "
        "withdrawn), "
    )


def _records_note(prepared: Any) -> str:
    """' (3 records)' when the accepted rows give more records than rows (a row naming two
    suppliers gives a record for each, a notice two councils bought together one for each
    council), else nothing."""
    if prepared.records_accepted == prepared.rows_accepted:
        return ""
    return f" ({count(prepared.records_accepted, 'record')})"
