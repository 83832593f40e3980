"""python -m citydata: real files, exit codes, messages.

The first tests start the command as a user does, a real process (`command.process`): building,
usage errors without a traceback, a database another program holds, a setting read at start.
The others call it in this process (`command.run`: the same stdout, stderr and exit code,
without the second or two a new Python process takes to start)."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys

import duckdb
import pytest

from citydata.core import demo
from tests import command
from tests.calendar_data import one_record_reference
from tests.conftest import ROOT

cli = command.run
process = command.process


def test_build_creates_the_database_and_refuses_to_overwrite(tmp_path):
    path = tmp_path / "new.duckdb"
    done = process("build", "--db", str(path))
    assert done.returncode == 0, done.stderr
    assert b"33 authorities" in done.stdout
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT count(DISTINCT borough_code) FROM current_contracts").fetchone() == (
        33,
    )
    con.close()

    again = process("build", "--db", str(path))
    assert again.returncode == 1
    assert b"already exists" in again.stderr and b"Traceback" not in again.stderr

    forced = cli("build", "--db", str(path), "--force")
    assert forced.returncode == 0, forced.stderr
    assert (tmp_path / "new.duckdb.bak").exists()


def test_demo_writes_the_same_bytes_for_the_same_seed(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert cli("demo", "--rows", "2000", "--seed", "7", "-o", str(a)).returncode == 0
    assert cli("demo", "--rows", "2000", "--seed", "7", "-o", str(b)).returncode == 0
    assert a.read_bytes() == b.read_bytes()
    assert sum(1 for _ in a.open()) == 2001


def test_export_uses_the_same_filters_as_a_shared_link(db_path):
    by_flags = cli("export", "--db", str(db_path), "--borough", "Camden", "--borough", "Hackney")
    by_link = cli(
        "export",
        "--db",
        str(db_path),
        "--url",
        "http://localhost:8501/?borough=Camden&borough=Hackney",
    )
    assert by_flags.returncode == 0, by_flags.stderr
    assert by_flags.stdout == by_link.stdout
    rows = list(csv.DictReader(io.StringIO(by_flags.stdout.decode("utf-8-sig"))))
    assert {r["borough"] for r in rows} == {"Camden", "Hackney"}
    con = duckdb.connect(str(db_path), read_only=True)
    expected = con.execute(
        "SELECT count(*) FROM current_contracts WHERE borough IN ('Camden', 'Hackney')"
    ).fetchone()[0]
    con.close()
    assert len(rows) == expected


def test_snapshots_lists_one_active_demo_snapshot_per_borough(db_path):
    done = cli("snapshots", "--db", str(db_path), "--json")
    assert done.returncode == 0, done.stderr
    snaps = json.loads(done.stdout)
    assert len(snaps) == 33
    assert {s["status"] for s in snaps} == {"active"} and {s["source"] for s in snaps} == {"demo"}
    assert sum(s["rows_imported"] for s in snaps) == sum(1 for _ in demo.EMBEDDED_CSV.open()) - 1


def test_usage_errors_exit_2_without_a_traceback(db_path):
    for args in (["nonsense"], ["export", "--end-to", "31/03/2027", "--db", str(db_path)]):
        done = process(*args)
        assert done.returncode == 2, args
        assert b"Traceback" not in done.stderr


def test_a_database_held_by_another_process_is_refused_clearly(db_path):
    """A command that writes is refused; one that only reads works on a copy (test_lifecycle)."""
    holder = duckdb.connect(str(db_path))
    try:
        done = process("aliases", "--sync", "--db", str(db_path))
    finally:
        holder.close()
    assert done.returncode == 1
    assert b"in use by another program" in done.stderr
    assert b"Traceback" not in done.stderr


def test_build_from_a_csv_of_the_wrong_shape_is_refused_in_one_line(tmp_path):
    wrong = tmp_path / "register.csv"
    wrong.write_text("Supplier,Amount\nAcme,12\n")
    path = tmp_path / "new.duckdb"
    done = cli("build", "--db", str(path), "--csv", str(wrong))
    assert done.returncode == 1
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("refused:"), lines
    assert "register.csv" in lines[0] and lines[0].endswith(". Nothing was written.")
    assert "it is not a file of contract records with the embedded data's columns" in lines[0]
    assert "Error" not in lines[0], "not DuckDB's 'Invalid Input Error: Error when sniffing'"
    assert list(tmp_path.iterdir()) == [wrong]


def test_a_memory_limit_that_is_not_an_amount_is_refused_in_one_line(db_path):
    import os

    env = os.environ | {"CITYTOOLS_DB": str(db_path), "CITYTOOLS_MEMORY_LIMIT": "five gigabytes"}
    done = subprocess.run(
        [sys.executable, "-m", "citydata", "snapshots"], cwd=ROOT, capture_output=True, env=env
    )
    assert done.returncode == 1
    lines = done.stderr.decode().splitlines()
    assert lines == [lines[0]] and lines[0].startswith("refused: CITYTOOLS_MEMORY_LIMIT is")


@pytest.mark.parametrize("limit", ["10MB", "-1GB"])
def test_a_memory_limit_too_small_or_below_zero_is_named_not_taken(db_path, limit, monkeypatch):
    """'10MB' (for 10GB) failed every page as a fault of the app, and at 1MB the database was
    said to be damaged; '-1GB' was quietly DuckDB's default, most of the computer's memory."""
    monkeypatch.setenv("CITYTOOLS_MEMORY_LIMIT", limit)
    done = command.run("snapshots", db=db_path, text=True)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(
        f"refused: CITYTOOLS_MEMORY_LIMIT is “{limit}”, less than the app needs to run: 128MB at "
        "the least."
    )
    monkeypatch.setenv("CITYTOOLS_MEMORY_LIMIT", "128MB")  # the least is enough
    assert command.run("snapshots", db=db_path).returncode == 0


def test_a_memory_limit_beyond_the_computer_s_memory_is_named_not_taken(db_path, monkeypatch):
    """'100TB' (or '16GB' on a host of 2 GB) let the database use memory the computer does not
    have: a big query was killed by the system, taking the app with it, where under a limit it
    can keep it works through a temporary folder instead."""
    monkeypatch.setenv("CITYTOOLS_MEMORY_LIMIT", "100TB")
    done = command.run("snapshots", db=db_path, text=True)
    assert done.returncode == 1 and done.stdout == ""
    assert re.match(
        r"refused: CITYTOOLS_MEMORY_LIMIT is “100TB”, more than this computer's memory \([\d.,]+ "
        r"GB\)\. Use a number and a unit",
        done.stderr,
    ), done.stderr
    monkeypatch.setenv("CITYTOOLS_MEMORY_LIMIT", "1GB")
    assert command.run("snapshots", db=db_path).returncode == 0


def _records(done: subprocess.CompletedProcess) -> list[dict[str, str]]:
    assert done.returncode == 0, done.stderr
    return list(csv.DictReader(io.StringIO(done.stdout.decode("utf-8-sig"))))


def test_a_back_to_front_end_date_range_is_swapped_as_in_the_app(db_path):
    """The app swaps a back-to-front range; the same link on the command line once gave 0 rows."""
    forward = _records(
        cli("export", "--end-from", "2026-01-01", "--end-to", "2027-12-31", db=db_path)
    )
    link = "http://localhost:8501/?end_from=2027-12-31&end_to=2026-01-01"
    backward = cli("export", "--url", link, db=db_path)
    assert forward and _records(backward) == forward
    assert "back to front" in backward.stderr.decode() and "swapped" in backward.stderr.decode()


def test_unknown_filter_values_are_named_on_stderr_not_silently_matched(db_path):
    done = cli(
        "export", "--borough", "Camdem", "--borough", "Hackney", "--hosting", "cloud",
        "--hosting", "On premises", db=db_path,
    )  # fmt: skip
    rows = _records(done)
    said = done.stderr.decode()
    assert "No borough called “Camdem” in the data (did you mean Camden?)." in said
    assert "No hosting called “cloud” in the data (did you mean Cloud (SaaS)?)." in said
    assert rows and {r["borough"] for r in rows} == {"Hackney"}
    assert {r["hosting"] for r in rows} == {"On premises"}


def test_a_filter_none_of_whose_values_is_in_the_data_is_a_usage_error(db_path, tmp_path):
    """Its values left out, the filter was gone: `export --borough Camdem` wrote every
    borough's records ("Using: All records."), and `coming` listed every market."""
    out = tmp_path / "camden.csv"
    done = cli("export", "--borough", "Camdem", "-o", str(out), db=db_path)
    assert done.returncode == 2 and not out.exists()
    assert done.stderr.decode() == (
        "error: No borough called “Camdem” in the data (did you mean Camden?). Without it, the "
        "answer would cover every borough, not what was asked.\n"
    )
    gone = cli("export", "--url", "http://localhost:8501/?vendor=Gone%20Ltd", db=db_path)
    assert gone.returncode == 2 and gone.stdout == b""
    assert "No vendor called “Gone Ltd” in the data. Without it" in gone.stderr.decode()
    coming = cli("coming", "--vendor", "Gone Ltd", db=db_path)
    assert coming.returncode == 2 and coming.stdout == b""


