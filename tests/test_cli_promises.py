"""python -m citydata keeps what its documentation promises scripts: JSON any parser reads, the
documented keys whatever happens, a dry run or a refusal that writes nothing, one way of saying
a name is not a borough. Each test here failed before the fix it names."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from datetime import timedelta

import duckdb
import pytest

from citydata.core import dates
from citydata.store import versions
from citydata.store.db import Database
from tests import command
from tests.conftest import ROOT
from tests.test_fetch import ok, server  # noqa: F401 (the replaying server, a fixture)

cli = command.run

# A register for Ealing whose records give no annual value and no satisfaction at all.
NO_VALUES = b"""Borough,Service area,System,Vendor,Contract start,Contract end
Ealing,Housing,Mosaic,Servelec,01/04/2020,31/03/2027
Ealing,Housing,Northgate Housing,Northgate,01/04/2020,30/06/2027
"""


def strict_json(text: str):
    """JSON as a strict parser reads it: NaN and Infinity are not JSON."""

    def refuse(constant: str):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_json_says_null_for_a_missing_number_never_nan(db_path, tmp_path):
    register = tmp_path / "ealing.csv"
    register.write_bytes(NO_VALUES)
    assert cli("import", str(register), db=db_path).returncode == 0
    coming = cli("coming", "--borough", "Ealing", "--today", "2026-12-01", "--json", db=db_path)
    assert coming.returncode == 0, coming.stderr
    [housing] = strict_json(coming.stdout)
    assert housing["ending"] == 2 and housing["value_ending"] is None

    helped = cli("who-can-help", "Mosaic", "--json", db=db_path)
    assert helped.returncode == 0, helped.stderr
    [ealing] = [b for b in strict_json(helped.stdout)["boroughs"] if b["borough"] == "Ealing"]
    assert ealing["satisfaction"] is None and ealing["skill_level"] is None


# A register for Camden of three records, good to import into any database.
CAMDEN = b"""Borough,Service area,System,Vendor,Contract start,Contract end
Camden,Housing,Northgate Housing,Northgate,01/04/2020,30/06/2027
Camden,Planning,Uniform,Idox,01/04/2020,31/03/2028
Camden,Libraries,Spydus,Civica,01/04/2021,31/03/2029
"""


def test_a_dry_run_against_a_missing_database_creates_nothing(tmp_path):
    register = tmp_path / "camden.csv"
    register.write_bytes(CAMDEN)
    missing = tmp_path / "not yet" / "citytools.duckdb"
    done = cli("import", str(register), "--db", str(missing), "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    assert not missing.parent.exists()  # neither the file nor its folder
    # compared with what an import would find there: the embedded data, built on first use
    [camden] = strict_json(done.stdout)["changes"]
    assert camden["borough"] == "Camden" and camden["records_before"] > 0
    assert camden["records_after"] == 3


def test_a_dry_run_leaves_a_database_of_an_older_version_as_it_was(tmp_path):
    register = tmp_path / "camden.csv"
    register.write_bytes(CAMDEN)
    older = tmp_path / "older.duckdb"
    db = Database(older)
    versions.migrate(db, target=versions.SCHEMA_VERSION - 1)
    db.close()
    before = older.read_bytes()
    done = cli("import", str(register), "--db", str(older), "--dry-run")
    assert done.returncode == 0, done.stderr
    assert b"Dry run: nothing was written." in done.stdout
    assert older.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["camden.csv", "older.duckdb"]


def test_import_json_has_every_documented_key_when_the_file_is_refused(db_path, tmp_path):
    documented = {"snapshot_ids", "rows_read", "rows_imported", "records_imported"}
    documented |= {"rows_rejected", "format", "mapping", "rejects", "warnings", "changes"}
    payments = ROOT / "tests" / "data" / "real" / "lambeth_payments_2012-06.csv"
    refused = cli("import", str(payments), "--json", db=db_path)
    assert refused.returncode == 1
    out = strict_json(refused.stdout)
    assert documented <= set(out) and out["records_imported"] == out["rows_imported"] == 0

    # refused at the last moment (nothing would change): nothing imported, in every count
    register = tmp_path / "camden.csv"
    register.write_bytes(CAMDEN)
    assert cli("import", str(register), db=db_path).returncode == 0
    again = cli("import", str(register), "--json", db=db_path)
    assert again.returncode == 1
    out = strict_json(again.stdout)
    assert "Nothing would change" in out["refused"] and out["snapshot_ids"] == []
    assert out["records_imported"] == out["rows_imported"] == 0


def test_aliases_accepts_all_the_spellings_given_or_none(db_path):
    def table():
        con = duckdb.connect(str(db_path), read_only=True)
        try:
            return con.execute("SELECT * FROM vendor_aliases ORDER BY ALL").fetchall()
        finally:
            con.close()

    before = table()
    done = cli(
        "aliases", "--accept", "Northgate PLC=Northgate", "--accept", "!!!=Capita", db=db_path
    )
    assert done.returncode == 1 and b"Traceback" not in done.stderr
    assert table() == before  # the first, good, spelling is not grouped either
    assert b"no letters or digits. Nothing was written." in done.stderr
    assert b"Grouped" not in done.stdout

    done = cli(
        "aliases",
        "--accept",
        "Northgate PLC=Northgate",
        "--accept",
        "Capita Ltd=Capita",
        db=db_path,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "Grouped “Northgate PLC” under “Northgate”.",
        "Grouped “Capita Ltd” under “Capita”.",
    ]
    assert {("northgateplc", "Northgate"), ("capitaltd", "Capita")} <= {
        (alias.replace(" ", ""), vendor) for alias, vendor, *_ in table()
    }


@pytest.mark.parametrize(
    "args",
    [
        ["import", "camden.csv", "--borough", "Camdem"],
        ["reconcile", "--borough", "Camdem"],
        ["who-can-help", "Mosaic", "--besides", "Camdem"],
    ],
)
def test_a_borough_no_option_knows_is_one_usage_error_in_the_same_words(db_path, args):
    done = cli(*args, db=db_path, text=True)
    assert done.returncode == 2, done.stderr
    assert done.stderr == "error: No London borough is called “Camdem” (did you mean Camden?).\n"


def test_a_council_of_another_region_named_to_an_option_is_said_to_be_outside_it(db_path):
    """`reconcile --borough Bolton` in London said "No London borough is called “Bolton”", as if
    there were no such council."""
    done = cli("reconcile", "--borough", "Bolton", db=db_path, text=True)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "error: “Bolton” is outside London (Bolton Metropolitan Borough Council): this app is "
        "set up for the 33 London authorities (32 boroughs and the City of London).\n"
    )


def test_fetch_history_lists_a_stopped_fetch_beside_a_finished_one(db_path, server):  # noqa: F811
    server.play("page1", ok(server.page("contracts_finder_page1.json")))
    server.play("page2", ok(server.page("contracts_finder_page2.json")))
    fetch = ("fetch", "contracts-finder", "--since", "2025-01-01")
    stopped = cli(*fetch, "--max-pages", "1", db=db_path)
    assert stopped.returncode == 1  # why it stopped first, then what it had done before
    assert stopped.stdout.startswith(
        b"Stopped after 1 page, the most asked for at a time: run the fetch again to carry on "
        b"from page 2. Contracts Finder since 2025-01-01: 1 page, 3 notices read, "
    ), stopped.stdout
    assert cli(*fetch, db=db_path).returncode == 0  # carries on and finishes: no message

    listed = cli("fetch-history", db=db_path, text=True)
    assert listed.returncode == 0, listed.stderr
    done, halted = listed.stdout.splitlines()
    assert "· done: 2 pages, " in done and "nan" not in done
    assert "· failed: 1 page, " in halted and halted.endswith(
        "run the fetch again to carry on from page 2."
    )

    # no page at all is not a fetch stopped half way: a usage error, and no run recorded
    assert cli(*fetch, "--max-pages", "0", db=db_path).returncode == 2
    assert len(cli("fetch-history", db=db_path).stdout.splitlines()) == 2


def test_a_fetch_that_fails_says_why_not_the_nothing_it_read(db_path, server):  # noqa: F811
    # It said "Contracts Finder since 2025-01-01: 0 pages, 0 notices read, 0 technology
    # records of the region's councils imported." before why it had failed.
    server.play("page1", ok(server.page("changed_schema.json")))
    done = cli("fetch", "contracts-finder", "--since", "2025-01-01", db=db_path, text=True)
    assert done.returncode == 1
    assert done.stdout == (
        "Contracts Finder's answer no longer looks like a list of notices (an OCDS release "
        "package with 'releases'): the feed may have changed. Nothing from this page was "
        f"stored. That was page 1 ({server.base}/search). Run the fetch again to carry on.\n"
        # and how stale the notices held may be (none of its fetches has finished)
        "No fetch from Contracts Finder has run to the end yet: the one fetch so far stopped "
        "before it, so some of its notices may not be held.\n"
    )


def test_fetch_since_a_day_after_today_is_a_usage_error_and_records_nothing(db_path, monkeypatch):
    """`fetch --since 2062-01-01` (a typo for 2026) asked the feed, found nothing and recorded a
    finished run; the Published notices page allows no later day than today."""
    monkeypatch.setenv("CITYTOOLS_CONTRACTS_FINDER_URL", "http://127.0.0.1:9/")  # (never asked)
    tomorrow = (dates.today() + timedelta(days=1)).isoformat()
    done = cli("fetch", "contracts-finder", "--since", tomorrow, db=db_path, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"error: --since {tomorrow} is after today: no notice has been published since then. "
        "Give the first day to fetch, today or earlier."
    )
    assert cli("fetch-history", db=db_path, text=True).stdout.startswith("No fetch")


def test_snapshots_says_which_is_the_register_and_which_the_published_notices(db_path):
    notices = ROOT / "tests" / "data" / "real" / "cf_export_notices_2025-11.csv"
    assert cli("import", str(notices), db=db_path).returncode == 0
    listed = strict_json(cli("snapshots", "--json", db=db_path).stdout)
    kingston = [s for s in listed if s["borough_code"] == "E09000021" and s["status"] == "active"]
    assert sorted(s["kind"] for s in kingston) == ["published", "register"]
    table = cli("snapshots", db=db_path, text=True).stdout.splitlines()
    assert table[0].split()[8] == "kind" and table[-1].split()[-4] == "published"
    assert table[0].split()[-1] == "rows_left_out"  # (added last: the others stay where they were)


# dates.csv's rows with a problem, each with the date column the problem is in
ROWS = [(7, "end"), (8, "end"), (9, "end"), (10, "start"), (11, "end"), (12, "end")]


def test_import_lists_the_problems_in_the_order_of_the_file_s_rows(db_path):
    dates = ROOT / "tests" / "data" / "ingest" / "dates.csv"
    done = cli("import", str(dates), "--dry-run", db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    listed = [line.split(" (")[0].split(":")[0].strip() for line in done.stdout.splitlines()[2:-2]]
    assert listed == ["the file"] + [f"row {n}, column 'Contract {e}'" for n, e in ROWS]
    out = strict_json(cli("import", str(dates), "--dry-run", "--json", db=db_path).stdout)
    rows = sorted(p["row"] for p in out["rejects"] + out["warnings"] if p["row"])
    assert rows == [n for n, _ in ROWS]


@pytest.mark.parametrize("command", [["export"], ["backup"], ["original", "1"]])
def test_a_file_to_write_in_a_missing_folder_is_named_as_given(db_path, tmp_path, command):
    target = tmp_path / "no such folder" / "out.file"
    done = cli(*command, "-o", str(target), db=db_path, text=True)
    assert done.returncode == 1
    assert done.stderr == f"refused: No such file or directory: {target}. Nothing was written.\n"


@pytest.mark.parametrize("command", [["export"], ["backup"], ["original", "1"]])
def test_a_file_to_write_that_is_a_folder_is_named_as_given(db_path, tmp_path, command):
    """`-o` naming a folder was refused only once the work was done (a whole backup made),
    naming a hidden part-written file the steward never typed (".out.partial")."""
    target = tmp_path / "out" / "exports"
    target.mkdir(parents=True)
    done = cli(*command, "-o", str(target), db=db_path, text=True)
    assert done.returncode == 1
    assert done.stderr == f"refused: Is a directory: {target}. Nothing was written.\n"
    assert list(target.parent.iterdir()) == [target] and not list(target.iterdir())


@pytest.mark.parametrize(
    "given", [["--end-from", "2027-13-01"], ["--url", "http://x/?end_from=2027-13-01"]]
)
def test_an_end_date_that_is_not_one_is_not_said_to_be_ignored(db_path, given):
    """The command stopped (exit 2, nothing written) but said the date was "ignored", as the
    app says when it drops one and goes on: a steward took the export for made without it."""
    done = cli("export", *given, db=db_path, text=True)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == "error: “2027-13-01” is not a date (use YYYY-MM-DD).\n"


def test_a_dry_run_says_when_importing_would_change_nothing(db_path, tmp_path):
    register = tmp_path / "camden.csv"
    register.write_bytes(CAMDEN)
    assert cli("import", str(register), db=db_path).returncode == 0
    dry = cli("import", str(register), "--dry-run", db=db_path, text=True)
    real = cli("import", str(register), db=db_path, text=True)
    assert real.returncode == 1 and "Nothing would change: " in real.stderr
    assert "  Nothing would change: this file's records are the same" in dry.stdout

    # Camden as it is, Hackney new: one snapshot is written, and said
    both = tmp_path / "both.csv"
    both.write_bytes(CAMDEN + b"Hackney,Planning,Uniform,Idox,01/04/2020,31/03/2028\n")
    done = cli("import", str(both), db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "Writing 1 snapshot…\n" and done.stdout.endswith(
        "Imported: snapshot 35.\n"
    )


@pytest.mark.usefixtures("short_busy_waits")
def test_the_commands_that_only_read_answer_while_the_app_holds_the_database(db_path):
    from tests.test_lifecycle import held_by_another_process

    reads = [
        ["aliases"],
        ["aliases", "--suggest", "--json"],
        ["reconcile", "--borough", "Camden"],
        ["alerts", "list", "--json"],
        ["coming", "--json"],
    ]
    with held_by_another_process(db_path):
        for args in reads:
            done = cli(*args, db=db_path, text=True)
            assert done.returncode == 0, (args, done.stderr)
            assert "reading a copy of it made just now" in done.stderr, args
        # what writes is still refused, and says so
        accepting = cli("aliases", "--accept", "Capita Ltd=Capita", db=db_path, text=True)
        assert accepting.returncode == 1 and "in use by another program" in accepting.stderr


def test_alerts_speak_as_the_other_commands_do(db_path):
    added = cli(
        "alerts", "add", "--name", "Camden", "--email", "a@example.org", "--ending", "6",
        "--url", "http://x/?borough=Camden&end_from=2030-12-31&end_to=2026-01-01", db=db_path,
        text=True,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stderr.startswith("Note: The end-date range was back to front")
    listed = cli("alerts", "list", db=db_path, text=True)
    assert listed.stdout.splitlines()[1].split()[-1] == "never", listed.stdout


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["rollback", "999"], "There is no snapshot 999."),
        (["alerts", "remove", "99"], "There is no alert 99."),
        (["alerts", "send", "--id", "99", "--today", "2026-12-01"], "There is no alert 99."),
        (["original", "999", "-o", "{tmp}/original.csv"], "There is no snapshot 999."),
        (["restore", "{tmp}/notes.zip"], "not a City Tools Explorer backup"),
        (["import", "{tmp}/missing.csv"], "No such file or directory: {tmp}/missing.csv."),
        (["who-can-help", "Nonesuch Housing Suite"], "Name a system as the app lists it"),
        (["aliases", "--accept", "!!!=Capita"], "no letters or digits."),
        (["build"], "already exists; add --force to rebuild it (it is kept as .bak)."),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_every_refusal_says_nothing_was_written_the_same_way(db_path, tmp_path, args, reason):
    """`rollback 999` and `alerts remove 99` wrote nothing but did not say so, where `original`
    and `aliases --accept` did ("... Nothing was written.") and `restore` said "Nothing was
    changed." Every refusal is now one line ending in the same sentence, and is true to it."""
    from tests.test_snapshot_cli import dump_of

    (tmp_path / "notes.zip").write_text("not a zip file")
    before = dump_of(db_path)
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    done = cli(*args, db=db_path, text=True)
    assert done.returncode == 1
    *notes, line = done.stderr.splitlines()  # (who-can-help first names the nearest systems)
    assert not [n for n in notes if "refused" in n or "Nothing" in n]
    assert line.startswith("refused: ") and line.endswith(". Nothing was written."), line
    assert reason.replace("{tmp}", str(tmp_path)) in line
    assert line.count("Nothing was") == 1, line
    assert dump_of(db_path) == before
    assert not (tmp_path / "original.csv").exists()


