"""Under a region other than London nothing a person reads says "borough": headings, captions,
labels, metrics, table columns, chart titles and tooltips, and the files they download."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from citydata import lifecycle
from citydata.core import regions
from tests.apptest import bound_keys, new_visit, record_download_names, registered_pages, run_app
from tests.conftest import ROOT

WORD = re.compile(r"borough", re.I)


@pytest.fixture(scope="module")
def gm_built(tmp_path_factory) -> Path:
    """Greater Manchester's database built once for the module (0.3 CPU s a build; building on
    first start is tests/test_regions_app.py's)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(regions.SETTING, "greater-manchester")
        return lifecycle.build(tmp_path_factory.mktemp("gm") / "gm.duckdb")


@pytest.fixture
def greater_manchester(monkeypatch, tmp_path, gm_built):
    """The app set up for Greater Manchester, on a private copy of its database."""
    monkeypatch.setenv(regions.SETTING, "greater-manchester")
    path = tmp_path / "gm.duckdb"
    shutil.copyfile(gm_built, path)
    monkeypatch.setenv(lifecycle.ENV_VAR, str(path))


def _spec_words(node, out: list[str]) -> None:
    """Titles, axis and legend titles, tooltip titles and text marks of a Vega-Lite spec."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("title", "text", "label") and isinstance(value, str):
                out.append(value)
            elif key == "title" and isinstance(value, list):
                out += [str(v) for v in value]
            else:
                _spec_words(value, out)
    elif isinstance(node, list):
        for value in node:
            _spec_words(value, out)


def seen(at) -> list[str]:
    """What a person reads on the page AppTest ran."""
    out: list[str] = []
    for kind in ("title", "header", "subheader", "caption", "markdown", "info", "warning",
                 "success", "error"):  # fmt: skip
        out += [e.value for e in getattr(at, kind)]
    out += [m.label for m in at.metric]
    for kind in ("selectbox", "multiselect", "text_input", "date_input", "radio", "button",
                 "number_input", "slider", "toggle", "checkbox", "select_slider"):  # fmt: skip
        for w in getattr(at, kind, []):
            out += [str(w.label or ""), str(getattr(w, "help", "") or "")]
            out += [str(getattr(w, "placeholder", "") or "")]
    out += [b.label for b in at.get("download_button")]
    for group in at.get("button_group"):  # segmented controls: "Group by", "Rank vendors by"
        out += [str(group.label or ""), str(getattr(group, "help", "") or "")]
        out += [str(option) for option in group.options]
    for frame in at.dataframe:
        config = json.loads(frame.proto.columns or "{}")
        order = list(frame.proto.column_order) or [str(c) for c in frame.value.columns]
        for column in order:
            shown = config.get(column, {})
            if not shown.get("hidden"):
                out += [shown.get("label") or column, shown.get("help") or ""]
    for chart in at.get("vega_lite_chart"):
        _spec_words(json.loads(chart.proto.spec), out)
    for deck in at.get("deck_gl_json_chart"):
        out += [deck.proto.tooltip]
    return [t for t in out if t]


PAGES = [file for file, _, _ in registered_pages()]
# Pages build only the tab on screen: the links that open the others (every chart's Table tab
# and the Overview's table, as the pages bind them; the Calendar's other views, the pipeline's
# other lists).
TABLE_TABS = {
    key: "Table"
    for page in PAGES
    for key in bound_keys((ROOT / page).read_text("utf-8"))
    if key.endswith("_view") and key != "calendar_view"
}
OTHER_TABS = [
    TABLE_TABS | {"calendar_view": "One month", "pipeline_list": "Decision overdue"},
    {"calendar_view": "Timeline", "pipeline_list": "Ending soon"},
]
WITH_TABS = [
    p for p in PAGES if re.search(r"st\.tabs\(|chart_and_table\(", (ROOT / p).read_text("utf-8"))
]


def said_borough(at) -> list[str]:
    """What the page says with "borough" in it: neither a link's address (its URL parameter is
    named borough in every region) nor a council's official name ("Bolton Metropolitan Borough
    Council") counts."""
    from citydata.core import authorities  # (any council's: a link may name another region's)

    names = sorted({a.official_name for a in authorities.registry()}, key=len, reverse=True)

    def words(text: str) -> str:
        text = re.sub(r"https?://\S+|\]\([^)]*\)", "", text)
        for name in names:
            text = text.replace(name, "")
        return text

    return [t for t in seen(at) if WORD.search(words(t))]


