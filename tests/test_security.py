"""Security: every download neutralises formula injection, hostile URL parameters change
nothing on any page, and uploads over the size limit are refused.

The downloads are made through their public functions from a database holding a planted hostile
snapshot: Camden's and Hackney's records whose text fields start with a formula character, and
a snapshot whose file name, author and note do too. Each file is read back the way a user's
software would (csv module, openpyxl, icalendar, zipfile).

Why the calendar (.ics) is safe: calendar programs show SUMMARY and DESCRIPTION as text and run
nothing; and every line of the file starts with a property name (SUMMARY:, DESCRIPTION:...) or,
when folded, with a space, so even a spreadsheet opening it as text sees no formula. Data text
is never at the start of a line: the summary starts with "Contract ends:" or "Decide by:", each
description line with its label, and line breaks inside data are collapsed to spaces.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import tomllib
import zipfile
from datetime import datetime, timedelta

import icalendar
import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import ui
from citydata import ingest, lifecycle
from citydata.core import boroughs, dates, settings
from citydata.core.text import starts_formula
from citydata.output import backup, briefing, exports, group_briefing, ics
from citydata.query import (
    adoption,
    borough_profile,
    collaboration,
    mapdata,
    market,
    pipeline,
    selection,
)
from citydata.query.filters import URL_KEYS, FilterState
from citydata.store import snapshots
from citydata.store.db import Database
from tests import command
from tests.apptest import bound_keys, registered_pages
from tests.apptest import shown as markdown_shown
from tests.conftest import DATA, ROOT
from tests.snapshot_helpers import dump
from ui.charts import market as market_charts

FORMULA_STARTS = exports.FORMULA_STARTS
START_IDS = {"=": "equals", "+": "plus", "-": "minus", "@": "at", "\t": "tab", "\r": "cr"}
PLANTED = {"E09000007": "Camden", "E09000012": "Hackney"}
BODY = {
    "system": "cmd|' /C calc'!A0",
    "vendor": "2+5+cmd|' /C notepad'!A0",
    "manufacturer": "1+1",
    "source_ref": "SUM(1,2)",
}
TODAY = dates.today()
END = TODAY + timedelta(days=90)


def hostile(start: str, field: str) -> str:
    """The planted text of `field`: a formula behind `start` (behind '=' for tab and CR)."""
    return start + ("=" if start in "\t\r" else "") + BODY[field]


def plant(path, start: str) -> None:
    """Camden and Hackney each get a new active snapshot of one hostile record."""
    db = Database(path)
    try:
        with db.write() as w:
            for code, name in PLANTED.items():
                snap = w.scalar("SELECT nextval('snapshot_ids')")
                w.execute(
                    "UPDATE snapshots SET status = 'superseded' WHERE borough_code = $code",
                    {"code": code},
                )
                w.execute(
                    "INSERT INTO snapshots (id, borough_code, created_at, file_name,"
                    " rows_imported, rows_rejected, status, source, created_by, note)"
                    " VALUES ($id, $code, $at, $file, 1, 0, 'active', 'upload', $by, $note)",
                    {
                        "id": snap,
                        "code": code,
                        "at": datetime(2026, 1, 1, 9, 0),
                        "file": start + "cmd|' /C calc'!A0.csv",
                        "by": start + "SUM(1)",
                        "note": start + "1+1",
                    },
                )
                w.execute(
                    "INSERT INTO contracts (snapshot_id, record_no, borough_code, borough,"
                    " service_area, system, vendor, manufacturer, contract_start, contract_end,"
                    " annual_value, hosting, satisfaction, source_ref, source)"
                    " VALUES ($id, 2, $code, $name, 'Housing', $system, $vendor, $maker,"
                    " $start, $end, 1000, 'Cloud (SaaS)', 3, $ref, 'upload')",
                    {
                        "id": snap,
                        "code": code,
                        "name": name,
                        "system": hostile(start, "system"),
                        "vendor": hostile(start, "vendor"),
                        "maker": hostile(start, "manufacturer"),
                        "start": TODAY - timedelta(days=3 * 365),
                        "end": END,
                        "ref": hostile(start, "source_ref"),
                    },
                )
    finally:
        db.close()


@pytest.fixture(scope="module", params=FORMULA_STARTS, ids=[START_IDS[s] for s in FORMULA_STARTS])
def planted(request, built_db, tmp_path_factory):
    """(database, the formula start planted) for a copy of the built data.

    One database per formula start for the whole module (planting one for each of the ~100
    cases cost about 0.15 CPU s a case): the tests using it only read, and it is checked to
    hold the same at the end."""
    path = tmp_path_factory.mktemp("planted") / "citytools.duckdb"
    shutil.copyfile(built_db, path)
    plant(path, request.param)
    database = lifecycle.open_store(path)
    before = dump(database)
    yield database, request.param
    try:
        assert dump(database) == before, "a test changed the shared planted database"
    finally:
        database.close()


# ---- reading files back as a user's software would ----------------------------------------


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def xlsx_cells(data: bytes) -> list[openpyxl.cell.Cell]:
    """Every cell, text as Excel shows it: a control character such as a carriage return is
    stored escaped (`_x000D_`, ECMA-376 ST_Xstring), which Excel decodes and openpyxl does not."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    for c in cells:
        if isinstance(c.value, str) and "_x" in c.value and c.data_type == "s":
            c.value = _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), c.value)
    return cells


