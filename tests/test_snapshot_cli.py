"""python -m citydata import / rollback / backup / restore, run as a steward runs them."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout

import pytest

from citydata import cli as citydata_cli
from citydata import lifecycle
from citydata.core import demo
from citydata.output import exports
from citydata.query import selection
from citydata.query.filters import FilterState
from citydata.store import snapshots
from tests import command
from tests.conftest import DATA, ROOT
from tests.snapshot_helpers import dump, dump_of

CAMDEN = "E09000007"


def cli(*args: str, db=None) -> subprocess.CompletedProcess:
    """The command, with `--db DB` after its arguments when `db` is given."""
    return command.run(*args, *(["--db", str(db)] if db is not None else []), text=True)


def camden_file(db_path, tmp_path, edit=None) -> object:
    """Camden's current records as a register file in the template's layout (labels)."""
    db = lifecycle.open_store(db_path)
    try:
        with db.read() as r:
            df = selection.records(r, FilterState(borough=("Camden",)))
    finally:
        db.close()
    df = df.drop(columns=["source", "snapshot_id"])
    if edit:
        df = edit(df)
    path = tmp_path / "camden register.csv"
    path.write_bytes(exports.to_csv(exports.with_labels(df)))
    return path


def _edit(df):
    df.loc[0, "borough"], df.loc[0, "borough_code"] = "Gotham", ""  # refused: not a borough
    df.loc[1, "annual_value"] = 1.5
    return df


def test_import_json_prints_one_object_with_ids_counts_mapping_and_rejects(db_path, tmp_path):
    file = camden_file(db_path, tmp_path, _edit)
    done = cli("import", str(file), "--json", db=db_path)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)  # the whole of stdout is one JSON object
    assert out["format"] == "template" and out["mapping"]["vendor"] == "Vendor"
    assert len(out["snapshot_ids"]) == 1
    assert out["rows_rejected"] == 1 and out["rows_imported"] == out["rows_read"] - 1
    [reject] = out["rejects"]
    assert set(reject) == {"row", "column", "value", "reason", "outcome", "left_out"}
    assert reject["row"] == 2 and reject["outcome"] == "not imported"
    assert reject["left_out"] is False  # (a register's row refused: a fault to fix)
    assert out["changes"][0]["removed"] == 1 and out["changes"][0]["changed"] == 1
    db = lifecycle.open_store(db_path)
    try:
        with db.read() as r:
            snap = snapshots.snapshot(r, out["snapshot_ids"][0])
            assert snapshots.active(r)[CAMDEN] == snap["id"]
    finally:
        db.close()
    assert snap["file_name"] == "camden register.csv" and snap["source"] == "upload"
    assert snap["created_by"].endswith("(command line)")
    assert snap["rows_imported"] == out["rows_imported"] and snap["rows_rejected"] == 1


def test_dry_run_previews_and_writes_nothing(db_path, tmp_path):
    file = camden_file(db_path, tmp_path, _edit)
    original = db_path.read_bytes()
    done = cli("import", str(file), "--dry-run", db=db_path)
    assert done.returncode == 0, done.stderr
    assert "Camden:" in done.stdout and "1 removed, 1 changed" in done.stdout
    assert "Dry run: nothing was written." in done.stdout
    assert db_path.read_bytes() == original


def test_import_names_the_columns_it_will_not_import(db_path, tmp_path):
    """The Upload page names the columns of a file no field is read from; `import` said
    nothing, so a register whose value and start date sat under headings it did not know
    ("Cost per annum", "Go-live") was stored without them and the steward was never told."""
    register = tmp_path / "camden.csv"
    register.write_text(
        "Borough,Service area,System,Supplier,Go-live,Contract expiry,Cost per annum\n"
        "Camden,Housing,Northgate Housing,Northgate,01/04/2020,31/03/2027,12500\n"
    )
    done = cli("import", str(register), "--dry-run", db=db_path)
    assert done.returncode == 0, done.stderr
    assert (
        "  These columns will not be imported: “Go-live”, “Cost per annum”. If one of them "
        "holds a field, rename its heading as the template names the field."
    ) in done.stdout.splitlines()


def test_a_cell_quoted_in_a_problem_cannot_drive_the_terminal(db_path, tmp_path):
    # An escape sequence in a cell (clear the screen; a hidden link) is written out, not sent
    # to the steward's terminal, in the problem's line and in the refusal.
    file = tmp_path / "escapes.csv"
    rows = b"Camden,Mosaic,Servelec,31/13/2027\x1b[2J\n" + b"Camden,Uniform,Idox,31/03/2027\n" * 5
    file.write_bytes(b"Borough,System,Vendor,Contract end\n" + rows)
    done = cli("import", str(file), "--dry-run", db=db_path)
    assert "\x1b" not in done.stdout and "31/13/2027\\u001b[2J" in done.stdout
    one = tmp_path / "one.csv"
    one.write_bytes(b"Borough,System,Vendor\nCamden\x1b]8;;http://x\x07,Mosaic,Servelec\n")
    done = cli("import", str(one), db=db_path)
    assert done.returncode == 1 and "refused:" in done.stderr
    assert not any(c in done.stdout + done.stderr for c in "\x1b\x07")


def test_importing_a_file_that_changes_nothing_is_refused_with_a_reason(db_path, tmp_path):
    file = camden_file(db_path, tmp_path)  # Camden's current records, as they are
    before = dump_of(db_path)
    done = cli("import", str(file), db=db_path)
    assert done.returncode == 1, done.stdout
    assert re.search(r"Camden: (\d+) records now, \1 after \(No changes.\)", done.stdout)
    assert (
        "refused: Nothing would change: this file's records are the same as the current data of "
        "Camden (snapshot 7), so no new snapshot was made. Nothing was written."
    ) in done.stderr
    assert dump_of(db_path) == before, "no duplicate snapshot"


def test_a_refused_file_exits_1_and_leaves_the_database_file_identical(db_path):
    spend = DATA / "real" / "lambeth_payments_2012-06.csv"
    before = dump_of(db_path)
    original = db_path.read_bytes()
    done = cli("import", str(spend), "--json", db=db_path)
    assert done.returncode == 1
    out = json.loads(done.stdout)
    assert out["snapshot_ids"] == [] and out["refused"]
    assert db_path.read_bytes() == original
    assert dump_of(db_path) == before
    plain = cli("import", str(spend), db=db_path)
    assert plain.returncode == 1 and "Nothing was written" in plain.stderr
    assert "Traceback" not in plain.stderr


def as_shown(*args: str) -> tuple[int, list[str]]:
    """The command's exit code and its lines as a terminal shows them: stdout and stderr
    together, in the order they were written."""
    both = io.StringIO()
    with redirect_stdout(both), redirect_stderr(both):
        code = citydata_cli.main(list(args))
    return code, both.getvalue().splitlines()


SPEND = DATA / "real" / "lambeth_payments_2012-06.csv"  # a council's payments: refused
TOO_FEW = "values but the header row has 6; the missing values at the end were taken as blank."


def test_a_refused_file_leads_with_the_refusal_and_sums_up_its_many_problems_by_kind(db_path):
    # The payments file has 639 lines with 5 values where its header names 6. `import` said
    # "3,155 rows read: 0 accepted, 0 refused, 0 imported with a change.", then 20 of those
    # lines one by one and "… and 621 more problems", and only then, last, why it was refused.
    before, original = dump_of(db_path), db_path.read_bytes()
    code, lines = as_shown("import", str(SPEND), "--db", str(db_path))
    assert code == 1
    assert lines[0] == (
        "refused: This file cannot be imported: no column was found for the system (or the "
        "contract title). It looks like a list of payments (spend data), not a register of "
        "contracts. Its columns are 'Body', 'Department', 'Supplier Name', 'Invoice Creation "
        "Date', 'Invoice Nett Amount', 'Subj Description'. Choose the matching columns, or use "
        "the template. Nothing was written."
    )
    assert lines[1] == (
        "lambeth_payments_2012-06.csv: recognised as a spreadsheet of contracts (columns "
        "matched by their names); 3,155 rows read, none imported."
    )
    assert lines[2].startswith("  the file (“Lambeth Invoices Over Specified Nett Amount”): ")
    assert lines[3:] == [
        *(f"  row {n}: Row {n} has 5 {TOO_FEW} (not imported)" for n in (19, 20, 21, 22, 26)),
        "    … and 634 more rows like this.",
        "  row 3167 (“Total”): Row 3167 is a total row and was skipped. (skipped, not imported)",
        "  641 problems in all: add --json to list every one.",
    ]
    assert db_path.read_bytes() == original and dump_of(db_path) == before
    listed = json.loads(cli("import", str(SPEND), "--json", db=db_path).stdout)
    assert sum(TOO_FEW in w["reason"] for w in listed["warnings"]) == 639, "every one"


def test_a_file_refused_before_anything_in_it_is_read_shows_only_the_refusal(db_path, tmp_path):
    # It said "pdf_renamed.csv: recognised as a spreadsheet of contracts (columns matched by
    # their names)." and "0 rows read: 0 accepted, 0 refused, 0 imported with a change." first.
    pdf = DATA / "hostile" / "pdf_renamed.csv"
    assert as_shown("import", str(pdf), "--db", str(db_path)) == (
        1,
        [
            "refused: This is a PDF document, not a table. Upload a CSV or an Excel (.xlsx) "
            "file. Nothing was written."
        ],
    )
    header_only = DATA / "ingest" / "header_only.csv"
    code, lines = as_shown("import", str(header_only), "--dry-run", "--db", str(db_path))
    assert code == 1 and lines[0].startswith("refused: This file has a header row but no data")
    assert lines[1:] == [
        "header_only.csv: recognised as a spreadsheet of contracts (columns matched by their "
        "names)."
    ]


def test_a_file_refused_when_it_would_be_stored_leads_with_the_refusal(db_path, tmp_path):
    file = camden_file(db_path, tmp_path)  # Camden's current records, as they are
    code, lines = as_shown("import", str(file), "--db", str(db_path))
    assert code == 1
    assert lines[0].startswith("refused: Nothing would change: this file's records are the same")
    assert lines[1] == "camden register.csv: recognised as the City Tools Explorer template."
    assert re.fullmatch(r"  (\d+) rows read: \1 accepted, 0 refused, 0 imported with a change\.",
                        lines[2]), lines[2]  # fmt: skip
    assert lines[-1].startswith("  Camden: ") and lines[-1].endswith("(No changes.)")


def test_many_problems_of_an_imported_file_are_summed_up_by_kind_too(db_path, tmp_path):
    register = tmp_path / "camden.csv"
    rows = "".join(f"Camden,System {n},Vendor {n},TBC\n" for n in range(30))
    register.write_text("Borough,System,Vendor,Contract end\n" + rows, encoding="utf-8")
    code, lines = as_shown("import", str(register), "--dry-run", "--db", str(db_path))
    assert code == 0, lines
    tbc = [line for line in lines if "'TBC' is not a date" in line]
    assert tbc == [
        f"  row {n}, column 'Contract end' (“TBC”): 'TBC' is not a date: no end date. (imported "
        "with a change)"
        for n in range(2, 7)
    ]
    assert lines[lines.index(tbc[-1]) + 1] == "    … and 25 more rows like this."
    assert "  31 problems in all: add --json to list every one." in lines
    assert lines[-1] == "Dry run: nothing was written."


def test_a_skipped_total_row_is_not_said_to_be_imported(db_path):
    """A total row under the table is left out, as the counts say: its line says so too, and a
    note about the whole file claims no outcome of a row."""
    total = str(DATA / "ingest" / "footer_total.csv")
    done = cli("import", total, "--dry-run", db=db_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "  2 rows read: 2 accepted, 0 refused, 0 imported with a change." in lines
    assert (
        "  row 5 (“Total”): Row 5 is a total row and was skipped. (skipped, not imported)"
    ) in lines
    note = next(line for line in lines if line.startswith("  the file: "))
    assert note.endswith("if there is one."), "a note about the file has no row to import"
    out = json.loads(cli("import", total, "--dry-run", "--json", db=db_path).stdout)
    outcomes = {w["row"]: w["outcome"] for w in out["warnings"]}
    assert outcomes == {None: None, 5: "skipped, not imported"}


def test_no_row_of_a_refused_file_is_said_to_be_imported(db_path):
    spend = DATA / "real" / "lambeth_payments_2012-06.csv"  # payments: refused as a whole
    done = cli("import", str(spend), db=db_path)
    assert done.returncode == 1
    rows = [line for line in done.stdout.splitlines() if line.startswith("  row ")]
    assert rows[0].endswith("taken as blank. (not imported)"), rows[0]  # in the file's order
    assert all(row.endswith("not imported)") for row in rows), rows
    assert "imported with a change)" not in done.stdout
    out = json.loads(cli("import", str(spend), "--json", db=db_path).stdout)
    assert {w["outcome"] for w in out["warnings"]} == {
        None,
        "not imported",
        "skipped, not imported",
    }


@pytest.mark.parametrize(
    "args, message",
    [
        (["import"], "the following arguments are required"),
        (["import", "x.csv", "--borough", "Gotham"], "No London borough"),
        (["rollback", "not-a-number"], "is not a whole number"),
        (["backup"], "the following arguments are required"),
    ],
)
def test_usage_errors_exit_2(db_path, args, message):
    done = cli(*args, db=db_path)
    assert done.returncode == 2 and message in done.stderr


@pytest.mark.usefixtures("short_busy_waits")
def test_while_the_app_holds_the_database_the_cli_refuses_clearly_and_changes_nothing(
    db_path, tmp_path
):
    file = camden_file(db_path, tmp_path, _edit)
    before = dump_of(db_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]);"
         " print('ready', flush=True); time.sleep(120)", str(db_path)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "ready"
        for args in (["import", str(file)], ["rollback", "7"], ["restore", str(file)]):
            done = cli(*args, db=db_path)
            assert done.returncode == 1, args
            assert "in use by another program" in done.stderr and "Traceback" not in done.stderr
        as_json = cli("import", str(file), "--json", db=db_path)
        assert as_json.returncode == 1
        assert "in use by another program" in json.loads(as_json.stdout)["refused"]
    finally:
        holder.kill()
        holder.wait()
    assert dump_of(db_path) == before


def test_rollback_backup_and_restore_from_the_command_line(db_path, tmp_path):
    file = camden_file(db_path, tmp_path, _edit)
    first = json.loads(cli("import", str(file), "--json", db=db_path).stdout)["snapshot_ids"][0]
    back = cli("rollback", "7", "--user", "Ann Steward", db=db_path)
    assert back.returncode == 0, back.stderr
    assert "copy of snapshot 7" in back.stdout
    assert "Camden shows illustrative data again" in back.stdout, "snapshot 7 is Camden's demo"
    listed = json.loads(cli("snapshots", "--json", db=db_path).stdout)
    last = listed[-1]
    assert (last["source"], last["restored_from"], last["created_by"]) == (
        "rollback",
        7,
        "Ann Steward",
    )
    assert any(s["id"] == first and s["status"] == "superseded" for s in listed)
    again = cli("rollback", str(last["id"]), db=db_path)
    assert again.returncode == 1 and "already" in again.stderr

    archive = tmp_path / "backup.zip"
    made = cli("backup", "-o", str(archive), db=db_path)
    assert made.returncode == 0, made.stderr
    assert "35 snapshots" in made.stdout and not list(tmp_path.glob(".backup.zip.partial*"))
    fresh = tmp_path / "fresh.duckdb"
    restored = cli("restore", str(archive), db=fresh)
    assert restored.returncode == 0, restored.stderr
    assert "35 snapshots" in restored.stdout
    assert dump_of(fresh) == dump_of(db_path)

    before = dump_of(fresh)
    refused = cli("restore", str(file), db=fresh)
    assert refused.returncode == 1
    assert "not a City Tools Explorer backup" in refused.stderr
    assert "Nothing was written" in refused.stderr
    assert dump_of(fresh) == before


def test_the_template_round_trips_exported_data_imports_with_no_change(db_path, tmp_path):
    """Export the current data (as the CLI and as the app's download), import it: no change."""
    exported = tmp_path / "everything.csv"
    assert cli("export", "-o", str(exported), db=db_path).returncode == 0
    labelled = tmp_path / "everything labelled.csv"
    db = lifecycle.open_store(db_path)
    try:
        with db.read() as r:
            labelled.write_bytes(
                exports.to_csv(exports.with_labels(selection.records(r, FilterState())))
            )
    finally:
        db.close()
    for file in (exported, labelled):
        done = cli("import", str(file), "--dry-run", "--json", db=db_path)
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout)
        assert out["format"] == "template" and out["rows_rejected"] == 0
        assert len(out["changes"]) == 33
        changed = [c for c in out["changes"] if c["added"] or c["removed"] or c["changed"]]
        assert changed == [], changed
    assert len(list(csv.reader(io.StringIO(exported.read_text("utf-8-sig"))))) == 801


