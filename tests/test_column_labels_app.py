"""One name per field wherever a visitor reads it: a page's table, its CSV and Excel downloads
and the Word briefings name a column alike ("Contract end", never "End" on the page and
"Contract end" in the file), and a download uploaded again is read back field for field."""

from __future__ import annotations

import io
import json

import docx
import openpyxl

from citydata import ingest
from citydata.core.schema import FIELD_NAMES
from citydata.output import exports
from tests.apptest import run_app
from tests.test_original_download import downloads  # noqa: F401


def tables(at) -> list[dict[str, str]]:
    """Each table on the page: its shown columns, field -> label, in the order shown."""
    out = []
    for frame in at.dataframe:
        config = json.loads(frame.proto.columns or "{}")
        order = list(frame.proto.column_order) or [str(c) for c in frame.value.columns]
        shown = {c: config.get(c, {}) for c in order}
        out.append({c: s.get("label") or c for c, s in shown.items() if not s.get("hidden")})
    return out


def files(drawn, starting: str = "") -> dict[str, bytes]:
    """The first download drawn of each kind ('csv', 'xlsx', 'docx'...) whose file name starts
    with `starting`."""
    got = {}
    for _, name, data in drawn:
        if name.startswith(starting) and name.rsplit(".", 1)[-1] not in got:
            got[name.rsplit(".", 1)[-1]] = data() if callable(data) else data
    return got


def csv_header(data: bytes) -> list[str]:
    return data.decode("utf-8-sig").splitlines()[0].split(",")


def xlsx_headers(data: bytes) -> dict[str, list[str]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: [str(c.value) for c in ws[1]] for ws in book.worksheets}


def word_headers(data: bytes) -> list[list[str]]:
    return [[c.text for c in t.rows[0].cells] for t in docx.Document(io.BytesIO(data)).tables]


def test_the_overview_table_names_each_column_as_its_downloads_do(db_path, downloads):  # noqa: F811
    """The table said "Start", "End", "Satisfaction (1-5)", "skill_level" and "contact_role"
    where the CSV and Excel files said "Contract start", "Contract end", "Satisfaction",
    "In-house skill level" and "Contact role" (and "Whole contract value" without its £)."""
    at = run_app({"borough": "Camden"})
    records = tables(at)[-1]
    got = files(downloads)
    header = csv_header(got["csv"])
    assert list(records.values()) == [h for h in header if h not in ("Borough code", "Snapshot")]
    assert xlsx_headers(got["xlsx"])["Contracts"] == header
    assert "Contract end" in header and "End" not in records.values()
    assert not [label for label in records.values() if "_" in label], "no database names"
    # the download uploaded again: every field read from the column its label heads
    again = ingest.prepare(got["csv"], "download.csv")
    assert again.format == "template" and again.rows_refused == 0
    assert {f: again.mapping[f] for f in FIELD_NAMES} == {f: exports.label(f) for f in FIELD_NAMES}


def test_the_borough_profile_and_its_briefings_name_columns_alike(db_path, downloads):  # noqa: F811
    """The profile said "Start", "End", "Share of records", "Peer's end" and "Months apart";
    its Excel briefing "Contract start", "Share (%)", "Peer's contract end" and "Months
    between the end dates", and its Word briefing "Start", "Share" and "Peer's end"."""
    at = run_app({"profile": "Camden"}, "pages/borough.py")
    systems, vendors, peers = (list(t.values()) for t in tables(at)[:3])
    got = files(downloads)
    sheets = xlsx_headers(got["xlsx"])
    assert (sheets["Systems"], sheets["Vendors"], sheets["Peers"]) == (systems, vendors, peers)
    shown = set(systems) | set(vendors) | set(peers)
    for header in word_headers(got["docx"])[1:]:  # (the first: the summary's figures)
        assert set(header) <= shown, set(header) - shown


def test_a_collaboration_group_names_columns_as_its_downloads_do(db_path, downloads):  # noqa: F811
    """The group's table said "End" and its Word briefing "Contract ends"."""
    at = run_app({}, "pages/collaborate.py")
    members = list(tables(at)[1].values())
    got = files(downloads, "collaboration-group-1-")
    assert members == csv_header(got["csv"])
    (table,) = word_headers(got["docx"])
    assert set(table) <= set(members), set(table) - set(members)


def test_the_pipeline_lists_name_columns_as_their_downloads_do(db_path, downloads):  # noqa: F811
    at = run_app({}, "pages/pipeline.py")
    due = set(tables(at)[0].values())
    header = set(csv_header(files(downloads)["csv"]))
    assert due <= header, due - header