def assert_no_formula_in_csv(data: bytes) -> list[str]:
    cells = [c for row in csv_rows(data) for c in row]
    bad = [c for c in cells if starts_formula(c)]  # (look-alikes and leading spaces too)
    assert not bad, bad[:5]
    return cells


def assert_no_formula_in_xlsx(data: bytes) -> list[str]:
    cells = xlsx_cells(data)
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a formula cell"
    texts = [c.value for c in cells if isinstance(c.value, str)]
    bad = [t for t in texts if starts_formula(t)]
    assert not bad, bad[:5]
    return texts


def assert_no_formula_in(name: str, data: bytes) -> list[str]:
    if name.endswith(".csv"):
        return assert_no_formula_in_csv(data)
    return assert_no_formula_in_xlsx(data)


def shown(start: str, field: str) -> str:
    """How a planted value must appear in a spreadsheet download: behind an apostrophe."""
    return "'" + hostile(start, field)


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def holds(texts: list[str], value: str) -> bool:
    """Whether a cell holds `value` (line breaks read back as any white space)."""
    return any(one_line(value) in one_line(t) for t in texts)


# ---- every download, through its public function -------------------------------------------


def _records(r) -> pd.DataFrame:
    return exports.with_labels(selection.records(r, FilterState()).drop(columns=["snapshot_id"]))


def _map(r, key: str = "vendors") -> pd.DataFrame:
    values = mapdata.borough_values(r, FilterState(), key)
    return mapdata.labelled(mapdata.ranked(values), mapdata.heading(mapdata.METRIC_BY_KEY[key]))


def _adoption(r) -> pd.DataFrame:
    long = adoption.matrix((r, FilterState()))
    return adoption.matrix_table(long, sorted(boroughs.NAMES)).reset_index()


def _market(r) -> pd.DataFrame:
    planted = FilterState(borough=tuple(PLANTED.values()))  # the planted vendor leads there
    return market_charts.labelled(market.ranking_from(market.aggregate(r, planted)))


def _pipeline(r) -> pd.DataFrame:
    lead, _ = pipeline.lead_times_or_default()
    return pipeline.upcoming(r, FilterState(), lead, 12, TODAY).rename(columns=pipeline.LABELS)


def _collaboration(r) -> pd.DataFrame:
    """One group's members, as its download on the Collaboration page (test_record_exports
    checks the download of every group, which DuckDB writes)."""
    q = collaboration.Query("system", 6)
    members = collaboration.members(r, FilterState(), q, TODAY)
    return exports.with_labels(group_briefing.briefing_frame(members))


TABLES = {  # what the pages offer through ui.downloads / their own download buttons
    "records": _records,
    "map": _map,
    "adoption": _adoption,
    "market": _market,
    "pipeline": _pipeline,
    "collaboration": _collaboration,
}


@pytest.fixture(scope="module")
def planted_tables(planted) -> dict[str, pd.DataFrame]:
    """Every one of TABLES of the planted database, once per formula start: each table's CSV
    and Excel downloads are made of the same table."""
    db, _ = planted
    with db.read() as r:
        return {name: make(r) for name, make in TABLES.items()}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("table", list(TABLES))