@pytest.mark.parametrize(
    ("reason", "line"),
    [
        ("There is no alert 99.", "There is no alert 99. Nothing was written."),
        ("cannot be read (line 3)", "cannot be read (line 3). Nothing was written."),
        ("not a backup. Nothing was changed.", "not a backup. Nothing was written."),
        ("No such file: a.csv", "No such file: a.csv. Nothing was written."),
    ],
)
def test_a_refusal_ends_its_sentence_then_says_nothing_was_written_once(reason, line):
    from citydata.cli.common import refusal

    assert refusal(reason) == line


@pytest.mark.parametrize(
    "args",
    [["rollback", "abc"], ["alerts", "remove", "first"], ["fetch-history", "--limit", "1.5"]],
)
def test_a_count_or_id_that_is_not_a_number_is_said_in_words(db_path, args):
    """argparse said "invalid int value: 'abc'": a type's name from Python."""
    done = cli(*args, db=db_path, text=True)
    assert done.returncode == 2, done.stderr
    assert f"“{args[-1]}” is not a whole number" in done.stderr
    assert "int" not in done.stderr.splitlines()[-1]


@pytest.mark.parametrize(
    "command",
    [
        ("export",),
        ("snapshots",),
        ("backup", "-o", "b.zip"),
        ("coming",),
        ("aliases", "--suggest"),
        ("alerts", "list"),
    ],
)
def test_a_command_that_only_reads_refuses_a_db_that_is_not_there(tmp_path, command):
    """A mistyped `--db` made a database of the embedded data, and `export` wrote its 800
    illustrative records as if they were the steward's, exit 0. `coming`, `aliases` and
    `alerts list` still did, after the others were fixed: `coming` printed the illustrative
    market as the borough's, and left a new database file behind."""
    typo = tmp_path / "citytoosl.duckdb"
    args = [str(tmp_path / a) if a.endswith(".zip") else a for a in command]
    done = cli(*args, "--db", str(typo), text=True)
    assert done.returncode == 1
    assert f"There is no database at {typo}." in done.stderr
    assert "build --db" in done.stderr and "Nothing was written." in done.stderr
    assert done.stdout == ""
    assert list(tmp_path.iterdir()) == []  # no database made, no backup written


