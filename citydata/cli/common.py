"""What every command shares: exit codes, errors, the command table, common options."""

from __future__ import annotations

import argparse
import getpass
import json
import math
import re
import sys
from collections.abc import Callable, Collection
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from citydata import lifecycle, readcopy
from citydata.core import boroughs, regions, settings
from citydata.core.text import shorten
from citydata.query import corrections, filters, links, selection
from citydata.query.filters import FilterState

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2

Command = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, Command] = {}


class UsageError(Exception):
    """Wrong words on the command line: exit 2."""


class Refused(Exception):
    """The request was understood but cannot be done: exit 1, nothing written (the message
    says so: `refusal`)."""


NOTHING_WRITTEN = "Nothing was written."
# How a message of a lower layer may already say it (the app's pages say "changed" or "stored").
_ALREADY_SAID = (
    "Nothing was written.",
    "Nothing was changed.",
    "Nothing was stored.",
    "Nothing was imported.",
)


# What a terminal acts on rather than shows: escape sequences (clear the screen, retitle the
# window, make a link), the bell, backspace, line breaks, and the overrides that reorder a line.
_ACTED_ON = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SHOWN_AS = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def shown(text: str) -> str:
    """Text from a file (a cell quoted in a problem) as a terminal shows it, never acts on it:
    each such character written out ('\\x1b', '\\n'), on one line."""
    if not _ACTED_ON.search(text):
        return text
    return _ACTED_ON.sub(lambda m: _SHOWN_AS.get(m[0]) or f"\\u{ord(m[0]):04x}", text)


def refusal(text: str) -> str:
    """A refusal's line, after "refused: ": the reason, then "Nothing was written.", said the
    same way by every command (a reason that says it in other words is not said twice)."""
    text = shown(text.strip())
    for said in _ALREADY_SAID:
        if text.endswith(said):
            text = text.removesuffix(said).rstrip()
            break
    if text and not text.endswith((".", "?", "!", ".)", "?)", ".”", "?”")):
        text += "."  # a sentence ends before the next: "(at line 3)" takes one after it
    return f"{text} {NOTHING_WRITTEN}".strip()


def words(text: str) -> str:
    """Help and messages in the region's words ('council' outside London); as written when
    CITYTOOLS_REGION cannot be used, so that building the parser never fails on the setting."""
    try:
        return boroughs.reword(text)
    except settings.SettingError:
        return text


def command(name: str) -> Callable[[Command], Command]:
    def register(fn: Command) -> Command:
        COMMANDS[name] = fn
        return fn

    return register


def a_path(text: str) -> Path:
    """A file or folder given on the command line, `~` read as the home folder as the
    settings read it (quoted, the shell leaves it as it is); a usage error in words when it
    names none (`~nosuchuser/x.duckdb`), never a fault of the program."""
    try:
        return settings.expand(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"“{text[:200]}”: {exc}") from None


def add_db_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db",
        type=a_path,
        help=f"database file (default: ${lifecycle.ENV_VAR} or data/citytools.duckdb)",
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


def authority(text: str) -> boroughs.Authority:
    """The region's authority an option names (`import --borough`, `reconcile --borough`,
    `who-can-help --besides`); a usage error otherwise, the same words from every command,
    with the nearest names."""
    found = boroughs.resolve(text)
    if found is not None:
        return found
    region = regions.current()
    shown = text[:60]
    if region.is_london and (where := corrections.outside_region(text)) is not None:
        message = f"“{shown}” is {where}: this app is set up for {region.describe()}"
    elif region.is_london:
        message = f"No London borough is called “{shown}”"
    else:
        message = str(boroughs.UnknownBorough(shown))
    near = boroughs.near(text)
    if near:
        message += f" (did you mean {' or '.join(near)}?)"
    raise UsageError(message + ".")


def cli_user(args: argparse.Namespace) -> str:
    """Who to record for a change made from the command line: --user, else the login name."""
    if args.user:
        return " ".join(args.user.split())[:100]
    try:
        return f"{getpass.getuser()} (command line)"
    except (KeyError, OSError):
        return "command line"


def filter_state(
    args: argparse.Namespace, page: str = "", takes: Collection[str] = ()
) -> FilterState:
    """The filters of the options or --url, cleaned up as the app's sidebar cleans them up:
    values not in the data are dropped and a back-to-front end-date range is swapped, each
    change said on stderr. A date that is not a date is a usage error, and so is a filter none
    of whose values is in the data: the sidebar would show everything, with a note, to a person
    looking at the page; a command would write or list everything.

    The link's other parameters are named on stderr as not used, but the choices `takes` of a
    link to `page` (the command's own page), which the command reads with `link_choice`."""
    if args.url:
        link = read_link(args.url)
        used = takes if link.page == page else ()
        if unused := links.unused_note(link, used, f"`{named(args)}`"):
            print(f"Note: {shown(unused)}", file=sys.stderr)
        if given := _options_given(args):  # (the link's filters would silently win)
            raise UsageError(
                f"Give the filters as options or as --url, not both: {', '.join(given)} would "
                "be ignored in favour of the link's. Choose them in the app and copy the link "
                "again, or give every filter as an option."
            )
        params = link.params
    else:
        params = {c.key: getattr(args, c.key) for c in filters.CHOICES}
        params |= {"end_from": [args.end_from or ""], "end_to": [args.end_to or ""]}
        params |= {"q": [args.q]}
    state, notes = links.from_query_params(params)
    if notes:  # (the app ignores a date it cannot read, and says so; a command stops)
        raise UsageError(" ".join(n.replace("; ignored.", ".") for n in notes))
    if state.is_empty():
        return state
    # a read: while the app serves, from a copy of the database made just now (readcopy)
    with readcopy.open_for_reading(args.db) as db, db.read() as r:
        options = selection.options(r)
        state, regrouped = selection.regrouped(r, state)  # as the app reads a link
    clean, notes = corrections.normalise(state, options)
    notes = regrouped + notes
    emptied = [c for c in filters.CHOICES if getattr(state, c.key) and not getattr(clean, c.key)]
    if emptied:  # every value of a filter left out: the answer would be about every one
        unknown = corrections.unknown(state, options)
        them = "it" if _left_out(state, clean) == 1 else "them"
        raise UsageError(
            f"{' '.join(unknown)} Without {them}, the answer would cover every "
            f"{emptied[0].said}, not what was asked."
        )
    state = clean
    for note in notes:
        print(f"Note: {note}", file=sys.stderr)
    if notes:
        print(f"Using: {filters.summary(state, 'records')}.", file=sys.stderr)
    return state


