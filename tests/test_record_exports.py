"""Every filtered record, written by DuckDB: the same bytes as the DataFrame path, neutralised,
the same file from the app and the command line, and big selections explained."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from citydata import cli, lifecycle
from citydata.output import exports, workbook
from citydata.query import selection
from citydata.query.filters import FilterState
from citydata.store.db import Database
from tests.apptest import run_app
from tests.command import run
from tests.test_exports import LOOKALIKE_IDS, LOOKALIKES
from tests.test_security import (
    START_IDS,
    assert_no_formula_in,
    assert_no_formula_in_xlsx,
    csv_rows,
    hostile,
    plant,
)

TRIGGERS = exports.FORMULA_STARTS
AWKWARD = [
    "Capita, plc",
    'The "Mosaic" suite',
    "two\nlines",
    "two\r\nlines",
    "Mosaic\r=1+1*cmd|' /C calc'!A0",
    "",
    " spaced ",
    "£ Café – naïve",
    "'already quoted",
    "#hash",
    "a;b|c\\d",
    "x=1",
]


def table_db(tmp_path, texts: list[str | None]) -> Database:
    """A database whose table `t` holds `texts`, with numbers (some negative) and dates."""
    db = Database(tmp_path / "t.duckdb")
    with db.write() as w:
        w.execute(
            "CREATE TABLE t (n INTEGER, system VARCHAR, annual_value DECIMAL(18,2), "
            "satisfaction TINYINT, contract_end DATE)"
        )
        for i, text in enumerate(texts):
            w.execute(
                "INSERT INTO t VALUES ($n, $text, $value, $sat, $end)",
                {
                    "n": i,
                    "text": text,
                    "value": Decimal("-1000.50") if i % 2 else Decimal("448350.00"),
                    "sat": -3 if i % 3 == 0 else None,
                    "end": date(2027, 3, 31) if i % 2 else None,
                },
            )
    return db


def both_ways(db: Database, tmp_path, sql: str, params=None) -> tuple[bytes, bytes]:
    """(the SQL path's file, the DataFrame path's bytes) for the rows of `sql`, ordered by n."""
    out = tmp_path / "sql.csv"
    with db.read() as r:
        written = exports.copy_csv(r, sql, params, out, order_by="b.n")
        df = r.df(f"SELECT * FROM ({sql}) AS b ORDER BY b.n", params)
    assert written == len(df)
    return out.read_bytes(), exports.to_csv(exports.with_labels(df))


@pytest.mark.parametrize("value", LOOKALIKES, ids=LOOKALIKE_IDS)
def test_the_sql_path_neutralises_look_alike_formula_starts_as_the_dataframe_path(tmp_path, value):
    db = table_db(tmp_path, [value, "Mosaic", *LOOKALIKES, *AWKWARD, "\u2060", "\u202e"])
    new, old = both_ways(db, tmp_path, "SELECT * FROM t")
    db.close()
    assert new == old, "DuckDB and Python neutralise the same characters"
    assert csv_rows(new)[1][1] == "'" + value


@pytest.mark.parametrize("start", TRIGGERS, ids=[START_IDS[s] for s in TRIGGERS])
def test_the_sql_path_neutralises_each_formula_start(tmp_path, start):
    value = start + 'HYPERLINK("http://example.invalid")'
    db = table_db(tmp_path, [value, "Mosaic"])
    new, old = both_ways(db, tmp_path, "SELECT * FROM t")
    db.close()
    assert new == old, "the same bytes as the DataFrame download"
    rows = csv_rows(new)
    assert rows[0] == ["n", "System", "Annual value (£)", "Satisfaction (1-5)", "Contract end"]
    assert rows[1][1] == "'" + value and rows[2][1] == "Mosaic"
    assert [len(r) for r in rows] == [5, 5, 5], "a tab or CR stays inside its cell"


def test_numbers_dates_and_awkward_text_read_back_as_written(tmp_path):
    db = table_db(tmp_path, [*AWKWARD, None])
    new, old = both_ways(db, tmp_path, "SELECT * FROM t")
    db.close()
    assert new == old
    assert new.startswith(b"\xef\xbb\xbf") and b"\r\n" in new
    rows = csv_rows(new)
    assert [r[1] for r in rows[1:]] == [*AWKWARD, ""]
    assert rows[1][2] == "448350.0" and rows[2][2] == "-1000.5", "negative numbers stay numbers"
    assert rows[1][3] == "-3" and rows[2][4] == "2027-03-31" and rows[1][4] == ""


def test_filter_values_are_bound_not_written_into_the_sql(tmp_path):
    db = table_db(tmp_path, ["x'); DROP TABLE t; --", "Mosaic"])
    sql = "SELECT * FROM t WHERE system = $s"
    new, old = both_ways(db, tmp_path, sql, {"s": "x'); DROP TABLE t; --"})
    assert new == old and len(csv_rows(new)) == 2
    assert db.scalar("SELECT count(*) FROM t") == 2
    db.close()


STATES = {
    "all": FilterState(),
    "two boroughs": FilterState(borough=("Camden", "Hackney")),
    "area + window": FilterState(
        service_area=("Housing",), end_from=date(2026, 1, 1), end_to=date(2028, 12, 31)
    ),
    "hostile search": FilterState(q="cmd|' calc"),
    "nothing": FilterState(q="no such thing anywhere"),
}


@pytest.mark.parametrize("label", list(STATES))
def test_the_record_download_is_the_dataframe_download_byte_for_byte(db_path, label):
    plant(db_path, "=")
    db = lifecycle.open_store(db_path)
    with db.read() as r:
        new = exports.records_csv(r, STATES[label])
        old = exports.to_csv(exports.with_labels(selection.records(r, STATES[label])))
        count = exports.record_count(r, STATES[label])
    db.close()
    assert new == old
    assert len(csv_rows(new)) == count + 1


@pytest.mark.parametrize("label", list(STATES))
def test_the_streamed_excel_download_holds_what_the_csv_download_holds(db_path, label):
    """Read back as Excel shows it (python-calamine decodes what openpyxl leaves escaped):
    the same header, rows and order as the CSV, text as text and never a formula."""
    from python_calamine import CalamineWorkbook

    plant(db_path, "=")
    db = lifecycle.open_store(db_path)
    with db.read() as r:
        book = exports.records_xlsx(r, STATES[label])
        rows = csv_rows(exports.records_csv(r, STATES[label]))
    db.close()
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(book)).get_sheet_by_name("Contracts")
    cells = sheet.to_python(skip_empty_area=False)
    assert len(cells) == len(rows)

    def as_csv(value) -> str:
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() else repr(value)
        return value.isoformat() if isinstance(value, date) else value

    assert [[as_csv(v) for v in row] for row in cells] == [
        [v.removesuffix(".0") for v in row] for row in rows
    ]
    texts = [v for row in cells for v in row if isinstance(v, str)]
    assert not [t for t in texts if t.startswith(TRIGGERS)]
    assert assert_no_formula_in_xlsx(book)


def test_the_command_line_export_matches_the_app_download(db_path, tmp_path, capsysbinary):
    plant(db_path, "@")
    link = "http://localhost:8501/?borough=Camden&borough=Hackney&q=cmd"
    out = tmp_path / "export.csv"
    assert cli.main(["export", "--db", str(db_path), "--url", link, "-o", str(out)]) == 0
    assert cli.main(["export", "--db", str(db_path), "--url", link]) == 0
    assert capsysbinary.readouterr().out == out.read_bytes(), "standard output: the same file"
    db = lifecycle.open_store(db_path)
    with db.read() as r:
        app = exports.records_csv(r, FilterState(borough=("Camden", "Hackney"), q="cmd"))
    db.close()
    cli_rows, app_rows = csv_rows(out.read_bytes()), csv_rows(app)
    assert cli_rows[0] == list(selection.RECORD_COLUMNS), "the command line keeps column names"
    assert app_rows[0][:2] == ["Borough code", "Borough"], "the app shows labels"
    assert app_rows[0][-2:] == ["Source", "Snapshot"], "every column, not only the fields"
    assert out.read_bytes().split(b"\r\n")[1:] == app.split(b"\r\n")[1:]
    assert len(cli_rows) == 3 and "'" + hostile("@", "system") in cli_rows[1]
    assert not list(tmp_path.glob(".*partial")), "no partial file left behind"


def test_a_command_line_export_to_a_missing_folder_is_refused(db_path, tmp_path, capsys):
    out = tmp_path / "no such folder" / "export.csv"
    assert cli.main(["export", "--db", str(db_path), "-o", str(out)]) == 1
    assert "refused" in capsys.readouterr().err and not out.parent.exists()


def test_an_excel_export_too_big_for_a_sheet_is_refused(db_path, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(workbook, "EXCEL_MAX_ROWS", 100)  # the demo data has 800 records
    out = tmp_path / "export.xlsx"
    assert cli.main(["export", "--db", str(db_path), "--format", "xlsx", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "more than an Excel sheet holds (101 rows)" in err and "--format csv" in err
    assert not out.exists()
    assert cli.main(["export", "--db", str(db_path), "--borough", "Camden", "-o", str(out)]) == 0


@pytest.mark.parametrize("to_stdout", [False, True], ids=["file", "stdout"])
def test_the_command_line_excel_export_is_the_app_s_excel_download(db_path, tmp_path, to_stdout):
    """Streamed from DuckDB as the app's is (it built every record as a DataFrame first: 2.5
    times the memory), the same cells under the column names."""
    from python_calamine import CalamineWorkbook

    plant(db_path, "=")
    out = tmp_path / "export.xlsx"
    args = ["export", "--format", "xlsx", "--borough", "Camden", "--borough", "Hackney"]
    done = run(*args, *([] if to_stdout else ["-o", str(out)]), db=db_path)
    assert done.returncode == 0, done.stderr
    written = done.stdout if to_stdout else out.read_bytes()
    state = FilterState(borough=("Camden", "Hackney"))
    db = lifecycle.open_store(db_path)
    with db.read() as r:
        app = exports.records_xlsx(r, state)
        count = exports.record_count(r, state)
    db.close()

    def cells(data: bytes) -> list[list[object]]:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return book.get_sheet_by_name("Contracts").to_python(skip_empty_area=False)

    ours, theirs = cells(written), cells(app)
    assert ours[0] == list(selection.RECORD_COLUMNS)
    assert theirs[0][:2] == ["Borough code", "Borough"]
    assert ours[1:] == theirs[1:] and len(ours) == count + 1
    assert_no_formula_in_xlsx(written)


def test_an_excel_sheet_never_leaves_rows_out_without_a_word(monkeypatch):
    """xlsxwriter leaves rows past a sheet's last out and says nothing: the writer refuses."""
    monkeypatch.setattr(workbook, "EXCEL_MAX_ROWS", 2)
    with pytest.raises(workbook.TooManyRows, match="at most 3 rows"):
        exports.to_xlsx(pd.DataFrame({"System": ["a", "b", "c"]}))
    assert exports.to_xlsx(pd.DataFrame({"System": ["a", "b"]}))[:2] == b"PK"