def one_record_search(db_path) -> str:
    """A search for one register reference that picks out a single record ending ahead."""
    from citydata import lifecycle

    db = lifecycle.open_store(db_path)
    try:
        return one_record_reference(db)
    finally:
        db.close()


def test_what_was_written_is_counted_in_the_singular_for_one(db_path, tmp_path):
    ref = one_record_search(db_path)
    done = cli("export", "--search", ref, "-o", str(tmp_path / "one.csv"), db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    assert f"Wrote 1 record to {tmp_path / 'one.csv'}." in done.stderr
    out = tmp_path / "one.ics"
    done = cli("export", "--format", "ics", "--search", ref, "-o", str(out), db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    assert f"Wrote 2 events for 1 contract to {out}." in done.stderr  # its end and decide-by

    con = duckdb.connect(str(db_path), read_only=True)
    system = con.execute(
        "SELECT system FROM current_contracts GROUP BY system"
        " HAVING count(DISTINCT borough) = 1 ORDER BY system LIMIT 1"
    ).fetchone()[0]
    con.close()
    helpers = tmp_path / "helpers.csv"
    done = cli("who-can-help", system, "-o", str(helpers), db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    assert f"Wrote 1 borough to {helpers}." in done.stderr

    markets = tmp_path / "coming.csv"
    done = cli("coming", "--service-area", "Housing", "-o", str(markets), db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    assert f"Wrote 1 service area to {markets}." in done.stderr


def test_a_fault_of_the_program_is_one_line_not_a_traceback(db_path, monkeypatch, capsys):
    """Every refusal the commands foresee is one line; a failure nobody foresaw (a fault in the
    program) printed Python's traceback. It is one line too, saying it is the program's fault
    and how to see more; with CITYTOOLS_DEBUG set (as in these tests) the traceback shows."""
    from citydata import cli as main_cli
    from citydata.cli import common

    def broken(args):
        raise RuntimeError("kaput")

    monkeypatch.setitem(common.COMMANDS, "snapshots", broken)
    monkeypatch.setitem(common.COMMANDS, "alerts", broken)
    monkeypatch.delenv(main_cli.DEBUG, raising=False)
    assert main_cli.main(["snapshots", "--db", str(db_path)]) == 1
    [said] = capsys.readouterr().err.splitlines()
    assert said == (
        "error: something went wrong inside City Tools Explorer: the snapshots command did not "
        "finish. Nothing in the database was changed. This is a fault in the program, not in "
        "what you asked: please report it with the command you ran. Run it again with "
        "CITYTOOLS_DEBUG=1 to see where it happened."
    ), "no error class or Python's text of it (it said '(RuntimeError: kaput)')"
    # a command that writes may have stored a step before the fault: no "nothing was changed"
    assert main_cli.main(["alerts", "remove", "1", "--db", str(db_path)]) == 1
    [said] = capsys.readouterr().err.splitlines()
    assert "the alerts remove command did not finish. This is a fault" in said
    assert "Nothing" not in said and "kaput" not in said
    monkeypatch.setenv(main_cli.DEBUG, "1")
    with pytest.raises(RuntimeError, match="kaput"):
        main_cli.main(["snapshots", "--db", str(db_path)])


def test_output_cut_short_by_its_reader_ends_quietly(db_path):
    """`python -m citydata export | head -1` said "refused: Broken pipe" and exited 1 once
    head had read its line."""
    done = subprocess.Popen(
        [sys.executable, "-m", "citydata", "export", "--db", str(db_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    done.stdout.close()  # the reader gone before the records come (as head's, once it has read)
    _, err = done.communicate(timeout=120)
    assert (done.returncode, err) == (0, b"")


def test_a_system_error_without_words_of_its_own_is_not_shown_in_pythons(db_path, capsys):
    """An OSError that carries no system message (gzip's "Not a gzipped file (b'ab')",
    shutil's "... are the same file") was printed as Python's text of it."""
    import gzip

    from citydata import cli as main_cli
    from citydata.cli import common

    def broken(args):
        with gzip.open(db_path) as f:  # a DuckDB file is not gzip: gzip says so in Python's words
            f.read(10)

    original = common.COMMANDS["snapshots"]
    common.COMMANDS["snapshots"] = broken
    try:
        assert main_cli.main(["snapshots", "--db", str(db_path)]) == 1
    finally:
        common.COMMANDS["snapshots"] = original
    [said] = capsys.readouterr().err.splitlines()
    assert said == (
        "refused: this computer could not read or write a file the command needed. "
        "Nothing was written."
    )


@pytest.mark.parametrize("args", [("export",), ("backup",), ("coming",)])
def test_an_output_in_a_folder_that_cannot_be_written_is_named_with_the_folder(
    db_path, tmp_path, args
):
    """`export -o` into a folder that cannot be written was refused as "Permission denied:
    /srv/ro/.contracts.csv.d96e2ef4.partial": a part-written file nobody named."""
    from tests.test_lifecycle import a_folder_this_process_cannot_write

    folder = a_folder_this_process_cannot_write(tmp_path)
    target = folder / "out.file"
    try:
        done = cli(*args, "-o", str(target), text=True)
    finally:
        if folder.is_relative_to(tmp_path):
            folder.chmod(0o755)
    assert done.returncode == 1
    assert done.stderr.startswith(
        f"refused: {target} cannot be written, as its folder {folder} cannot be written"
    )
    assert done.stderr.endswith(
        "Give -o a file in a folder this computer can write to. Nothing was written.\n"
    )
    assert "partial" not in done.stderr


def test_export_to_a_file_named_xlsx_or_ics_writes_that_format(db_path, tmp_path):
    """`export -o contracts.xlsx` wrote CSV into it, which Excel refuses to open."""
    import openpyxl

    book = tmp_path / "contracts.xlsx"
    done = cli("export", "--borough", "Camden", "-o", str(book), text=True)
    assert done.returncode == 0, done.stderr
    assert openpyxl.load_workbook(book).sheetnames == ["Contracts", "About this download"]
    calendar = tmp_path / "contracts.ics"
    assert cli("export", "--borough", "Camden", "-o", str(calendar)).returncode == 0
    assert calendar.read_bytes().startswith(b"BEGIN:VCALENDAR")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("export", "--format", "csv", "-o", "x.xlsx"),
         "-o x.xlsx is named as an Excel workbook, but --format is csv"),
        (("coming", "-o", "x.xlsx"),
         "-o x.xlsx is named as an Excel workbook, but `coming` writes CSV: name it .csv."),
        (("who-can-help", "Mosaic", "-o", "x.ics"),
         "-o x.ics is named as a calendar, but `who-can-help` writes CSV: name it .csv."),
        (("reconcile", "--borough", "Camden", "-o", "x.json"),
         "-o x.json is named as JSON, but `reconcile` writes CSV: name it .csv."),
        (("coming", "--json", "-o", "x.csv"),
         "--json prints to the screen, and -o writes CSV: give one of them."),
        (("who-can-help", "Mosaic", "--json", "-o", "x.csv"),
         "--json prints to the screen, and -o writes CSV: give one of them."),
        (("demo", "--rows", "5", "-o", "x.xlsx"),
         "-o x.xlsx is named as an Excel workbook, but `demo` writes CSV: name it .csv."),
        (("export", "-o", "x.xls"),
         "-o x.xls names an old-style Excel file (.xls), which `export` does not write: name it "
         ".csv or .xlsx or .ics."),
        (("export", "--format", "xlsx", "-o", "x.XLS"),
         "-o x.XLS names an old-style Excel file (.xls), which `export` does not write: name it "
         ".csv or .xlsx or .ics."),
        (("coming", "-o", "x.xls"),
         "-o x.xls names an old-style Excel file (.xls), which `coming` does not write: name it "
         ".csv."),
    ],
)  # fmt: skip
def test_a_file_named_for_another_format_or_left_out_by_json_is_a_usage_error(
    db_path, tmp_path, args, said
):
    """`coming -o x.xlsx` wrote CSV under an Excel name; `coming --json -o x.csv` printed the
    JSON and wrote no file, with no word said; `export -o x.xls` wrote a workbook of today's
    kind under the old kind's name, which Excel opens only after a warning that its format and
    its name do not match."""
    done = command.run(*[str(tmp_path / a) if a.startswith("x.") else a for a in args], text=True)
    assert done.returncode == 2 and said.replace("x.", f"{tmp_path}/x.") in done.stderr
    assert not list(tmp_path.glob("x.*"))