def test_every_table_download_neutralises_formula_starts(planted, planted_tables, table, fmt):
    _, start = planted
    df = planted_tables[table].copy()
    data = exports.to_csv(df) if fmt == "csv" else exports.to_xlsx(df)
    texts = assert_no_formula_in(f"x.{fmt}", data)
    assert holds(texts, hostile(start, "vendor")), "the planted text is there"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_map_download_under_its_default_measure_works(db, fmt):
    with db.read() as r:
        table = _map(r, "records")
    data = exports.to_csv(table) if fmt == "csv" else exports.to_xlsx(table)
    texts = assert_no_formula_in(f"map.{fmt}", data)
    assert texts.count("Records") == 1 and "Camden" in texts


def test_a_carriage_return_inside_a_value_cannot_start_a_row_of_a_csv_download():
    df = pd.DataFrame({"System": ["Mosaic\r=1+1*cmd|' /C calc'!A0"], "Vendor": ["Servelec"]})
    rows = csv_rows(exports.to_csv(df))
    assert rows == [["System", "Vendor"], ["Mosaic\r=1+1*cmd|' /C calc'!A0", "Servelec"]]


def test_the_problems_download_of_an_upload_neutralises_values_and_column_names():
    register = (
        b"Borough,System,Vendor,Annual value,=cmd|' /C calc'!A0\r\n"
        b"Camden,Mosaic,Servelec,=1+1,x\r\n"
        b'Camden,Mosaic,Servelec,"100\r=HYPERLINK(""http://example.invalid"")",y\r\n'
        b"Camden,Mosaic,Servelec,@SUM(1),z\r\n"
        b'Camden,Mosaic,Servelec," =HYPERLINK(""http://example.invalid"")",w\r\n'
    )
    p = ingest.prepare(register, "register.csv")
    problems = snapshots.problems_table(p.problems)
    assert "=1+1" in problems["Value"].tolist(), "the value as written, for the user to find"
    behind_a_space = ' =HYPERLINK("http://example.invalid")'  # (trimmed by some spreadsheets)
    assert behind_a_space in problems["Value"].tolist()
    for fmt in ("csv", "xlsx"):
        data = exports.to_csv(problems) if fmt == "csv" else exports.to_xlsx(problems)
        texts = assert_no_formula_in(f"problems.{fmt}", data)
        assert "'=1+1" in texts and "'@SUM(1)" in texts and "'" + behind_a_space in texts


def test_the_problems_download_keeps_a_value_with_a_line_break_in_one_cell():
    register = (
        b"Borough,System,Vendor,Annual value\r\n"
        b"Camden,Mosaic,Servelec,\"100\r=1+1*cmd|' /C calc'!A0\"\r\n"
    )
    problems = snapshots.problems_table(ingest.prepare(register, "register.csv").problems)
    rows = csv_rows(exports.to_csv(problems))
    assert [len(r) for r in rows] == [5] * len(rows), rows


GROUPED = collaboration.Query("system", 6)


