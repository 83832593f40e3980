"""The app's wiring, run by Streamlit's AppTest against a real database file."""

from __future__ import annotations

import io

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from citydata.core import dates
from citydata.query import filters, selection
from citydata.query.filters import FilterState
from tests.apptest import inert, metric, registered_pages, run_app, shown
from tests.conftest import ROOT
from tests.test_original_download import downloads  # noqa: F401

PAGES = [file for file, _, _ in registered_pages()]


@pytest.mark.parametrize("page", PAGES)
def test_every_registered_page_opens_without_error_and_no_table_shows_none(db_path, page):
    """Every page opens without an error. And a missing value (no hosting recorded, a record
    without an annual value, in a text, number or date column) is an empty cell, not
    Streamlit's grey "None": every table on every page says what to show for one.

    One run of a page checks both (they were two tests running each page the same way); the
    Overview's tables are those of a search (for "hosting"), so it is run again with one."""
    assert len(PAGES) >= 10
    at = run_app()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    if page == "pages/overview.py":
        at = run_app({"q": "hosting"})
        at.switch_page(page)
        at.run()
    for table in at.dataframe:
        assert table.proto.HasField("placeholder"), (page, list(table.value.columns))
        assert table.proto.placeholder == "", page


def test_missing_hosting_and_values_are_empty_cells(db):
    with db.read() as r:
        borough = r.scalar(
            "SELECT min(borough) FROM current_contracts"
            " WHERE hosting IS NULL AND borough IN"
            " (SELECT borough FROM current_contracts WHERE annual_value IS NULL)"
        )
    at = run_app({"borough": borough})
    table = next(t for t in at.dataframe if "hosting" in t.value.columns)
    records = table.value
    assert records["hosting"].isna().any() and records["annual_value"].isna().any(), borough
    assert table.proto.placeholder == "" and table.proto.HasField("placeholder")


def test_overview_figures_equal_sql_on_the_same_file(db):
    at = run_app()
    with db.read() as r:
        expected = selection.headline(r, FilterState())
        records = r.scalar("SELECT count(*) FROM current_contracts")
        vendors = r.scalar("SELECT count(DISTINCT vendor) FROM current_contracts")
    assert metric(at, "Records") == f"{records:,}"
    assert metric(at, "Vendors") == f"{vendors:,}"
    assert metric(at, "Boroughs covered") == "33 of 33"
    assert metric(at, "Ending in the next 12 months") == f"{expected['ending_12_months']:,}"
    assert "Illustrative data" in at.info[0].value


def test_the_ten_largest_vendors_share_is_the_markets_not_rounded_to_the_even(db):
    """Barking and Dagenham's ten largest vendors hold 62.5% of its records: the Overview said
    "62%" (a half rounded to the even number, after rounding to a tenth), the Market "62.5%"."""
    state = FilterState(borough=("Barking and Dagenham",))
    with db.read() as r:
        sql, params = selection.base(state)
        held = r.scalar(
            f"""WITH b AS ({sql}), v AS (SELECT vendor, count(*) AS n FROM b
                WHERE vendor IS NOT NULL GROUP BY vendor ORDER BY n DESC, vendor LIMIT 10)
            SELECT 100.0 * (SELECT sum(n) FROM v) / (SELECT count(*) FROM b)""",
            params,
        )
    assert held == 62.5
    at = run_app({"borough": "Barking and Dagenham"})
    assert metric(at, "Share held by the 10 largest vendors") == "62.5%"


def test_url_parameters_seed_the_filters(db):
    at = run_app({"borough": ["Camden", "Hackney"], "service_area": "Housing"})
    assert at.multiselect(key="borough").value == ["Camden", "Hackney"]
    assert at.multiselect(key="service_area").value == ["Housing"]
    assert "the register's" in at.multiselect(key="source_kind").help, "matched: by the register"
    with db.read() as r:
        expected = r.scalar(
            "SELECT count(*) FROM current_contracts WHERE borough IN ('Camden', 'Hackney')"
            " AND service_area = 'Housing'"
        )
    assert metric(at, "Records") == f"{expected:,}"
    assert "borough is Camden or Hackney and service area is Housing" in at.markdown[0].value