def test_an_excel_export_is_never_written_onto_the_screen(db_path):
    """`export --format xlsx` without -o wrote the workbook's bytes into the terminal. (Sent on
    to a file or a pipe, it still writes the workbook: test_record_exports.py.)"""
    screen, terminal = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "citydata", "export", "--format", "xlsx", "--db", str(db_path)],
            cwd=ROOT,
            stdout=terminal,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
        os.close(terminal)
        terminal = -1
        shown = b""
        while select.select([screen], [], [], 0)[0]:
            try:
                chunk = os.read(screen, 4096)
            except OSError:  # the terminal's other end is closed: all of it was read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(screen)
        if terminal != -1:
            os.close(terminal)
    assert done.returncode == 2
    assert "give -o FILE.xlsx" in done.stderr
    assert shown == b""


def test_build_force_replaces_a_damaged_database_and_keeps_it(tmp_path):
    """`build --force` refused a file that is not a usable database ("could not be opened as a
    City Tools database"), the one case a steward needs it for, and offered no way out. It now
    builds, moves the old file aside whole (as the app's "Rebuild from the embedded data" does)
    and says where it is."""
    path = tmp_path / "citytools.duckdb"
    path.write_bytes(b"half a download of something else")
    done = cli("build", "--db", str(path), "--force", text=True)
    assert done.returncode == 0, done.stderr
    assert "800 illustrative records" in done.stdout
    [kept] = tmp_path.glob("citytools.duckdb.unusable-*")
    assert kept.read_bytes() == b"half a download of something else"
    assert f"kept as {kept}." in done.stdout
    forced = cli("build", "--db", str(path), "--force", text=True)  # a usable one: as .bak
    assert forced.returncode == 0, forced.stderr
    assert f"kept as {path}.bak." in forced.stdout