@pytest.mark.parametrize("page", PAGES)
def test_no_page_says_borough_under_another_region(greater_manchester, page) -> None:
    at = run_app(page=page)
    assert seen(at), "the page shows something to read"
    if page == "pages/market.py":  # its charts' titles and axes are read too
        assert at.get("vega_lite_chart")
    assert not said_borough(at)


@pytest.mark.parametrize("page", PAGES)
def test_no_page_says_borough_with_two_councils_chosen(greater_manchester, page) -> None:
    """With two councils in the filter (too few for the Market's satisfaction link, a profile
    of one of them open), what the pages say of them is still in the region's words."""
    at = run_app({"borough": ["Bolton", "Bury"], "profile": "Bolton"}, page=page)
    assert not said_borough(at)
    if page == "pages/market.py":
        assert any("too few councils with scores to say" in t for t in seen(at))


@pytest.mark.parametrize("tabs", range(len(OTHER_TABS)))
@pytest.mark.parametrize("page", WITH_TABS)
def test_no_hidden_tab_says_borough_under_another_region(greater_manchester, page, tabs) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page(page)  # opened by a link naming the other tabs, as a shared view is
    for key, value in OTHER_TABS[tabs].items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not [w.value for w in at.sidebar.warning if "cannot be used" in w.value]
    assert not said_borough(at)


def test_a_long_list_s_order_says_council_under_another_region(greater_manchester) -> None:
    """The Renewal pipeline's list of contracts with no end date, cut to its first 1,000, said
    "Showing the first 1,000 of 1,012 contracts, by borough" in Greater Manchester."""
    from tests import command

    rows = "".join(f"Bolton Council,Housing,System {i},Vendor {i % 7}\n" for i in range(1001))
    register = Path(lifecycle.db_path()).with_name("bolton.csv")
    register.write_text("Council,Service area,System,Vendor\n" + rows, encoding="utf-8")
    done = command.run("import", str(register), db=lifecycle.db_path(), text=True)
    assert done.returncode == 0, done.stderr
    at = run_app({"pipeline_list": "No end date"}, page="pages/pipeline.py")
    [note] = [c.value for c in at.caption if c.value.startswith("Showing the first 1,000")]
    assert "records, by council." in note
    assert not said_borough(at)


