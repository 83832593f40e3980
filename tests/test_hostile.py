"""Hostile uploads: every file of tests/data/hostile is imported cleanly or refused with a
specific message, never with an exception, within a time limit; what is imported is stored as
written; a refusal changes nothing stored; the command line answers in one line, never with a
traceback.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import json
import subprocess
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import pytest

from citydata import ingest, lifecycle
from citydata.core.schema import FIELD_NAMES
from citydata.ingest import Prepared
from citydata.ingest.normalise import clean_text
from citydata.output import exports
from citydata.query import selection
from citydata.query.filters import FilterState
from citydata.store import changes, previews, rawfiles, snapshots
from tests import command
from tests.conftest import DATA
from tests.snapshot_helpers import dump

HOSTILE = DATA / "hostile"
NOT_DATA = {"make_files.py", "__pycache__", "README.md", ".gitattributes", "backups"}
UNEXPECTED = "This file could not be read"  # prepare's catch-all: a rule that did not foresee
TEXT_FIELDS = ("service_area", "system", "vendor", "manufacturer", "hosting", "source_ref")


def _generator():
    spec = importlib.util.spec_from_file_location("hostile_make_files", HOSTILE / "make_files.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_files = _generator()


# ---- what each file must give ----------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """`outcome`: "refused" (the whole file, with `words` in the message), "clean" (every row
    imported) or "partial" (some rows refused, `words` among their reasons). `check` looks at
    the result further."""

    outcome: str
    words: tuple[str, ...] = ()
    check: Callable[[Prepared], None] | None = None


def refused(*words: str, check=None) -> Expect:
    return Expect("refused", words, check)


def clean(check=None) -> Expect:
    return Expect("clean", (), check)


def partial(*words: str, check=None) -> Expect:
    return Expect("partial", words, check)


def values(p: Prepared, field: str) -> list:
    return p.records[field].tolist()


def rows(n: int) -> Callable[[Prepared], None]:
    def check(p: Prepared) -> None:
        assert len(p.records) == n, values(p, "system")

    return check


def last_system(expected: str) -> Callable[[Prepared], None]:
    def check(p: Prepared) -> None:
        assert values(p, "system")[-1] == expected

    return check


def western_letters(p: Prepared) -> None:
    assert values(p, "vendor") == ["Café Systems Ltd", "Müller & Søn Ltd"]
    assert values(p, "system") == ["Mosaic", "Renée Housing"]
    assert p.records["annual_value"].astype(str).tolist() == ["250000.00", "18500.50"]


def latin_letters(p: Prepared) -> None:
    assert values(p, "system") == ["Système"]
    assert values(p, "vendor")[0].startswith("Société Générale Müller")


def letters_right_or_warned(expected: str) -> Callable[[Prepared], None]:
    """Text in an East Asian encoding: read right, or the user is told it may not be."""

    def check(p: Prepared) -> None:
        assert values(p, "system")[0] == "Northgate Housing", "ASCII text is always right"
        warned = any("UTF-8" in w.reason for w in p.warnings if w.row is None)
        assert expected in values(p, "vendor") or warned, values(p, "vendor")

    return check


def warned(*reasons: str) -> Callable[[Prepared], None]:
    """Rows imported with each of `reasons` among their warnings."""

    def check(p: Prepared) -> None:
        said = [w.reason for w in p.warnings if w.row is not None]
        assert all(r in said for r in reasons), said

    return check


def sheet(name: str, count: int) -> Callable[[Prepared], None]:
    def check(p: Prepared) -> None:
        assert (p.sheet, len(p.sheets), len(p.records)) == (name, count, 3)

    return check


def reasons_are_short(p: Prepared) -> None:
    longest = max(len(x.reason) for x in p.problems)
    assert longest <= 500, f"a reason of {longest:,} characters"


def message_is_short(p: Prepared) -> None:
    assert len(p.refused) <= 2_000, f"a message of {len(p.refused):,} characters"


def formulas_kept(p: Prepared) -> None:
    system = values(p, "system")
    for start in ("=", "+", "-", "@"):
        assert make_files.FORMULAS[start] in system
    assert "=1+1" in system, "a tab before a formula is white space, trimmed like any other"
    assert any(s.startswith("=IMPORTXML") for s in system), "so is a carriage return"
    named = p.records[p.records["source_ref"] == "B"]
    assert named["borough"].tolist() == ["Camden"], "'=Camden' names Camden, stored canonically"


def long_text_kept(p: Prepared) -> None:
    record = p.records.iloc[0]
    assert [len(record[f]) for f in ("system", "vendor", "manufacturer", "source_ref")] == [
        100_000
    ] * 4


def duplicates_named(p: Prepared) -> None:
    assert p.columns[:5] == ["Borough", "System", "Vendor", "System (2)", "Vendor (2)"]
    assert (values(p, "system"), values(p, "vendor")) == (["Mosaic"], ["Servelec"])


EXPECT: dict[str, Expect] = {
    # not a table
    "empty.csv": refused("This file is empty."),
    "whitespace_only.csv": refused("This file is empty."),
    "bom_only.csv": refused("This file is empty."),
    "nul_bytes.csv": refused("This file is empty."),
    "nul_in_register.csv": refused("not a text file", "binary data"),
    "binary_noise.csv": refused("not a text file", "binary data"),
    "control_characters.csv": refused("not a text file", "binary data"),
    "png_renamed.csv": refused("This is a PNG image, not a table"),
    "pdf_renamed.csv": refused("This is a PDF document, not a table"),
    "zip_renamed.csv": refused("This is a ZIP archive, not a CSV or Excel table"),
    "docx_renamed.csv": refused("This is a Word document"),
    "ods_renamed.xlsx": refused("This is an OpenDocument file (.ods)"),
    "gzip_renamed.csv": refused("compressed (gzip) file"),
    "xls_renamed.csv": refused("old-style Excel (.xls)", "save it as .xlsx or CSV"),
    "html_renamed.csv": refused("This is a web page (HTML), not a CSV table"),
    "xml_renamed.csv": refused("This is an XML document"),
    "damaged.xlsx": refused("ZIP archive or an Excel workbook but is damaged"),
    "truncated.xlsx": refused("is damaged"),
    "xlsx_renamed.csv": clean(rows(3)),
    "csv_renamed.xlsx": clean(rows(3)),
    "json_renamed.csv": clean(rows(1)),
    # encodings
    "enc_utf8.csv": clean(last_system("富士通 Mosaic 🚀")),
    "enc_utf8_bom.csv": clean(western_letters),
    "enc_utf16le_bom.csv": clean(western_letters),
    "enc_utf16be_bom.csv": clean(western_letters),
    "enc_utf16_no_bom.csv": refused("not a text file"),
    "enc_cp1252.csv": clean(western_letters),
    "enc_mac_roman.csv": clean(western_letters),
    "enc_latin1.csv": clean(latin_letters),
    "enc_iso8859_15.csv": clean(latin_letters),
    "enc_shift_jis_field.csv": clean(letters_right_or_warned("富士通株式会社")),
    "enc_gbk_field.csv": clean(letters_right_or_warned("华为技术有限公司")),
    "enc_mixed_utf8_cp1252.csv": partial("'Â£250,000' is not an amount of money"),
    "enc_bad_utf8_after_bom.csv": refused("marked as saved in UTF-8 (the way", "but line 2 is"),
    "enc_utf16_odd_length.csv": refused("marked as saved in UTF-16 (the way", "but line 4 is"),
    # line endings
    "eol_mixed.csv": clean(rows(3)),
    "eol_cr_only.csv": clean(rows(3)),
    # structure
    "header_only.csv": refused("has a header row but no data rows"),
    "duplicated_headers.csv": clean(duplicates_named),
    "same_header_everywhere.csv": refused("no column was found for the borough", "the system"),
    "no_header_numbers.csv": refused("No header row was found"),
    "one_column.csv": refused("No header row was found"),
    "columns_501.csv": refused("Line 1 has 501 columns; the most accepted is 500."),
    "unclosed_quote.csv": partial('A quote mark (") opened on line 3 is never closed'),
    "ragged_extreme.csv": partial("Row 4 has 400 values but the header row has 11"),
    "hostile_header_names.csv": clean(rows(1)),
    "long_header_missing_fields.csv": refused(
        "no column was found for the system", check=message_is_short
    ),
    # text meant to run
    "formula_injection.csv": partial(
        "'=1+1' is not an amount of money",
        "'=TODAY()' is not a date",
        "not '@SUM(5)'",
        check=formulas_kept,
    ),
    "formula_injection.xlsx": partial(
        "'=1+1' is not an amount of money", "'=TODAY()' is not a date", check=formulas_kept
    ),
    "html_script.csv": clean(rows(10)),
    "sql_injection.csv": partial("'Camden'); DROP TABLE contracts; --' is not one of the 33"),
    "unicode_tricks.csv": partial("'Сamden' is not one of the 33 London authorities"),
    # values
    "long_strings.csv": clean(long_text_kept),
    "long_values_refused.csv": partial(
        "is not a valid date",
        "is not an amount of money",
        check=reasons_are_short,
    ),
    "dates_extreme.csv": partial(
        "'01/01/0001' has the year 1, which cannot be right",
        "'31/12/9999' has the year 9999",
        "'9999-12-31T23:59:59Z' has the year 9999",
        "'2958465' is not a date",
        "'32/13/2027' is not a real date: there is no month 13",
        "'29/02/2100' is not a real date: February 2100 has 28 days",
        check=rows(1),
    ),
    "numbers_absurd.csv": partial(
        "'1e308' is not an amount of money",
        "'NaN' is not an amount of money",
        "'Infinity' is not an amount of money",
        "The value 1000000000000000 is too large",
        "'0x1F' is not an amount of money",
        "not 'inf'",
        "not '5.0000000001'",
    ),
    "xlsx_numbers_absurd.xlsx": partial("The value 1e+308 is too large", "is negative"),
    "xlsx_dates_extreme.xlsx": partial("has the year 1900", "has the year 9999", check=rows(1)),
    "xlsx_dates_in_value_column.xlsx": partial("not an amount of money"),
    # JSON
    "json_deep_array.json": refused("JSON", "nested"),
    "json_deep_object.json": refused("JSON", "nested"),
    "json_deep_in_csv.csv": refused("JSON", "nested"),
    "json_huge_array.json": refused("not an Open Contracting (OCDS) release package"),
    "json_many_empty_releases.json": refused("None of the 30,000 rows can be imported"),
    "json_not_ocds.json": refused("not an Open Contracting (OCDS) release package"),
    "json_scalar.json": refused("not an Open Contracting (OCDS) release package"),
    "json_null.json": refused("not an Open Contracting (OCDS) release package"),
    "json_invalid.json": refused(
        "This JSON file cannot be read: it stops being valid JSON at line 1, column 89 "
    ),
    "json_nan_infinity.json": partial(
        "'Infinity' is not an amount of money (write it as 1234567.89).",
        "too large",
        check=warned(
            "The award's value (NaN) cannot be a contract's value, so it is not used.",
            "The award's value (-Infinity) cannot be a contract's value, so it is not used.",
        ),
    ),
    "json_ocds_hostile.json": clean(rows(4)),
    "json_ocds_type_confusion.json": partial(),
    # workbooks
    "xlsx_many_sheets.xlsx": clean(sheet("Register", 120)),
    "xlsx_empty_sheets.xlsx": refused("every sheet is empty"),
    "xlsx_formulas.xlsx": partial(
        "The formula in cell C2 of sheet 'Contracts' was never calculated", check=rows(1)
    ),
    "xlsx_merged_cells.xlsx": partial("No borough is given"),
    "xlsx_wide_16384.xlsx": refused(
        "Sheet 'Contracts' has 16,384 columns; the most accepted is 500. Delete"
    ),
    "xlsx_false_dimension.xlsx": clean(rows(3)),
    "xlsx_error_cells.xlsx": refused(
        "None of the 2 rows can be imported. For example, row 2: '#REF!' is an Excel error"
    ),
    "xlsx_hostile_sheet_names.xlsx": clean(sheet("'); DROP TABLE x; --", 3)),
    "xlsx_hidden_decoy.xlsx": clean(sheet("Visible", 2)),
    "zip_bomb.xlsx": refused("unpacks to more than 400 MB"),
    "zip_bomb_lying_sizes.xlsx": refused("This Excel file could not be opened: it is damaged"),
}

EXPECT_LARGE: dict[str, Expect] = {
    "line_5mb.csv": refused(
        "Line 1 cannot be read as CSV: one of its values is longer than 131,072 characters"
    ),
    "line_5mb_commas.csv": refused(
        "Line 1 has 2,621,441 columns; the most accepted is 500. Delete"
    ),
    "empty_rows_100k.csv": clean(rows(3)),
    "empty_rows_100k_first.csv": refused("No header row was found"),
    "columns_10000.csv": refused("Line 1 has 10,000 columns; the most accepted is 500. Delete"),
    "json_rows_over_limit.json": refused("500,000"),
    "just_over_max_bytes.csv": refused("the largest file accepted is 25 MB"),
}


def corpus(table: dict[str, Expect]) -> list:
    return [pytest.param(name, id=name) for name in table]


def assert_outcome(p: Prepared, e: Expect) -> None:
    assert isinstance(p, Prepared)
    assert not (p.refused or "").startswith(UNEXPECTED), "no rule foresaw this file"
    extra = list(snapshots.EXTRA_NAMES) if p.source_kind == "published" else []
    assert list(p.records.columns) == [*FIELD_NAMES, *extra, "row"]
    reasons = [x.reason for x in p.rejects]
    if e.outcome == "refused":
        assert p.refused, f"imported {len(p.records)} rows"
        assert p.records.empty
        for word in e.words:
            assert word in p.refused, p.refused[:500]
    else:
        assert p.refused is None, p.refused[:500]
        assert len(p.records) >= 1
        if e.outcome == "clean":
            assert not reasons, reasons[:5]
        else:
            assert reasons, "some rows should have been refused"
            assert all(x.row is not None and x.reason for x in p.rejects)
            for word in e.words:
                assert any(word in r for r in reasons), (word, reasons[:20])
    if e.check:
        e.check(p)


# ---- the corpus itself -------------------------------------------------------------------------


def committed_names() -> set[str]:
    return {p.name for p in HOSTILE.iterdir() if p.name not in NOT_DATA}


def test_the_corpus_is_the_generators_output_and_every_file_has_an_expectation():
    names = committed_names()
    assert len(names) >= 50
    assert names == set(make_files.FILES) == set(EXPECT)
    assert set(make_files.LARGE) == set(EXPECT_LARGE)
    for name in names:
        assert (HOSTILE / name).stat().st_size <= 1024 * 1024, name
    readme = (HOSTILE / "README.md").read_text(encoding="utf-8")
    assert readme == make_files.readme(), "README.md is written by make_files.py"
    for name in [*make_files.FILES, *make_files.LARGE]:
        assert f"`{name}`" in readme


@pytest.mark.timeout(120)
def test_the_generator_rebuilds_the_committed_files():
    for name, (build, _) in make_files.FILES.items():
        made, kept = build(), (HOSTILE / name).read_bytes()
        assert build() == made, f"{name}: not deterministic"
        if name not in make_files.COMPRESSED:
            assert made == kept, name
        elif name.endswith(".csv"):
            assert gzip.decompress(made) == gzip.decompress(kept), name
        else:
            listing = [
                (i.filename, i.file_size) for i in zipfile.ZipFile(io.BytesIO(made)).infolist()
            ]
            kept_listing = [
                (i.filename, i.file_size) for i in zipfile.ZipFile(io.BytesIO(kept)).infolist()
            ]
            assert listing == kept_listing, name


# ---- every file: a clean import or a specific refusal --------------------------------------


_prepared: dict[str, Prepared] = {}


def prepared(name: str) -> Prepared:
    """`ingest.prepare` of a committed hostile file, once per run of this module: the outcome
    test and the storing test below both check what preparing the file gives (the first looks
    at it, the second stores it; storing leaves a prepared file as it is)."""
    if name not in _prepared:
        _prepared[name] = ingest.prepare((HOSTILE / name).read_bytes(), name)
    return _prepared[name]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", corpus(EXPECT))
def test_each_hostile_file_is_imported_or_refused_with_a_specific_message(name):
    assert_outcome(prepared(name), EXPECT[name])


@pytest.mark.timeout(180)
@pytest.mark.parametrize("name", corpus(EXPECT_LARGE))
def test_each_large_hostile_file_made_at_test_time(name, tmp_path):
    build, _ = make_files.LARGE[name]
    path = tmp_path / name
    path.write_bytes(build())
    assert_outcome(ingest.prepare(path.read_bytes(), name), EXPECT_LARGE[name])


def test_too_many_notices_are_counted_as_the_notices_the_releases_make():
    """A release package is refused for its notices' count before they are compiled (the
    500,001 releases above in about a second, not five): the count is of what compiling makes,
    one notice per `ocid` given as text and one per release numbered otherwise, so a file of
    many releases of few notices is not refused for its number of releases."""
    from citydata.ingest import ocds, packages

    def release(ocid) -> dict:
        return {"ocid": ocid, "date": "2026-01-01", "tender": {"title": "x"}}

    few = [release("ocds-1"), release("ocds-1"), release("ocds-2"), {"ocid": True}, 7]
    many = [release("ocds-1"), release("ocds-2"), release(3), release(3.0)]
    for doc in (few, {"releases": few}, many, {"releases": many}):
        made = len(packages.releases_of(doc))
        assert ocds.notices_in(doc) == made == (2 if doc in (few, {"releases": few}) else 4)
    table = ocds.from_document({"releases": few}, max_rows=2)  # five entries, two notices
    assert (table.not_notices, table.merged_releases) == (2, 1)
    with pytest.raises(ingest.IngestError, match="more than 3 rows"):
        ocds.from_document({"releases": many}, max_rows=3)


# ---- storing: text as written, or nothing at all ------------------------------------------


def stored_rows(db, ids: list[int]) -> pd.DataFrame:
    """The stored records of snapshots `ids` as text, exactly as in the table."""
    columns = ", ".join(f"CAST({n} AS VARCHAR) AS {n}" for n in FIELD_NAMES)
    with db.read() as r:
        return r.df(
            f"SELECT record_no, {columns} FROM contracts WHERE snapshot_id IN $ids"
            " ORDER BY borough_code, record_no",
            {"ids": ids},
        )


def assert_stored_as_prepared(db, ids: list[int], p: Prepared) -> None:
    got = stored_rows(db, ids)
    want = p.records.sort_values(["borough_code", "row"]).reset_index(drop=True)
    assert len(got) == len(want)
    assert got["record_no"].tolist() == want["row"].tolist()
    refused_rows = {x.row for x in p.rejects}
    assert not refused_rows & set(got["record_no"]), "a refused row was stored"
    for name in TEXT_FIELDS:  # text: exactly the characters prepared, nothing escaped
        expected = [None if pd.isna(v) else v for v in want[name]]
        assert [None if pd.isna(v) else v for v in got[name]] == expected, name
    canonical = changes.comparable(want)
    for name in FIELD_NAMES:
        shown = got[name].astype(object).where(got[name].notna(), "").tolist()
        assert (
            changes.comparable(pd.DataFrame({name: shown}))[name].tolist()
            == canonical[name].tolist()
        ), name


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", sorted(EXPECT))
def test_storing_keeps_text_as_written_and_a_refusal_changes_nothing(name, db_path):
    content = (HOSTILE / name).read_bytes()
    p = prepared(name)
    original = db_path.read_bytes()
    db = lifecycle.open_store(db_path)
    try:
        if p.refused or p.records.empty:
            before = dump(db)
            with pytest.raises(previews.CommitRefused):
                previews.preview(db, p)
            with pytest.raises(previews.CommitRefused):
                snapshots.commit(db, p, content, "steward")
            assert dump(db) == before
        else:
            changes_seen = previews.preview(db, p)
            ids = snapshots.commit(db, p, content, "steward")
            assert len(ids) == len(changes_seen) == len(p.boroughs)
            assert_stored_as_prepared(db, ids, p)
            with db.read() as r:
                kept = rawfiles.content(
                    r, r.scalar("SELECT file_hash FROM raw_files WHERE file_name = $n", {"n": name})
                )
            assert kept == content, "the raw file is kept byte for byte"
    finally:
        db.close()
    if p.refused or p.records.empty:
        assert db_path.read_bytes() == original, "the database file is untouched"


@pytest.mark.parametrize("name", ["formula_injection.csv", "formula_injection.xlsx"])
def test_formula_text_is_stored_as_written_and_neutralised_only_on_export(name, db):
    content = (HOSTILE / name).read_bytes()
    ids = snapshots.commit(db, ingest.prepare(content, name), content, "steward")
    stored = stored_rows(db, ids)
    payloads = [clean_text(make_files.FORMULAS[s]) for s in make_files.FORMULA_STARTS]
    assert stored["system"].tolist()[:6] == payloads
    assert stored["vendor"].tolist()[:6] == payloads
    assert stored["source_ref"].tolist()[:4] == ["=REF-1", "+REF-2", "-REF-3", "@REF-4"]
    with db.read() as r:
        records = selection.records(r, FilterState(borough=("Camden",)))
    data = exports.to_csv(exports.with_labels(records.drop(columns=["snapshot_id"])))
    exported = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    systems = {row["System"] for row in exported}
    assert {"'" + s for s in payloads} <= systems
    references = {row["Reference"] for row in exported}
    assert {"'=REF-1", "'+REF-2", "'-REF-3", "'@REF-4"} <= references


def test_hostile_file_names_and_user_names_are_stored_as_written(db):
    content = (HOSTILE / "sql_injection.csv").read_bytes()
    name = "x'); DROP TABLE contracts; --.csv"
    who = "Robert'); DROP TABLE snapshots;-- <script>"
    before = {t: len(rows) for t, rows in dump(db).items()}
    p = ingest.prepare(content, name)
    ids = snapshots.commit(db, p, content, who)
    after = {t: len(rows) for t, rows in dump(db).items()}
    assert set(after) == set(before), "no table was dropped or added"
    assert after["contracts"] == before["contracts"] + len(p.records)
    with db.read() as r:
        snap = snapshots.snapshot(r, ids[0])
        assert (
            r.scalar(
                "SELECT file_name FROM raw_files WHERE file_hash = $h", {"h": snap["file_hash"]}
            )
            == name
        )
    assert (snap["file_name"], snap["created_by"]) == (name, who)
    assert stored_rows(db, ids)["system"].tolist() == [clean_text(s) for s in make_files.SQL]


# ---- the command line ---------------------------------------------------------------------------

CLI_SAMPLE = {
    "empty.csv": 1,
    "png_renamed.csv": 1,
    "zip_bomb.xlsx": 1,
    "json_deep_array.json": 1,
    "long_header_missing_fields.csv": 1,
    "header_only.csv": 1,
    "formula_injection.csv": 0,
    "sql_injection.csv": 0,
    "enc_utf16le_bom.csv": 0,
    "xlsx_many_sheets.xlsx": 0,
    "json_ocds_hostile.json": 0,
}


def cli(*args: str) -> subprocess.CompletedProcess:
    return command.run(*args, text=True)


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    "name",
    [pytest.param(name, id=name) for name in CLI_SAMPLE],
)
def test_cli_import_answers_in_one_line_and_never_with_a_traceback(name, db_path):
    file = HOSTILE / name
    done = cli("import", str(file), "--json", "--db", str(db_path))
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.returncode == CLI_SAMPLE[name], (done.stdout[-1000:], done.stderr[-1000:])
    out = json.loads(done.stdout)  # the whole of stdout is one JSON object
    if done.returncode == 1:
        assert out["refused"] and "\n" not in out["refused"]
        assert out["snapshot_ids"] == []
        plain = cli("import", str(file), "--db", str(db_path))
        assert plain.returncode == 1
        lines = plain.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("refused: "), plain.stderr[-2000:]
        assert lines[0].endswith("Nothing was written.")
    else:
        assert out["refused"] is None and len(out["snapshot_ids"]) == len(out["boroughs"]) >= 1
        assert out["rows_imported"] == out["rows_accepted"]