@pytest.mark.parametrize(
    "command", [("export", "-o", "out.csv"), ("coming", "-o", "out.csv"), ("collaborate",)]
)
def test_a_filter_option_beside_a_link_is_not_silently_ignored(db_path, tmp_path, command):
    """`export --url LINK --borough Camden` wrote the link's boroughs (Hackney's records), exit
    0, without a word that --borough had been set aside: someone narrowing a shared view on
    the command line got the whole view instead."""
    link = "http://localhost:8501/?borough=Hackney"
    args = [str(tmp_path / a) if a.endswith(".csv") else a for a in command]
    done = cli(*args, "--url", link, "--borough", "Camden", db=db_path, text=True)
    assert done.returncode == 2, done.stderr
    assert "not both: --borough would be ignored" in done.stderr
    assert done.stdout == "" and list(tmp_path.glob("*.csv")) == []


def test_reconcile_says_when_no_notices_are_held_not_that_every_pair_agrees(db_path):
    """`reconcile --borough Camden` with no published notices held said "Every matched pair
    agrees on its dates, value and supplier.", a check passed where nothing was checked. The
    Reconciliation page says no notices are held, and how to fetch them; so does the command."""
    done = cli("reconcile", "--borough", "Camden", db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    assert "No published notices are held for Camden." in done.stdout
    assert "python -m citydata fetch" in done.stdout
    assert "agrees" not in done.stdout


def test_coming_feed_says_so_when_feeds_are_switched_off(db_path, monkeypatch):
    """`coming --feed` with CITYTOOLS_FEEDS_DIR=off wrote no feed and said nothing, exit 0: a
    scheduled job set up to keep the feed current never learnt that it did not."""
    monkeypatch.setenv("CITYTOOLS_FEEDS_DIR", "off")
    done = cli("coming", "--feed", "--today", "2026-12-01", db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    assert "publishes no calendar feeds (CITYTOOLS_FEEDS_DIR is off)" in done.stderr
    assert done.stdout.startswith("\ufeffService area,")  # the table, as without --feed


def test_alerts_give_no_feed_address_when_no_feed_is_published(db_path, monkeypatch):
    """With CITYTOOLS_FEEDS_DIR=off, `alerts add --json` and `alerts list --json` gave each
    alert a calendar address ("/app/static/feeds/….ics") that no file was ever written to:
    pasted into Outlook, a subscription to nothing. The Alerts page shows none then."""
    monkeypatch.setenv("CITYTOOLS_FEEDS_DIR", "off")
    added = cli(
        "alerts", "add", "--name", "Camden", "--email", "a@example.org", "--ending", "6",
        "--json", db=db_path, text=True,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert strict_json(added.stdout)["feed"] is None
    listed = cli("alerts", "list", "--json", db=db_path, text=True)
    assert [a["feed"] for a in strict_json(listed.stdout)] == [None]


def test_aliases_table_is_headed_in_words_not_column_names(db_path):
    """`aliases` headed its table `alias  spelling  vendor  added_by  added_at  records`, and
    `--suggest` `vendor_records  score`: the program's column names, where the Vendor names
    page reads "Counted under", "Grouped by", "Likeness (0-100)". (--json keeps the keys.)"""
    listed = cli("aliases", db=db_path, text=True)
    assert listed.returncode == 0, listed.stderr
    header = listed.stdout.splitlines()[0].split()
    assert "added_by" not in header and "Counted" in header and "Grouped" in header
    register = db_path.parent / "ealing.csv"
    register.write_bytes(NO_VALUES.replace(b"Servelec", b"Servelecc"))
    assert cli("import", str(register), db=db_path).returncode == 0
    suggested = cli("aliases", "--suggest", db=db_path, text=True)
    assert suggested.returncode == 0, suggested.stderr
    assert "Servelecc" in suggested.stdout, suggested.stdout
    assert "vendor_records" not in suggested.stdout and "Likeness (0-100)" in suggested.stdout
    as_json = strict_json(cli("aliases", "--suggest", "--json", db=db_path, text=True).stdout)
    assert {"alias", "vendor", "vendor_records", "score"} <= as_json[0].keys()


def test_the_snapshots_table_says_a_missing_value_as_a_dash(db_path):
    """`snapshots` printed "<NA>" under restored_from for every snapshot restored from none."""
    done = cli("snapshots", db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    words = done.stdout.split()
    assert not {"<NA>", "None", "NaN", "nan", "NaT"} & set(words), done.stdout[:400]
    assert "-" in words


def test_a_second_build_force_keeps_the_first_backup_too(tmp_path):
    """`build --force` kept the file it replaced as .bak, deleting the .bak before it: run twice,
    a steward's data kept by the first run was gone."""
    path = tmp_path / "citytools.duckdb"
    assert cli("build", "--db", str(path)).returncode == 0
    with duckdb.connect(str(path)) as con:  # the steward's data, as far as this test goes
        con.execute("CREATE TABLE kept_by_the_steward AS SELECT 42 AS answer")
    first = cli("build", "--db", str(path), "--force", text=True)
    assert first.returncode == 0, first.stderr
    again = cli("build", "--db", str(path), "--force", text=True)
    assert again.returncode == 0, again.stderr
    [earlier] = [p for p in tmp_path.iterdir() if p.name.startswith("citytools.duckdb.bak-")]
    assert f"The backup kept before it is now {earlier}." in again.stdout
    with duckdb.connect(str(earlier), read_only=True) as con:
        assert con.execute("SELECT answer FROM kept_by_the_steward").fetchall() == [(42,)]
    assert (tmp_path / "citytools.duckdb.bak").exists()