def test_downloads_and_briefings_say_council_under_another_region(greater_manchester):
    """The files people take away: records (the app's CSV and Excel downloads, as DuckDB writes
    them), the map's table, a council's briefing as text, Excel and Word, and calendar
    entries."""
    import io

    import docx
    import openpyxl

    from citydata.output import briefing, exports, ics, word
    from citydata.query import borough_profile, mapdata, pipeline
    from citydata.query.filters import FilterState

    db = lifecycle.open_store(lifecycle.db_path())  # (the fixture's copy of the build)
    try:
        with db.read() as r:
            records_csv = exports.records_csv(r, FilterState())
            records_xlsx = exports.records_xlsx(r, FilterState())
            values = mapdata.borough_values(r, FilterState())
            profile = borough_profile.build(r, FilterState(), "Bolton")
            lead = pipeline.load_lead_times()
            dated = pipeline.with_decide_by(r, FilterState(), lead, limit=20)
    finally:
        db.close()
    header = records_csv.decode("utf-8-sig").split("\r\n", 1)[0].split(",")
    sheet = openpyxl.load_workbook(io.BytesIO(records_xlsx)).worksheets[0]
    assert [c.value for c in sheet[1]] == header, "the Excel download's header is the CSV's"
    said = [*header, *mapdata.labelled(mapdata.ranked(values), "Records")]
    said.append(briefing.text(profile))
    book = openpyxl.load_workbook(io.BytesIO(briefing.xlsx(profile)))
    said += [str(c.value) for sheet in book for row in sheet.iter_rows(max_row=12) for c in row]
    document = docx.Document(io.BytesIO(word.borough(profile)))
    said += [p.text for p in document.paragraphs]
    said += [c.text for t in document.tables for row in t.rows[:2] for c in row.cells]
    entries = ics.build(dated).decode("utf-8")
    said.append(entries.replace("\r\n ", ""))
    assert "Council" in header, "the authority's column is named for the region"
    # the council's official name is data ("Bolton Metropolitan Borough Council"), not wording
    found = [t for t in said if WORD.search(t.replace(profile.borough.official_name, ""))]
    assert not found, found[:5]


def test_the_upload_s_columns_say_council_under_another_region(greater_manchester, monkeypatch):
    """A steward's upload in Greater Manchester: which column holds each field, in its words."""
    from citydata.output import exports
    from citydata.query.filters import FilterState
    from tests.test_upload_app import PASSWORD, sign_in, upload_file

    monkeypatch.setenv("CITYTOOLS_UPLOAD_PASSWORD", PASSWORD)
    monkeypatch.delenv("CITYTOOLS_STEWARDS", raising=False)
    db = lifecycle.open_store(lifecycle.db_path())
    try:
        with db.read() as r:
            register = exports.records_csv(r, FilterState(borough=("Bolton",)))
    finally:
        db.close()
    at = sign_in(new_visit())
    at.switch_page("pages/upload.py").run()
    upload_file(at, "bolton.csv", register)
    mapped = {s.label: s.value for s in at.selectbox}
    # what the app writes in this region, it reads back: each column found by its name
    assert mapped["Council code"] == "Council code" and mapped["Council"] == "Council", mapped
    assert not said_borough(at)


def test_the_collaboration_briefing_and_command_say_council_under_another_region(
    greater_manchester,
):
    """A group's label (the page's choice of group), its briefing as Markdown and Word, the
    command line's report and the help of the commands that name an authority."""
    import io
    from datetime import date

    import docx

    from citydata.output import group_briefing, word
    from citydata.query import collaboration
    from citydata.query.filters import FilterState
    from tests import command

    q, today = collaboration.Query(), date(2026, 12, 6)
    db = lifecycle.open_store(lifecycle.db_path())
    try:
        with db.read() as r:
            groups = collaboration.groups(r, FilterState(), q, today)
            group = groups.iloc[0]
            span = group[["key", "first_end", "last_end"]]
            members = collaboration.group_members(r, FilterState(), q, *span)
    finally:
        db.close()
    labels = list(group_briefing.group_labels(groups, q))
    every = list(members["borough"])  # the illustrative data: the briefing warns of it too
    markdown = group_briefing.briefing_markdown(group, members, q, today, every)
    made = group_briefing.briefing(group, members, q, today, every)
    document = docx.Document(io.BytesIO(word.collaboration(made)))
    header = [c.text for c in document.tables[0].rows[0].cells]
    assert labels[0].startswith(f"1. {group['key']}: {int(group['boroughs'])} councils, ending")
    assert f"{int(group['boroughs'])} councils have" in markdown
    assert f"- Councils: {group['borough_list']}" in markdown
    assert "| Council | System |" in markdown and header[0] == "Council"
    assert "check each council's register" in markdown
    said = [*labels, markdown, *(p.text for p in document.paragraphs), *header]
    said += [group_briefing.as_text(groups, q), group_briefing.as_text(groups.iloc[0:0], q)]
    report = command.run("collaborate", text=True)
    assert report.returncode == 0, report.stderr
    assert f"   councils: {group['borough_list']}" in report.stdout
    said.append(report.stdout)
    system, besides = members["system"].iloc[0], members["borough"].iloc[0]
    helped = command.run("who-can-help", system, "--besides", besides, text=True)
    assert helped.returncode == 0, helped.stderr
    assert re.match(rf"\d+ councils? runs? {re.escape(system)}\.", helped.stdout), helped.stdout
    assert helped.stdout.splitlines()[2].split()[0] == "Council", "the table's first column"
    said.append(helped.stdout)
    for name in ("collaborate", "who-can-help", "reconcile", "import"):
        shown = command.run(name, "--help", text=True)
        assert shown.returncode == 0, shown.stderr
        said.append(shown.stdout.replace("--borough", "--authority-option"))  # the option's name
    said.append(command.run("--help", text=True).stdout)
    found = [t for t in said if WORD.search(t)]
    assert not found, found[:3]


