"""python -m citydata who-can-help SYSTEM: the boroughs that run a system, with their in-house
skill level, contact role and satisfaction, best first (the Adoption page's "Who can help").

A read: while the app serves, it reads a copy of the database made just now (readcopy).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import pandas as pd
from rapidfuzz import process

from citydata import readcopy
from citydata.cli.common import (
    EXIT_OK,
    Refused,
    UsageError,
    a_path,
    add_db_option,
    add_filter_options,
    authority,
    command,
    filter_state,
    iso_date,
    link_choice,
    note,
    output_format,
    print_json,
    words,
)
from citydata.core import boroughs, dates
from citydata.core.formatting import count
from citydata.core.keys import fold_spacing
from citydata.output import exports
from citydata.query import adoption, skills
from citydata.query.filters import FilterState


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "who-can-help",
        help=words("the boroughs that run a system, with their in-house skill and satisfaction"),
    )
    p.add_argument(
        "name",
        metavar="SYSTEM",
        nargs="?",
        help="the system, as the app names it (e.g. Mosaic); or the system of a --url link to "
        "the Adoption page",
    )
    add_db_option(p)
    add_filter_options(p)
    p.add_argument(
        "--besides",
        metavar=words("Borough").upper(),
        help=words("leave out this borough (yours)"),
    )
    p.add_argument("--today", type=iso_date, help="the day for next end dates (default: today)")
    p.add_argument("-o", "--output", type=a_path, help="write CSV here (default: print a table)")
    p.add_argument("--json", action="store_true", help="print JSON")


@command("who-can-help")
def cmd_who_can_help(args: argparse.Namespace) -> int:
    output_format(args, ("csv",))
    state = filter_state(args, "adoption", ("adoption_system",))
    name = link_choice(args, "adoption", "adoption_system", args.name, "SYSTEM", str, _same)
    if not name:
        raise UsageError(
            "Name the system, as the Adoption page lists it (e.g. Mosaic), or give --url a "
            "link to the Adoption page with a system chosen."
        )
    besides = None
    if args.besides:
        besides = authority(args.besides).name
    today = args.today or dates.today()
    with readcopy.open_for_reading(args.db, on_copy=note) as db, db.read() as r:
        names = adoption.system_names(r, FilterState())
        system = _known_system(name, names)
        table = _dates_as_dates(skills.who_can_help(r, state, system, besides=besides, today=today))
    sentence = skills.in_words(table, system, boroughs.noun())
    if args.json:
        print_json({"system": system, "summary": sentence, "boroughs": table.to_dict("records")})
        return EXIT_OK
    if args.output:
        args.output.write_bytes(exports.to_csv(_labelled(table)))
        note(f"{sentence}\nWrote {count(len(table), boroughs.noun())} to {args.output}.")
        return EXIT_OK
    print(sentence)
    if not table.empty:
        shown = _labelled(table).astype(object).fillna("").astype(str)
        print()
        print(shown.to_string(index=False))
    return EXIT_OK


def _labelled(table: pd.DataFrame) -> pd.DataFrame:
    """The table's columns as people read them, in the region's words (skills.labelled)."""
    return skills.labelled(table)


def _dates_as_dates(table: pd.DataFrame) -> pd.DataFrame:
    """The next contract end as a date (2029-01-31), as the app and the CSV show it, not as a
    timestamp at midnight; None when a borough has none."""
    table = table.copy()
    ends = pd.to_datetime(table["next_end"])
    table["next_end"] = [d.date() if pd.notna(d) else None for d in ends]
    return table


def _same(given: str, linked: str) -> bool:
    """The system named and the link's are one (as `_known_system` reads a name)."""
    return fold_spacing(given) == fold_spacing(linked)


def _known_system(written: str, names: list[str]) -> str:
    """The system as the app names it, however `written` is capitalised or spaced ("MOSAIC "
    is "Mosaic", the spelling most records use: citydata.query.system_groups); Refused with
    the nearest names when there is none."""
    folded = fold_spacing(written)
    for name in names:
        if fold_spacing(name) == folded:
            return name
    near = [m[0] for m in process.extract(written, names, limit=3, score_cutoff=60)]
    hint = f" Did you mean: {'; '.join(near)}?" if near else ""
    print(f"No system is called “{written[:80]}” in the data.{hint}", file=sys.stderr)
    raise Refused("Name a system as the app lists it (the Adoption page lists them all).")