def test_a_table_download_counts_its_rows_against_the_app_s_limits(monkeypatch):
    """A table given as a DataFrame (an upload's problems, which can run to hundreds of
    thousands) is offered as the Overview's records are: its Excel button off past the limit."""
    from streamlit.testing.v1 import AppTest

    def page():
        import pandas as pd

        import ui

        ui.downloads(pd.DataFrame({"System": ["a", "b", "c"]}), "table", key="table")

    monkeypatch.setattr(exports, "APP_EXCEL_MAX_ROWS", 2)
    at = AppTest.from_function(page).run()
    assert not at.exception
    buttons = download_buttons(at)
    assert not buttons["Download CSV"].disabled and buttons["Download Excel"].disabled
    assert "Excel downloads from the app hold at most 2 records" in buttons["Download Excel"].help


def test_what_the_app_offers_at_each_size():
    assert exports.offer(800) == exports.Offer()
    just_over_excel = exports.offer(workbook.EXCEL_MAX_ROWS + 1)
    if exports.APP_CSV_MAX_ROWS > workbook.EXCEL_MAX_ROWS:
        assert just_over_excel.csv and not just_over_excel.excel
        assert "an Excel sheet holds at most 1,048,576 rows" in just_over_excel.note
    big = exports.offer(10_000_000)
    assert not big.csv and not big.excel
    assert "10,000,000 records are too many" in big.note and "python -m citydata export" in big.note
    many = exports.offer(exports.APP_EXCEL_MAX_ROWS + 1)
    assert many.csv and not many.excel and "Download the CSV" in many.note