def test_the_collaboration_page_s_choice_of_group_says_council_under_another_region(
    greater_manchester,
):
    at = run_app(page="pages/collaborate.py")
    options = at.selectbox(key="collab_group").options
    assert options and all(" councils, ending " in o for o in options), options[:3]


def test_a_council_with_nothing_stored_is_a_council(greater_manchester) -> None:
    from citydata.query import record_sources

    said = record_sources.source_sentence([], ("published",))
    assert said == "No snapshot of this council's published notices has been stored yet."


@pytest.mark.parametrize(
    ("page", "key"), [("pages/borough.py", "profile"), ("pages/history.py", "h_borough")]
)
def test_a_link_s_council_the_page_cannot_take_is_called_a_council(greater_manchester, page, key):
    """A link from another region's app (a London borough's profile) opened here: the note that
    names what the page could not take calls it a council, as the page does, and says it is
    outside the region (it said "cannot be used here", as if there were no such council)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page(page)
    at.query_params[key] = "Camden"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    notes = [w.value.replace("\\", "") for w in at.sidebar.warning]  # (Markdown's escapes)
    assert (
        "The link's council “Camden” is outside Greater Manchester (London Borough of Camden); "
        "showing none."
    ) in notes, notes
    assert not said_borough(at)


def test_the_coming_command_s_table_says_council_under_another_region(greater_manchester):
    """`coming` writes the Coming to market table as CSV: its column of how many authorities
    have contracts ending is the page's, "Councils"."""
    from tests import command

    done = command.run("coming", text=True)
    assert done.returncode == 0, done.stderr
    header = done.stdout.lstrip("\ufeff").splitlines()[0].split(",")
    assert "Councils" in header, header
    assert not [h for h in header if WORD.search(h)], header


def test_the_steward_pages_say_council_under_another_region(greater_manchester, monkeypatch):
    """A steward's pages in Greater Manchester: the upload of a file with no council column
    (which council is it for, and the help of each column, with the region's own example
    rather than a London one), published notices, alerts, backup and vendor names."""
    from tests.test_upload_app import PASSWORD, sign_in, upload_file

    monkeypatch.setenv("CITYTOOLS_UPLOAD_PASSWORD", PASSWORD)
    monkeypatch.delenv("CITYTOOLS_STEWARDS", raising=False)
    at = sign_in(new_visit())
    at.switch_page("pages/upload.py").run()
    upload_file(at, "bolton.csv", b"Service area,System,Vendor\r\nHousing,QL,Aareon\r\n")
    boxes = {s.label: s for s in at.selectbox}
    assert "Which council is this file for?" in boxes, list(boxes)
    assert boxes["Council code"].help == "GSS code, such as E08000001"  # Bolton's, not London's
    assert boxes["Council"].help == "Canonical short name, such as Bolton"
    said = said_borough(at)
    for page in ("pages/notices.py", "pages/alerts.py", "pages/backup.py", "pages/aliases.py"):
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        said += said_borough(at)
    assert not said, said