def link_choice(
    args: argparse.Namespace,
    page: str,
    key: str,
    given: Any,
    option: str,
    read: Callable[[str], Any],
    same: Callable[[Any, Any], bool] = lambda a, b: a == b,
) -> Any:
    """A choice the command shares with its `page`: from the option (`given`, None when not
    given) or from a --url link to that page (its parameter `key`, turned into the option's
    value by `read`, which raises ValueError saying what the page offers). Both given and
    different is a usage error, as for the filters; so is a link's value its page does not
    offer (as a link's date that is not a date). None when neither gives it."""
    link = read_link(args.url) if getattr(args, "url", None) else None
    raw = link.choices().get(key) if link is not None and link.page == page else None
    if raw is None:
        return given
    label = links.setting_label(key)
    try:
        value = read(raw)
    except ValueError as exc:
        raise UsageError(
            f"The link's {label} “{shown(shorten(raw, 60))}” is not one its page offers ({exc}): "
            f"copy the link from the page again, or give {option}."
        ) from None
    if given is not None and not same(given, value):
        raise UsageError(
            f"The link's {label} is “{shown(shorten(raw, 60))}” and {option} "
            f"{'is given' if isinstance(given, bool) else f'says “{shown(str(given)[:60])}”'}: "
            f"give one of them (the link's is what its page showed)."
        )
    return value


# File endings that name a format a command may write, and the format each names.
_ENDINGS = {".csv": "csv", ".xlsx": "xlsx", ".ics": "ics", ".json": "json"}
AS_A = {"csv": "a CSV file", "xlsx": "an Excel workbook", "ics": "a calendar", "json": "JSON"}


def output_format(args: argparse.Namespace, writes: tuple[str, ...]) -> str | None:
    """The format the name of `-o` asks for ("xlsx" for contracts.xlsx; None for a name with
    no such ending), when the command writes it; a usage error when it does not, rather than a
    file of one format under another's name (CSV in a .xlsx, which Excel refuses to open; a
    workbook in a .xls, which it opens after a warning). `--json` with `-o` is one too: the
    JSON goes to the screen, and -o would be left out."""
    output = getattr(args, "output", None)
    if output is None:
        return None
    if getattr(args, "json", False):
        raise UsageError(
            f"--json prints to the screen, and -o writes {writes[0].upper()}: give one of them."
        )
    ending = Path(output).suffix.lower()
    name_it = f"name it {' or '.join('.' + w for w in writes)}."
    if ending == ".xls":  # (a workbook under this name: Excel warns that they do not match)
        raise UsageError(
            f"-o {shown(str(output))} names an old-style Excel file (.xls), which "
            f"`{named(args)}` does not write: {name_it}"
        )
    asked = _ENDINGS.get(ending)
    if asked is None or asked in writes:
        return asked
    said = " or ".join(w.upper() for w in writes)
    raise UsageError(
        f"-o {shown(str(output))} is named as {AS_A[asked]}, but `{named(args)}` writes {said}: "
        f"{name_it}"
    )


def read_link(url: str) -> links.Link:
    """--url's link; a usage error, in words, for text that is no link."""
    try:
        return links.read(url)
    except links.BadLink as exc:
        raise UsageError(f"--url: {exc}") from None


def named(args: argparse.Namespace) -> str:
    """The command as typed: "export", "alerts send"."""
    action = getattr(args, "action", None)
    return f"{args.command} {action}" if action else args.command


def _options_given(args: argparse.Namespace) -> list[str]:
    """The filter options given on the command line, as typed ("--borough")."""
    given = [c.key for c in filters.CHOICES if getattr(args, c.key)]
    given += [k for k in ("end_from", "end_to") if getattr(args, k)]
    given += ["search"] if args.q.strip() else []
    return ["--" + key.replace("_", "-") for key in given]


def _left_out(given: FilterState, kept: FilterState) -> int:
    """How many filter values `normalise` left out of `given`."""
    return sum(len(getattr(given, c.key)) - len(getattr(kept, c.key)) for c in filters.CHOICES)


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}” is not a date (use YYYY-MM-DD)") from None


def whole_number(text: str) -> int:
    """An argument that is a count or an id, refused in words ("is not a whole number"), not
    in argparse's own ("invalid int value")."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}” is not a whole number") from None


def note(text: str) -> None:
    """A remark beside a command's output (on stderr, so piped output stays clean)."""
    print(text, file=sys.stderr)


def print_json(obj: object) -> None:
    """`obj` as JSON that any parser reads: a missing number (NaN, pandas' NA or NaT) is null,
    never the bare `NaN` Python's json module would write; other values it does not know are
    written as text (a date as 2027-03-31)."""
    print(json.dumps(_plain(obj), indent=2, default=str, allow_nan=False))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is pd.NA or value is pd.NaT:
        return None
    return value
