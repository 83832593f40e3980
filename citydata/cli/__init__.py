"""python -m citydata: every command, and the module that holds it.

- records.py: build, demo, snapshots (list), export, collaborate;
- snapshots.py: import, rollback, backup, restore (the commands that change the data);
- aliases.py: aliases; alerts.py: alerts; coming.py: coming (the Coming to market page's table);
- fetch.py: fetch, fetch-history, reconcile (published notices); skills.py: who-can-help.

Exit codes: 0 done, 1 refused (nothing written, and the line says so: "... Nothing was
written."), 2 usage error. Every failure is one plain line on stderr, never a traceback: a fault
of the program too (exit 1), unless CITYTOOLS_DEBUG is set. Each command module registers its
commands in `common.COMMANDS` through `add_parsers`; this module only puts them together.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from citydata import lifecycle
from citydata.cli import alerts, aliases, coming, fetch, records, skills, snapshots
from citydata.cli.common import (
    COMMANDS,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    Refused,
    UsageError,
    named,
    refusal,
)
from citydata.core import settings
from citydata.store.db import StoreError


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m citydata", description="City Tools Explorer's command line."
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (records, snapshots, aliases, alerts, coming, fetch, skills):
        module.add_parsers(sub)
    return top


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
        _check_output(args)
        _check_database(args)
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (Refused, StoreError, settings.SettingError) as exc:
        print(f"refused: {refusal(str(exc))}", file=sys.stderr)
        return EXIT_REFUSED
    except BrokenPipeError:  # the reader stopped reading (`... | head`): nothing to say
        _quiet_stdout()
        return EXIT_OK
    except OSError as exc:  # the system's words ("No such file or directory"), never Python's
        said = exc.strerror or "this computer could not read or write a file the command needed"
        if exc.filename:
            said += f": {exc.filename}"
        print(f"refused: {refusal(said)}", file=sys.stderr)
        return EXIT_REFUSED
    except Exception:  # a fault of the program, not of what was asked
        if os.environ.get(DEBUG):
            raise
        unchanged = " Nothing in the database was changed." if _only_reads(args) else ""
        print(
            "error: something went wrong inside City Tools Explorer: the "
            f"{named(args)} command did not finish.{unchanged} This is a fault in the "
            "program, not in what you asked: please report it with the command you ran. Run "
            f"it again with {DEBUG}=1 to see where it happened.",
            file=sys.stderr,
        )
        return EXIT_REFUSED


DEBUG = settings.DEBUG  # set: an unexpected failure shows its traceback, not the one-line message


# The commands that never write to the database (a file they are told to write aside).
READS = frozenset(
    {"demo", "snapshots", "original", "export", "collaborate", "backup", "who-can-help"}
    | {"reconcile", "fetch-history"}
)


def _only_reads(args: argparse.Namespace) -> bool:
    """Whether this command, with these options, only reads the database: a fault part-way
    then changed nothing in it (a command that writes may have committed a step before)."""
    action = getattr(args, "action", None)
    return (
        args.command in READS
        or (args.command == "coming" and not args.feed)
        or (args.command == "aliases" and not (args.accept or args.sync))
        or (args.command == "alerts" and (action == "list" or getattr(args, "dry_run", False)))
        or (args.command == "import" and args.dry_run)
    )


def _never_builds(args: argparse.Namespace) -> bool:
    """Whether a `--db` that is not there is refused: for every command that only reads (a
    mistyped path would answer from the illustrative records), but the two dry runs, which
    show what a first run would do with the embedded data (`import --dry-run`, `alerts send
    --dry-run`)."""
    dry_run = args.command == "import" or getattr(args, "action", None) == "send"
    return _only_reads(args) and not dry_run


def _quiet_stdout() -> None:
    """Point stdout at nothing, so that Python's own flush at exit does not fail again on the
    closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # (a test's stdout that is no file)
        pass
    finally:
        os.close(devnull)


def _check_database(args: argparse.Namespace) -> None:
    """Refuse, before any work, a command that only reads given a `--db` that is not there: a
    mistyped path would otherwise be built from the embedded data and the command would answer
    from its illustrative records (an export of 800 made-up contracts, exit 0)."""
    given = getattr(args, "db", None)
    if given and not Path(given).exists() and _never_builds(args):
        raise Refused(
            f"There is no database at {given}. A command that only reads never makes one: check "
            f"the path, or make one from the embedded data with "
            f"`python -m citydata build --db {given}`."
        )


def _check_output(args: argparse.Namespace) -> None:
    """Refuse, before any work, a file to write (`-o`) whose folder does not exist or cannot
    be written, or that is a folder: said with the file's own name, not the name of the
    part-written file some commands write first (and before a backup is made only to be thrown
    away)."""
    output = getattr(args, "output", None)
    if output and not Path(output).parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(output))
    if output and Path(output).is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(output))
    stream = output and Path(output).exists() and not Path(output).is_file()  # /dev/stdout
    if output and not stream and (why := lifecycle.unwritable(Path(output).parent)) is not None:
        raise Refused(  # (else said with the part-written file's name, which nobody gave)
            f"{output} cannot be written, as its folder {Path(output).parent} cannot be "
            f"written{why}. Give -o a file in a folder this computer can write to."
        )