@pytest.fixture(scope="module")
def planted_groups(planted) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(groups, members) of the Collaboration page by system in the planted database, once per
    formula start: the briefing tests only read them."""
    db, _ = planted
    with db.read() as r:
        groups = collaboration.groups(r, FilterState(), GROUPED, TODAY)
        return groups, collaboration.members(r, FilterState(), GROUPED, TODAY)


@pytest.fixture(scope="module")
def camden_profile(planted) -> borough_profile.Profile:
    """Camden's profile in the planted database, once per formula start (the briefing tests
    only read it)."""
    db, _ = planted
    with db.read() as r:
        return borough_profile.build(r, FilterState(), "Camden", TODAY)


def test_the_collaboration_briefing_in_markdown_carries_no_formula(planted, planted_groups):
    _, start = planted
    q = GROUPED
    groups, members = planted_groups
    mine = groups[groups["key"].map(one_line) == one_line(hostile(start, "system"))]
    assert len(mine) == 1, "Camden and Hackney end together on the planted system"
    group = mine.iloc[0]
    rows = members[members["group"] == group["group"]]
    text = group_briefing.briefing_markdown(group, rows, q, TODAY)
    assert one_line(hostile(start, "system")).translate(group_briefing._MD_SPECIALS) in text
    for line in text.splitlines():
        assert not line.startswith(FORMULA_STARTS) or line.startswith("- "), line
        if line.startswith("|") and not line.startswith("|---"):
            for value in line.strip("|").split(" | "):
                assert not value.strip().startswith(FORMULA_STARTS), value


def test_the_borough_briefing_workbook_neutralises_every_sheet(planted, camden_profile):
    _, start = planted
    data = briefing.xlsx(camden_profile)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert {"Summary", "Systems", "Vendors", "Peers"} <= set(book.sheetnames)
    texts = assert_no_formula_in_xlsx(data)
    assert holds(texts, shown(start, "system")) and holds(texts, shown(start, "vendor"))


def test_the_word_briefings_carry_no_formula_in_any_table_cell(
    planted, camden_profile, planted_groups
):
    """A Word table pasted into Excel runs a cell that starts a formula: the borough's and the
    collaboration group's Word briefings put the downloads' apostrophe before such text."""
    import docx

    from citydata.output import word

    _, start = planted
    q, p = GROUPED, camden_profile
    groups, members = planted_groups
    group = groups[groups["key"].map(one_line) == one_line(hostile(start, "system"))].iloc[0]
    rows = members[members["group"] == group["group"]]
    group_doc = word.collaboration(group_briefing.briefing(group, rows, q, TODAY))
    for data in (word.borough(p), group_doc):
        doc = docx.Document(io.BytesIO(data))
        cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
        assert not [c for c in cells if starts_formula(c)]
        for field in ("system", "vendor"):  # (on one line, as Word briefings write data text)
            assert holds(cells, "'" + one_line(hostile(start, field))), field
        assert not [p.text for p in doc.paragraphs if starts_formula(p.text)]


def test_the_borough_briefing_text_keeps_data_text_inside_its_lines(planted, camden_profile):
    _, start = planted
    text = briefing.text(camden_profile)
    for line in re.split(r"\r\n|\r|\n", text):
        # The app's own bullets and underlines start with '-' or '='; data text never does.
        own = line.startswith("- ") or set(line) in ({"-"}, {"="})
        assert not line.startswith(FORMULA_STARTS) or own, repr(line)
    assert one_line(hostile(start, "system")) in one_line(text)


DESCRIPTION_LABELS = (
    "Borough: ", "Service area: ", "System: ", "Vendor: ", "Contract ends: ", "Decide by: ",
    "Annual value: ", "Reference: ", "From City Tools Explorer",
)  # fmt: skip


def assert_fixed_labels(data: bytes) -> list:
    """The calendar's events, each line of the file checked to start with a property name (or,
    folded, a space) and each event's text to start with its fixed label."""
    for line in data.decode("utf-8").split("\r\n"):
        assert line == "" or re.match(r"[A-Z]", line) or line.startswith(" "), repr(line)
    events = icalendar.Calendar.from_ical(data).walk("VEVENT")
    for event in events:
        assert str(event["SUMMARY"]).startswith(("Contract ends: ", "Decide by: "))
        for line in str(event["DESCRIPTION"]).split("\n"):
            assert line.startswith(DESCRIPTION_LABELS), line
        for category in event["CATEGORIES"].cats:
            assert not str(category).startswith(FORMULA_STARTS)
    return events


def calendar(db, state: FilterState) -> bytes:
    lead, _ = pipeline.lead_times_or_default()
    with db.read() as r:
        return ics.build(pipeline.with_decide_by(r, state, lead))


def test_the_calendar_shows_data_only_behind_fixed_labels(planted):
    """The calendar of Camden and Hackney, whose only records are the planted ones (the whole
    calendar, the same for every formula start but those four events, is checked below)."""
    db, start = planted
    events = assert_fixed_labels(calendar(db, FilterState(borough=tuple(PLANTED.values()))))
    system = one_line(hostile(start, "system"))
    mine = [e for e in events if f"System: {system}" in str(e["DESCRIPTION"])]
    assert len(mine) == len(events) == 4, "an end and a decide-by event for Camden and for Hackney"