def download_buttons(at) -> dict[str, object]:
    return {b.label: b.proto for b in at.get("download_button")}


def test_the_overview_explains_a_selection_too_big_for_an_excel_sheet(db_path, monkeypatch):
    monkeypatch.setattr(workbook, "EXCEL_MAX_ROWS", 100)
    at = run_app()
    buttons = download_buttons(at)
    assert not buttons["Download CSV"].disabled
    assert buttons["Download Excel"].disabled
    assert "an Excel sheet holds at most 101 rows" in buttons["Download Excel"].help
    assert any("an Excel sheet holds at most 101 rows" in c.value for c in at.caption)


def test_the_overview_sends_a_huge_selection_to_the_command_line(db_path, monkeypatch):
    monkeypatch.setattr(exports, "APP_CSV_MAX_ROWS", 100)
    at = run_app()
    buttons = download_buttons(at)
    assert buttons["Download CSV"].disabled and buttons["Download Excel"].disabled
    note = next(c.value for c in at.caption if "too many to download" in c.value)
    assert "800 records" in note and "python \\-m citydata export" in note
    small = run_app({"borough": "Camden"})
    assert not any(b.disabled for b in download_buttons(small).values())


def test_the_export_sees_one_state_of_the_data(db_path, tmp_path):
    """It reads inside one transaction: a commit landing half way changes nothing in it."""
    db = lifecycle.open_store(db_path)
    out = tmp_path / "a.csv"
    with db.read() as r:
        before = exports.record_count(r, FilterState())
        db.scalar("DELETE FROM contracts WHERE borough = 'Camden'")
        exports.write_records_csv(r, FilterState(), out)
    db.close()
    assert len(list(csv.reader(io.StringIO(out.read_text("utf-8-sig"), newline="")))) == before + 1