def test_unknown_url_values_are_dropped_with_a_visible_note(db_path):
    at = run_app({"borough": ["Camden", "Gotham"]})
    assert at.multiselect(key="borough").value == ["Camden"]
    assert any("No borough called “Gotham”" in shown(w.value) for w in at.sidebar.warning)


def test_filters_that_match_nothing_say_so(db_path):
    at = run_app({"q": "no such system anywhere"})
    assert any("No contracts match" in i.value for i in at.info)
    assert not at.exception


def test_downloads_are_offered(db_path, downloads):  # noqa: F811
    """...and say what they hold: a file forwarded by email lost the filters it was made
    under. The names carry them, and the Excel file a sheet saying them in full."""
    at = run_app({"borough": "Camden"})
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Download CSV", "Download Excel"]
    day = f"{dates.today():%Y-%m-%d}"
    (_, csv_name, csv_data), (_, xlsx_name, xlsx_data) = downloads
    assert (csv_name, xlsx_name) == (
        f"city-tools-contracts-camden-{day}.csv",
        f"city-tools-contracts-camden-{day}.xlsx",
    )
    assert csv_data().decode("utf-8-sig").startswith("Borough code,"), "only the data"
    book = openpyxl.load_workbook(io.BytesIO(xlsx_data()))
    assert book.sheetnames == ["Contracts", "About this download"]
    about = {k: v for k, v in book["About this download"].iter_rows(min_row=2, values_only=True)}
    assert about["Selection"] == "Records where borough is Camden"
    assert about["Rows"] == book["Contracts"].max_row - 1 > 0
    assert about["Data"].startswith("Camden: register, snapshot ")


@pytest.mark.parametrize(
    "content",
    [b"this is a shopping list\n" * 200, b"\x00\x01binary\xff" * 1000],
    ids=["text file", "binary file"],
)
def test_an_unusable_database_is_explained_and_left_alone(db_path, content):
    """A visitor is offered no rebuild: only a signed-in steward is (tests/test_lifecycle.py);
    the rebuild button itself is clicked in a real browser (tests/browser)."""
    db_path.unlink()
    db_path.write_bytes(content)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert "The database cannot be used" in at.error[0].value
    shown = at.error[0].value.replace("\\", "").replace("\u2060", "")  # Markdown's escapes
    assert "could not be opened as a City Tools database: it is not a database file" in (shown), (
        "said in words, not DuckDB's 'IO Error: ... is not a valid DuckDB database file!'"
    )
    assert "Error" not in at.error[0].value and "DuckDB" not in at.error[0].value
    assert not at.button
    assert db_path.read_bytes() == content