@pytest.mark.parametrize("planted", ["\r"], ids=["cr"], indirect=True)
def test_the_whole_calendar_shows_data_only_behind_fixed_labels(planted):
    """Every event of the calendar of all the data, the planted records among the others."""
    db, start = planted
    events = assert_fixed_labels(calendar(db, FilterState()))
    system = one_line(hostile(start, "system"))
    mine = [e for e in events if f"System: {system}" in str(e["DESCRIPTION"])]
    assert len(mine) == 4, "an end and a decide-by event for Camden and for Hackney"
    assert len(events) > 1000, "every contract's events"


def test_the_backup_archive_readable_csvs_are_neutralised(planted):
    db, start = planted
    with zipfile.ZipFile(io.BytesIO(backup.archive_bytes(db))) as z:
        readable = {n: z.read(n) for n in z.namelist() if n.startswith("readable/")}
    assert set(readable) == {"readable/snapshots.csv", "readable/current_contracts.csv"}
    history = assert_no_formula_in_csv(readable["readable/snapshots.csv"])
    assert "'" + start + "cmd|' /C calc'!A0.csv" in history, "the file name as uploaded"
    assert "'" + start + "SUM(1)" in history and "'" + start + "1+1" in history
    current = assert_no_formula_in_csv(readable["readable/current_contracts.csv"])
    assert holds(current, shown(start, "source_ref"))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_template_holds_no_formula(fmt):
    data = ingest.template_bytes(fmt)
    texts = assert_no_formula_in(f"template.{fmt}", data)
    assert "System" in texts


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_command_line_export_neutralises_too(db_path, tmp_path, fmt):
    plant(db_path, "=")
    out = tmp_path / f"export.{fmt}"
    done = command.run("export", "--db", str(db_path), "--format", fmt, "-o", str(out), text=True)
    assert done.returncode == 0, done.stderr
    texts = assert_no_formula_in(out.name, out.read_bytes())
    assert holds(texts, shown("=", "system"))


def test_an_excel_download_survives_a_control_character_in_stored_text():
    df = pd.DataFrame({"System": ["Mosaic\x01\x1b[31m"], "Vendor": ["=cmd"]})
    texts = assert_no_formula_in_xlsx(exports.to_xlsx(df))
    assert "Mosaic[31m" in texts


# ---- hostile URL parameters on every page ---------------------------------------------------


PAGE_KEYS = {
    file: bound_keys((ROOT / file).read_text(encoding="utf-8")) for file, _, _ in registered_pages()
}
SIDEBAR = {key: ["x'); DROP TABLE contracts; --", "%", "' OR '1'='1"] for key in URL_KEYS}
SIDEBAR |= {"end_from": "2026-01-01' OR 1=1 --", "end_to": "9999-99-99", "q": None}
PAGE_VALUES = {  # hostile values for each key a page binds
    "metric": "records' OR 1=1 --",
    "window": "1e308",
    "share_vendor": "*",
    "profile": "Camden' OR '1'='1",
    "group_by": "system; DROP TABLE snapshots",
    "market_by": "__class__",
    "market_role": "supplier' --",
    "market_top": "99999999999999999999",
    "hhi_threshold": "-1",
    "vendor_profile": "'); DROP TABLE contracts; --",
    "adoption_system": "%",
    "coming_years": "3; DROP TABLE contracts",
    "pipeline_window": "1e308 months",
    "reconcile": "Hackney' OR '1'='1",
    "profile_help": "Mosaic' OR '1'='1",
    "calendar_measure": "value' OR 1=1 --",
    "calendar_month": "2026-13; DROP TABLE contracts",
    "calendar_view": "<script>alert(1)</script>",
    "timeline_group": "__dict__",
    "collab_group": "99999999999999999999",
    "include_ended": "yes' OR '1'='1",
    "coming_show": "%",
    "coverage_view": "Matrix; DROP TABLE snapshots",
    "h_borough": "Camden' OR '1'='1",
    "h_kind": "register' OR '1'='1",
    "pipeline_list": "../../etc/passwd",
    "areas_view": "Chart' OR '1'='1",
    "conc_view": "<img src=x onerror=alert(1)>",
    "sat-borough_view": "Table; DROP TABLE contracts",
    "sat-vendor_view": '=HYPERLINK("http://x")',
    "systems_view": "__proto__",
    "ends_view": "../Table",
}
LONG = "<script>alert(1)</script>" + "\u202e" + "A" * 5000


