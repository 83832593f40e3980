"""python -m citydata aliases: list, suggest and accept vendor aliases.

Registers itself with `citydata.cli` (which imports this module). Without options it lists the
alias table; `--suggest` lists near-duplicate spellings in the current records; `--accept
"ALIAS=VENDOR"` (repeatable) groups a spelling under a vendor; `--sync` adds rows of
data/vendor_aliases.csv the database lacks. Accepting and syncing write to the database, so they
refuse (exit 1) while the running app holds the file.
"""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd

from citydata import lifecycle, readcopy
from citydata.cli.common import (
    EXIT_OK,
    Refused,
    UsageError,
    add_db_option,
    cli_user,
    command,
    note,
    whole_number,
)
from citydata.core.formatting import count
from citydata.store import matches, vendors
from citydata.store.db import Reader


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("aliases", help="vendor spellings grouped under one vendor")
    add_db_option(p)
    p.add_argument("--suggest", action="store_true", help="list near-duplicate vendor spellings")
    p.add_argument(
        "--cutoff",
        type=whole_number,
        help=f"with --suggest: names at least this alike, 0-100 (default {vendors.DEFAULT_CUTOFF})",
    )
    p.add_argument(
        "--accept",
        action="append",
        default=[],
        metavar="ALIAS=VENDOR",
        help='group a spelling under a vendor, e.g. "CAPITA PLC=Capita" (repeatable)',
    )
    p.add_argument("--sync", action="store_true", help="add rows of data/vendor_aliases.csv")
    p.add_argument(
        "--user", help="with --accept: recorded as who accepted (default: your login name)"
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def _pairs(items: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for item in items:
        alias, sep, vendor = item.partition("=")
        if not sep or not alias.strip() or not vendor.strip():
            raise UsageError(f"--accept takes ALIAS=VENDOR, not “{item}”.")
        pairs.append((alias.strip(), vendor.strip()))
    return pairs


def _print(df: pd.DataFrame, as_json: bool, empty: str, labels: dict[str, str]) -> None:
    """JSON with the documented keys, or a table with the Vendor names page's columns."""
    if as_json:
        print(df.to_json(orient="records", date_format="iso"))
    elif df.empty:
        print(empty)
    else:
        print(df[list(labels)].rename(columns=labels).to_string(index=False))


@command("aliases")
def cmd_aliases(args: argparse.Namespace) -> int:
    if args.cutoff is not None and not args.suggest:  # (else taken, and ignored, unsaid)
        raise UsageError("--cutoff is how alike suggested names are: give it with --suggest.")
    if args.user and not args.accept:
        raise UsageError("--user is recorded as who grouped a spelling: give it with --accept.")
    args.cutoff = vendors.DEFAULT_CUTOFF if args.cutoff is None else args.cutoff
    if not 0 <= args.cutoff <= 100:
        raise UsageError("--cutoff must be between 0 and 100.")
    pairs = _pairs(args.accept)
    if not pairs and not args.sync:  # a read: while the app serves, from a copy made just now
        with readcopy.open_for_reading(args.db, on_copy=note) as db, db.read() as r:
            _show(r, args, listing=True)
        return EXIT_OK
    db = lifecycle.open_store(args.db)
    try:
        if pairs:  # first: one that cannot be accepted is refused before anything is written
            try:  # all or none
                stored = vendors.accept_aliases(db, pairs, cli_user(args))
            except vendors.AliasError as exc:
                raise Refused(str(exc)) from None
            if not args.json:
                for (alias, _), vendor in zip(pairs, stored, strict=True):
                    print(f"Grouped “{alias}” under “{vendor}”.")
        added = 0
        if args.sync:
            with db.write() as w:
                added = vendors.seed(w)
            if not args.json:
                print(f"Added {count(added, 'alias', 'aliases')} from {vendors.SEEDED_BY}.")
        if pairs or added:
            matches.refresh_all(db)  # a vendor grouped anew may match notices to records
        with db.read() as r:
            _show(r, args, listing=args.json)  # (after a change, the table only as JSON)
    finally:
        db.close()
    return EXIT_OK


def _show(r: Reader, args: argparse.Namespace, *, listing: bool) -> None:
    """The suggestions when asked for, else, with `listing`, the alias table."""
    if args.suggest:
        found = vendors.suggest_aliases(r, args.cutoff)
        _print(found, args.json, "No suggestions.", vendors.SUGGESTION_LABELS)
    elif listing:
        _print(vendors.aliases(r), args.json, "No aliases.", vendors.ALIAS_LABELS)