def test_a_foreign_duckdb_file_is_explained_not_overwritten(tmp_path, monkeypatch):
    import duckdb

    path = tmp_path / "sales.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE sales AS SELECT 1 AS x")
    con.close()
    monkeypatch.setenv("CITYTOOLS_DB", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert "not a City Tools Explorer database" in at.error[0].value
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT x FROM sales").fetchall() == [(1,)]
    con.close()


@pytest.mark.parametrize(
    "params",
    [
        {"borough": "Camden' OR '1'='1"},
        {"borough": ["Camden", "x); DROP TABLE contracts; --"]},
        {"q": "' OR ''='"},
        {"end_from": "2026-01-01' OR 1=1 --", "end_to": "9999-99-99"},
        {"service_area": 'Housing" OR 1=1 --', "vendor": "%", "system": "*"},
    ],
    ids=["quote in borough", "drop table", "quote in search", "bad dates", "wildcards"],
)
def test_hostile_url_parameters_cannot_change_the_sql(db, params):
    at = run_app(params)
    assert not at.exception and not at.error
    with db.read() as r:
        total = r.scalar("SELECT count(*) FROM current_contracts")
        camden = r.scalar("SELECT count(*) FROM current_contracts WHERE borough = 'Camden'")
    shown = int(metric(at, "Records").replace(",", "")) if at.metric else 0
    assert shown in (0, camden, total)
    if "q" in params:
        assert shown == 0, "a search is a search, never SQL"
    if "vendor" in params:
        assert shown == total, "values that are not in the data are dropped"
        assert len(at.sidebar.warning) == 3
    assert db.scalar("SELECT count(*) FROM contracts") >= total


def test_a_memory_limit_that_is_not_an_amount_stops_the_app_with_a_message(db_path, monkeypatch):
    before = db_path.read_bytes()
    monkeypatch.setenv("CITYTOOLS_MEMORY_LIMIT", "lots")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert "CITYTOOLS_MEMORY_LIMIT is “lots”" in shown(at.error[0].value)
    assert not at.button and not at.metric  # no rebuild offered, no data shown
    assert db_path.read_bytes() == before


def test_a_setting_quoted_in_the_stop_message_shows_as_written(db_path, monkeypatch):
    """The message that stops the app quotes the setting's value: text that reads as a link or
    colour (pasted from somewhere into the host's settings) is shown as typed, not rendered."""
    monkeypatch.setenv("CITYTOOLS_MEMORY_LIMIT", "[1GB](https://example.org/x)")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert not inert(at.error[0].value), inert(at.error[0].value)
    assert "CITYTOOLS_MEMORY_LIMIT is “[1GB](https://example.org/x)”" in shown(at.error[0].value)


def test_a_back_to_front_end_date_range_is_swapped_with_the_command_lines_words(db):
    at = run_app({"end_from": "2027-12-31", "end_to": "2026-01-01"})
    notes = [w.value for w in at.sidebar.warning]
    assert any("back to front" in n and "swapped" in n for n in notes), notes
    with db.read() as r:
        expected = r.scalar(
            "SELECT count(*) FROM current_contracts"
            " WHERE contract_end BETWEEN DATE '2026-01-01' AND DATE '2027-12-31'"
        )
    assert metric(at, "Records") == f"{expected:,}"


@pytest.mark.parametrize(
    ("page", "params"),
    [
        ("pages/vendor.py", {"vendor_profile": "Bibliotheca"}),
        ("pages/adoption.py", {"adoption_system": "Bibliotheca selfCheck"}),
        ("pages/borough.py", {"profile": "Barnet", "vendor": "Bibliotheca"}),
    ],
)
def test_an_amount_no_record_gives_is_not_recorded_rather_than_nothing(db, page, params):
    """A selection whose records hold no annual value once showed "Annual value £0" beside a
    table whose values were empty; the amount is not known, and the page says so."""
    with db.read() as r:
        held = r.rows(
            "SELECT count(*), count(annual_value) FROM current_contracts"
            " WHERE vendor = 'Bibliotheca' AND borough = 'Barnet'"
        )[0]
        figures = selection.headline(r, FilterState(borough=("Barnet",), vendor=("Bibliotheca",)))
    assert held[0] > 0 and held[1] == 0, "the example data has such records"
    assert figures["annual_value"] is None and figures["records"] == held[0]
    at = run_app(params, page)
    values = [m.value for m in at.metric if m.label == "Annual value"]
    assert values == ["Not recorded"], (page, values)


def _coverage(at):
    """The coverage matrix's table (its rows are named by borough)."""
    return next(t.value for t in at.dataframe if t.value.index.name == "Borough")


def test_the_coverage_matrix_shows_only_the_service_areas_the_filters_allow(db):
    """With Service area = Housing the matrix once showed 0 in the 18 other areas under "white
    cells with 0 are service areas where a borough has no record", while Camden has records in
    them: an area the filters leave out is not a gap."""
    at = run_app({"service_area": "Housing", "coverage_view": "Table"})
    assert list(_coverage(at).columns) == ["Housing"]
    caption = next(c.value for c in at.caption if c.value.startswith("White cells"))
    assert caption.endswith("has no record."), caption
    corporate = filters.service_areas(FilterState(service_type=("Corporate",)))
    assert "Housing" not in corporate and "HR and payroll" in corporate
    at = run_app({"service_type": "Corporate", "vendor": "Civica", "coverage_view": "Table"})
    assert list(_coverage(at).columns) == corporate
    caption = next(c.value for c in at.caption if c.value.startswith("White cells"))
    assert caption.endswith("has no record matching the filters."), caption


def test_a_fault_in_a_page_is_said_in_words_not_as_pythons_traceback(db_path, monkeypatch, caplog):
    """A fault of the program while a page ran showed Streamlit's red box: "KeyError: 'records'"
    and a traceback. It now says what did not happen, that nothing was changed (Overview only
    shows), and what to do; the traceback goes to the server's log."""

    def broken(reader, state):
        raise KeyError("records")  # a bug, as a program fault would be

    monkeypatch.setattr(selection, "headline", broken)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()  # (the tests run with CITYTOOLS_DEBUG set: the fault is raised as it is)
    assert at.exception, "a page's fault cannot hide from the tests"
    monkeypatch.delenv("CITYTOOLS_DEBUG")  # as the app runs for its users
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, "no traceback on the page"
    assert at.error[-1].value == (
        "Something went wrong inside City Tools Explorer, so Overview could not be shown in "
        "full. This is a fault in the app, not in what you chose. Nothing was changed. Try "
        "again, or change a filter; if it happens again, please tell whoever runs the app which "
        "page it was and what you did (the server's log says where it happened)."
    )
    assert any(r.name == "ui.faults" and r.exc_info for r in caplog.records)


def test_a_fault_in_a_panel_is_said_in_the_panel_and_the_rest_of_the_page_stays(
    db_path, monkeypatch
):
    """A panel that reruns alone (a fragment: the Market's concentration, moved by its own
    slider) failing showed Streamlit's generic error for the whole run. It is said in words in
    the panel, and the page's other sections are drawn."""
    from citydata.query import market

    def broken(*args, **kwargs):
        raise ZeroDivisionError  # a bug, as a program fault would be

    monkeypatch.setattr(market, "concentration_from", broken)
    monkeypatch.delenv("CITYTOOLS_DEBUG")  # as the app runs for its users
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/market.py").run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Something went wrong inside City Tools Explorer, so this part of the page could not be "
        "shown in full. This is a fault in the app, not in what you chose. Try again, or change "
        "a filter; if it happens again, please tell whoever runs the app which page it was and "
        "what you did (the server's log says where it happened)."
    ]
    assert "Concentration per service area" in [h.value for h in at.header]
    assert at.slider(key="hhi_threshold").value == market.DEFAULT_HHI_THRESHOLD


def test_a_fault_in_a_page_that_stores_makes_no_promise_that_nothing_changed():
    from ui import faults

    class Alerts:  # as st.Page names it
        title, url_path = "Alerts", "alerts"

    assert "so Alerts could not be shown in full" in faults.said(Alerts())
    assert "Nothing was changed" not in faults.said(Alerts())


def test_a_figure_counted_from_today_is_counted_again_when_the_day_changes(db_path, monkeypatch):
    """The page cache was keyed by the filters and the data's version only: after midnight the
    Overview's "Ending in the next 12 months" (and every figure a query counts from today)
    stayed yesterday's for up to five minutes, for whoever opened the page."""
    from datetime import timedelta

    import ui
    from citydata.core import dates

    at = run_app()
    today = metric(at, "Ending in the next 12 months")
    later = dates.today() + timedelta(days=550)  # the same server, a year and a half on
    monkeypatch.setattr(dates, "today", lambda at=None: later)
    at = run_app()  # (the page cache is the process's: shared by every visitor)
    expected = selection.headline(ui.database(), FilterState(), later)["ending_12_months"]
    assert metric(at, "Ending in the next 12 months") == f"{expected:,}" != today