def test_every_key_a_page_binds_has_a_hostile_value():
    keys = set().union(*PAGE_KEYS.values())
    assert keys and keys <= set(PAGE_VALUES), keys - set(PAGE_VALUES)
    assert bound_keys(
        "".join(p.read_text(encoding="utf-8") for p in (ROOT / "ui").glob("*.py"))
    ) <= set(URL_KEYS)


def open_page(page: str, params: dict) -> AppTest:
    """The app opened straight on `page` with these URL parameters (its first run, as when a
    shared link is opened)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page(page)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown_tables(at) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe]


def assert_nothing_changed(db, before: dict) -> None:
    assert dump(db) == before, "the data changed"


@pytest.mark.timeout(300)
@pytest.mark.parametrize("page", list(PAGE_KEYS))
def test_hostile_url_values_on_every_page_are_dropped_and_change_nothing(db, page):
    before = dump(db)
    baseline = open_page(page, {})
    params = {k: v for k, v in SIDEBAR.items() if v is not None}
    params |= {k: PAGE_VALUES[k] for k in PAGE_KEYS[page]}
    at = open_page(page, params)
    assert not at.error, [e.value for e in at.error]
    notes = [markdown_shown(w.value) for w in at.sidebar.warning]
    filter_notes = [n for n in notes if not n.startswith("The link's ")]
    assert len(filter_notes) == len(URL_KEYS) - 1, "each dropped value is named"
    for key in PAGE_KEYS[page]:  # and each page setting its widget could not take
        label = ui.links.setting_label(key)
        if key in at.session_state and str(at.session_state[key]) != str(PAGE_VALUES[key]):
            assert any(n.startswith(f"The link's {label} ") for n in notes), (key, notes)
    got, want = shown_tables(at), shown_tables(baseline)
    assert len(got) == len(want), "the page shows what it shows without the parameters"
    for table, expected in zip(got, want, strict=True):
        assert len(table) == len(expected), "no extra rows"
        assert table.equals(expected)
    assert [m.value for m in at.metric] == [m.value for m in baseline.metric]
    assert_nothing_changed(db, before)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("page", list(PAGE_KEYS))
def test_a_hostile_search_is_only_a_search_on_every_page(db, page):
    before = dump(db)
    params = {"q": "' OR ''='"} | {k: LONG for k in PAGE_KEYS[page]}
    at = open_page(page, params)
    assert not at.error, [e.value for e in at.error]
    for table in shown_tables(at):  # no record holds that text, so no record is listed
        named = {str(c).lower() for c in table.columns} & {"system", "vendor", "systems"}
        assert not named or table.empty, list(table.columns)
    assert_nothing_changed(db, before)


# ---- uploads over the limit -----------------------------------------------------------------


def test_the_upload_limits_agree_25_mb_everywhere():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    server = config["server"]["maxUploadSize"]
    app = int(settings.BY_NAME["CITYTOOLS_MAX_UPLOAD_MB"].default)
    assert server == app == settings.upload_limit_bytes() // (1024 * 1024) == 25


@pytest.mark.timeout(120)
def test_a_file_over_max_bytes_is_refused_before_it_is_read():
    max_bytes = settings.upload_limit_bytes()
    register = (DATA / "hostile" / "csv_renamed.xlsx").read_bytes()  # a CSV register
    blank_lines = (b" " * 99_998 + b"\r\n") * (max_bytes // 100_000)
    exactly = register + blank_lines
    exactly += b" " * (max_bytes - len(exactly))
    assert len(exactly) == max_bytes
    p = ingest.prepare(exactly, "register.csv")
    assert p.refused is None and len(p.records) == 3, "the limit itself is accepted"
    p = ingest.prepare(exactly + b" ", "register.csv")
    assert p.refused == (
        "This file is 25.0 MB; the largest file accepted is 25 MB. Split it (one borough per "
        "file) and upload each."
    )
    assert p.rows_read == 0 and p.records.empty