def test_an_upload_s_problems_say_council_under_another_region(greater_manchester, tmp_path):
    """What a steward is told about a register's rows and about a file refused as a whole, in
    the app's preview and by `import`: the region's words, as the file's own columns are."""
    from citydata.core import stewards
    from citydata.ingest import IngestError
    from citydata.ingest.read import read
    from tests import command

    rows = tmp_path / "rows.csv"
    rows.write_text(
        "Council code,Council,Service area,System,Vendor,Contract end,Reference\n"
        "E08000001,Bury,Housing,QL,Aareon,2028-03-31,R1\n"
        ",,Housing,QL,Aareon,2028-03-31,R2\n"
        "E08000002,Bury,Housing,QL,Aareon,2028-03-31,R3\n"
        "E08000002,Bury,Housing,QL,Aareon,2028-03-31,R3\n",
        encoding="utf-8",
    )
    done = command.run("import", str(rows), "--dry-run", text=True)
    assert done.returncode == 0, done.stderr
    assert "The council code says Bolton but the council says Bury." in done.stdout
    assert "No council is given: fill in the council, or choose one" in done.stdout
    assert "(same council, reference, service area" in done.stdout
    said = [done.stdout, done.stderr]
    alone = tmp_path / "alone.csv"
    alone.write_text("Service area,System,Vendor\nHousing,QL,Aareon\n", encoding="utf-8")
    refused = command.run("import", str(alone), "--dry-run", text=True)
    assert refused.returncode == 1
    assert "no column was found for the council (no council column" in refused.stderr
    said += [refused.stdout, refused.stderr, stewards.too_big(3 * 2**20, 2**20)]
    for content in (b"x" * 2048, b"\n\n1,2\n3,4\n"):  # too big; no header row
        with pytest.raises(IngestError) as refusal:
            read(content, "register.csv", max_bytes=1024 if len(content) > 1024 else None)
        said.append(str(refusal.value))
    found = [t for t in said if WORD.search(t.replace(str(tmp_path), ""))]
    assert not found, found


# History offers a visitor nothing to download (a steward's original files keep their names).
DOWNLOADING = [page for page in PAGES if page != "pages/history.py"]


@pytest.mark.parametrize("page", DOWNLOADING)
def test_downloaded_files_are_named_for_the_region(greater_manchester, monkeypatch, page):
    """The names of the files people download ("vendor-councils-2026-12-06.csv"), not only
    what is in them, say council outside London: each page's own, opened at its address."""
    names = record_download_names(monkeypatch)
    opened = {
        "vendor_profile": "Civica",
        "profile": "Bolton",
        "adoption_system": "Mosaic",
        "reconcile": "Bolton",
    }
    run_app(TABLE_TABS | opened, page=page)  # every table's tab, a vendor, a council, a system
    assert names, "the app offers downloads"
    assert not [n for n in names if WORD.search(n)], names
    undated = [n for n in names if not re.search(r"-\d{4}-\d{2}-\d{2}\.\w+$", n)]
    assert not undated, "every download says the day it was made"


def test_a_link_filtering_on_a_council_of_another_region_says_it_is_outside_this_one(
    greater_manchester,
):
    """A note "No council called “Camden” in the data": Camden is a council, of London. The sidebar
    now says where it is, and what the app is set up for."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["borough"] = "Camden"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    notes = [  # (as shown: without Markdown's escapes and word joiners)
        w.value.replace("\\", "").replace("\u2060", "") for w in at.sidebar.warning
    ]
    assert (
        "“Camden” is outside Greater Manchester (London Borough of Camden): this app is set up "
        "for the 10 councils of Greater Manchester."
    ) in notes, notes
    assert not [n for n in notes if n.startswith("No council called")]