@pytest.mark.slow
def test_an_import_killed_mid_commit_leaves_the_previous_snapshots_intact(db_path, tmp_path):
    """SIGKILL at several moments of a big import's writing: the file always opens, old data or
    new. The moments are fractions of a whole write, most of them early: the commit is its first
    part (closing the file and leaving follow), and on a quiet machine it once ended within the
    first tenth, so kills spread evenly from 0.1 all landed after it and none cut it short."""
    big = tmp_path / "big.csv"
    demo.write_csv(big, rows=30_000, seed=11)
    pristine = tmp_path / "pristine.duckdb"
    pristine.write_bytes(db_path.read_bytes())
    before = dump_of(pristine)

    def run(target, kill_after: float | None) -> tuple[bool, float]:
        """Import into `target`; kill it `kill_after` seconds after it starts writing."""
        proc = subprocess.Popen(
            [sys.executable, "-m", "citydata", "import", str(big), "--db", str(target)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        line = proc.stderr.readline()
        assert line.startswith("Writing"), line
        started = time.monotonic()
        if kill_after is None:
            proc.wait(timeout=300)
            return False, time.monotonic() - started
        time.sleep(kill_after)
        alive = proc.poll() is None
        if alive:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        return alive, 0.0

    full = tmp_path / "full.duckdb"
    full.write_bytes(pristine.read_bytes())
    _, writing = run(full, None)
    after = dump_of(full)
    outcomes = []
    for fraction in (0.0, 0.02, 0.05, 0.1, 0.3, 0.6):
        target = tmp_path / f"killed-{fraction}.duckdb"
        target.write_bytes(pristine.read_bytes())
        killed, _ = run(target, writing * fraction)
        db = lifecycle.open_store(target)  # always opens
        try:
            state = dump(db)
            with db.read() as r:
                counts = r.rows(
                    "SELECT s.borough_code, s.rows_imported, count(c.record_no) FROM snapshots s"
                    " LEFT JOIN contracts c ON c.snapshot_id = s.id WHERE s.status = 'active'"
                    " GROUP BY ALL"
                )
        finally:
            db.close()
        assert len(counts) == 33 and all(n == m for _, n, m in counts)
        new = state["snapshots"] != before["snapshots"]
        if new:
            assert len(state["snapshots"]) == len(after["snapshots"])
            assert len(state["contracts"]) == len(after["contracts"])
        else:
            assert state == before
        outcomes.append((fraction, killed, "new" if new else "old"))
    assert any(killed for _, killed, _ in outcomes), outcomes
    assert any(state == "old" and killed for _, killed, state in outcomes), outcomes


def test_a_plain_import_names_its_snapshots_in_words_that_fit_their_number(db_path, tmp_path):
    one = cli("import", str(camden_file(db_path, tmp_path, _edit)), db=db_path)
    assert one.returncode == 0, one.stderr
    assert "Writing 1 snapshot…" in one.stderr
    assert re.search(r"^Imported: snapshot \d+\.$", one.stdout, re.M), one.stdout

    db = lifecycle.open_store(db_path)
    try:
        with db.read() as r:
            df = selection.records(r, FilterState(borough=("Camden", "Hackney")))
    finally:
        db.close()
    df = df.drop(columns=["source", "snapshot_id"])
    df.loc[df.index[:1], "annual_value"] = 3.5  # one change in Camden
    df.loc[df.index[-1:], "annual_value"] = 4.5  # and one in Hackney
    path = tmp_path / "two boroughs.csv"
    path.write_bytes(exports.to_csv(exports.with_labels(df)))
    two = cli("import", str(path), db=db_path)
    assert two.returncode == 0, two.stderr
    assert "Writing 2 snapshots…" in two.stderr
    assert re.search(r"^Imported: snapshots \d+, \d+\.$", two.stdout, re.M), two.stdout


def test_a_file_of_one_row_is_counted_in_the_singular(db_path, tmp_path):
    file = camden_file(db_path, tmp_path, lambda df: df.head(1))
    done = cli("import", str(file), "--dry-run", db=db_path)
    assert done.returncode == 0, done.stderr
    assert "  1 row read: 1 accepted, 0 refused" in done.stdout, done.stdout
    assert re.search(r"Camden: \d+ records now, 1 after", done.stdout), done.stdout


def test_a_row_naming_two_suppliers_is_one_row_read_and_two_records(db_path):
    """A flattened notice file of 3 rows, one refused and one an award to two suppliers, once
    said "3 rows read: 3 accepted, 1 refused" (4 of 3) and listed that row's two warnings twice
    each. It is 2 rows accepted, giving 3 records, and each warning once."""
    path = ROOT / "tests" / "data" / "notices" / "ocds_flattened.csv"
    done = cli("import", str(path), "--dry-run", "--json", db=db_path)
    out = json.loads(done.stdout)
    # The one row not imported is grounds maintenance: left out, not refused (nothing to fix).
    assert (out["rows_read"], out["rows_accepted"], out["rows_rejected"]) == (3, 2, 0)
    assert out["rows_left_out"] == 1
    assert out["records_accepted"] == 3 and out["records_imported"] == 3
    shared = [w for w in out["warnings"] if w["row"] == 4]
    assert len(shared) == len({(w["column"], w["reason"]) for w in shared}) == 2, shared
    done = cli("import", str(path), "--dry-run", db=db_path)
    assert "3 rows read: 2 accepted (3 records), 0 refused, 1 left out" in done.stdout, done.stdout


def test_notices_imported_from_the_command_line_are_in_the_fetch_history(db_path) -> None:
    """`import` of a notices file: its line in the history, as the Upload and Published notices
    pages write one. Before, the history (and the Published notices page) said "No fetch or
    notices import has run yet." after notices had come in this way."""
    path = ROOT / "tests" / "data" / "notices" / "ocds_flattened.csv"
    before = cli("fetch-history", db=db_path)
    assert before.stdout.strip() == "No fetch or notices import has run yet.", before.stdout
    done = cli("import", str(path), "--user", "ann", db=db_path)
    assert done.returncode == 0, done.stderr
    after = cli("fetch-history", db=db_path)
    assert after.returncode == 0, after.stderr
    assert "ocds_flattened.csv" in after.stdout and "ann" in after.stdout, after.stdout


def test_an_import_refused_before_it_writes_never_says_it_is_writing(
    db_path, tmp_path, monkeypatch
):
    """`import` said "Writing 1 snapshot…" and then had its commit refused, as someone else
    committed between its preview and its commit: it claimed to be writing what it then did not
    write. "Writing" is now said once the commit's checks have passed, as the writing starts."""
    from citydata.cli import snapshots as import_command

    preview = import_command.previews.preview

    def someone_else_commits_meanwhile(db, prepared):
        changes = preview(db, prepared)
        snapshots.commit(db, prepared, b"their file", "someone else")
        return changes

    monkeypatch.setattr(import_command.previews, "preview", someone_else_commits_meanwhile)
    for value, json_too in ((1.5, []), (2.5, ["--json"])):
        path = camden_file(db_path, tmp_path, lambda df, v=value: df.assign(annual_value=v))
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = citydata_cli.main(["import", str(path), *json_too, "--db", str(db_path)])
        assert code != 0
        assert "Writing" not in err.getvalue()
        assert err.getvalue() == (
            ""
            if json_too
            else "refused: Camden's data changed since this preview (someone else committed or "
            "rolled back). Check the preview again before committing. Nothing was written.\n"
        )
        assert "Imported" not in out.getvalue()
        if json_too:
            assert json.loads(out.getvalue())["snapshot_ids"] == []


def test_a_notices_files_entries_that_are_not_notices_are_said_to_be_left_out(db_path, tmp_path):
    """A notices file whose list holds a number and a release with no ocid: `import` said
    nothing of them (a fetch's history counts them); it names them, and --json counts them."""
    path = ROOT / "tests" / "data" / "notices" / "ocds_flattened.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = "," + lines[2].split(",", 1)[1]  # a release with no ocid
    file = tmp_path / "notices.csv"
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = cli("import", str(file), "--dry-run", db=db_path)
    assert done.returncode == 0, done.stderr
    assert "  Also left out: 1 entry that is not a notice in the list of notices." in done.stdout
    out = json.loads(cli("import", str(file), "--dry-run", "--json", db=db_path).stdout)
    assert (out["rows_read"], out["not_notices"]) == (2, 1)


def test_a_notices_file_with_nothing_the_region_keeps_is_done_not_refused(db_path):
    """`import` of a notices file whose every notice is another council's said "refused: None
    of the 9 rows can be imported…" and exited 1, where importing it on the Published notices
    page, a fetch and the Upload page say it is done, with what was left out and why."""
    path = ROOT / "tests" / "data" / "real" / "london-fire-commissioner-award_20200727-20200803.csv"
    said = (
        "london-fire-commissioner-award_20200727-20200803.csv: 9 rows read, 0 technology records "
        "of the region's councils kept. Left out: 9 bought by a council outside the region or "
        "not recognised. No technology notices of the region's councils. Nothing was written."
    )
    done = cli("import", str(path), db=db_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.endswith(f"  {said}\n"), done.stdout
    out = json.loads(cli("import", str(path), "--json", db=db_path).stdout)
    assert (out["refused"], out["snapshot_ids"], out["message"]) == (None, [], said)