PIPELINE_LISTS = ("decisions_due", "decisions_overdue", "upcoming", "ended", "undated")


@pytest.mark.parametrize("name", PIPELINE_LISTS)
def test_a_pipeline_list_download_is_the_dataframe_download_byte_for_byte(db_path, name):
    """The Renewal pipeline's lists are downloaded as DuckDB writes them (`exports.Rows`): the
    same bytes as the DataFrame the page used to write, and the same rows in the Excel file."""
    from python_calamine import CalamineWorkbook

    from citydata.query import pipeline

    plant(db_path, "=")
    lead, _ = pipeline.lead_times_or_default()
    today = date(2026, 12, 5)
    args = {"decisions_due": (lead, 24, today), "decisions_overdue": (lead, today),
            "upcoming": (lead, 24, today), "ended": (today,), "undated": ()}[name]  # fmt: skip
    db = lifecycle.open_store(db_path)
    with db.read() as r:
        sql, params = getattr(pipeline, f"{name}_sql")(FilterState(), *args)
        rows = exports.Rows(sql, params, names=pipeline.LABELS)
        new, book = exports.rows_csv(r, rows), exports.rows_xlsx(r, rows)
        frame = getattr(pipeline, name)(r, FilterState(), *args)
    db.close()
    old = exports.to_csv(exports.with_labels(frame.rename(columns=pipeline.LABELS)))
    assert new == old
    written = csv_rows(new)
    assert len(written) == len(frame) + 1 and len(frame) > 0, "a list with rows in it"
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(book)).get_sheet_by_name("Contracts")
    cells = sheet.to_python(skip_empty_area=False)
    assert cells[0] == written[0] and len(cells) == len(written)
    assert assert_no_formula_in_xlsx(book)


def test_the_all_groups_download_is_the_dataframe_download_byte_for_byte(db_path):
    """The Collaboration page's "Download all groups" is written by DuckDB from
    `collaboration.members_sql`: the same bytes as the DataFrame the page used to write (the
    group number headed "Group", the rest labelled), formula starts neutralised."""
    from citydata.query import collaboration

    plant(db_path, "=")
    q, today = collaboration.Query("system", 6), date(2026, 12, 5)
    db = lifecycle.open_store(db_path)
    with db.read() as r:
        sql, params = collaboration.members_sql(FilterState(), q, today)
        new = exports.rows_csv(r, exports.Rows(sql, params, names={"group": "Group"}))
        frame = collaboration.members(r, FilterState(), q, today)
    db.close()
    frame["contract_end"] = pd.to_datetime(frame["contract_end"]).dt.date
    old = exports.to_csv(exports.with_labels(frame.rename(columns={"group": "Group"})))
    assert new == old
    written = csv_rows(new)
    assert written[0][:2] == ["Group", "Borough"] and len(written) == len(frame) + 1 > 10
    assert_no_formula_in("groups.csv", new)
