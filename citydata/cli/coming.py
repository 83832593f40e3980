"""python -m citydata coming: the Coming to market table, as CSV or JSON, and its calendar feed.

Values are left out when CITYTOOLS_HIDE_MARKET_VALUES is true, as on the page.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import Any

from citydata import lifecycle, readcopy
from citydata.cli.common import (
    EXIT_OK,
    Refused,
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
)
from citydata.core import dates, settings
from citydata.core.formatting import count
from citydata.output import alerts, exports
from citydata.query import opportunities, pipeline


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("coming", help="contracts coming to market, per service area")
    add_db_option(p)
    add_filter_options(p)
    p.add_argument(
        "--years",
        type=whole_number,
        choices=opportunities.YEARS,
        help=f"how far ahead to look (default: {opportunities.DEFAULT_YEARS})",
    )
    p.add_argument("--today", type=iso_date, help="the day to look ahead from (default: today)")
    p.add_argument("-o", "--output", type=a_path, help="write CSV here (default: print)")
    p.add_argument("--json", action="store_true", help="print JSON instead of CSV")
    p.add_argument(
        "--feed", action="store_true", help="also bring the subscribable calendar feed up to date"
    )


@command("coming")
def cmd_coming(args: argparse.Namespace) -> int:
    output_format(args, ("csv",))
    state = filter_state(args, "coming", ("coming_years",))
    years = link_choice(args, "coming", "coming_years", args.years, "--years", _years)
    years = opportunities.DEFAULT_YEARS if years is None else years
    secrets = settings.secrets_file()
    hide = opportunities.values_hidden(secrets)
    try:
        lead = pipeline.load_lead_times()
    except pipeline.LeadTimeError as exc:
        raise Refused(str(exc)) from None
    today = args.today or dates.today()
    folder = alerts.feeds_dir(secrets) if args.feed else None
    if args.feed and folder is None:  # (asked for, and none written: said, not left unsaid)
        note(
            "This installation publishes no calendar feeds (CITYTOOLS_FEEDS_DIR is off), so "
            "--feed wrote none."
        )
    # Only the feed writes: without it, a read (while the app serves, from a copy made just now).
    with contextlib.ExitStack() as stack:
        if folder is None:
            db = stack.enter_context(readcopy.open_for_reading(args.db, on_copy=note))
        else:
            db = lifecycle.open_store(args.db)
            stack.callback(db.close)
        with db.read() as r:
            table = opportunities.markets(r, state, lead, years, today)
        if folder is not None:
            path = alerts.write_market_feed(db, lead, folder, today, hide_values=hide)
            print(f"The calendar feed {path} is up to date.", file=sys.stderr)
    if hide:
        table = opportunities.without_values(table)
    if args.json:
        print_json(table.to_dict("records"))
        return EXIT_OK
    data = exports.to_csv(opportunities.labelled(table))
    if args.output:
        args.output.write_bytes(data)
        print(f"Wrote {count(len(table), 'service area')} to {args.output}.", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
    return EXIT_OK


def _years(raw: str) -> int:
    """The Coming to market page's years as its link writes them ("3 years")."""
    number = raw.removesuffix("years").removesuffix("year").strip()
    if number.isdecimal() and int(number) in opportunities.YEARS:  # (not isdigit: "²")
        return int(number)
    raise ValueError(f"it has {', '.join(map(str, opportunities.YEARS))} years")
