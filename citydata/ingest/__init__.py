"""Reading, recognising and normalising an uploaded contracts register.

    prepared = prepare(content, "register.csv", borough="Camden")
    prepared.refused        # None, or why nothing in the file can be used
    prepared.records        # accepted rows: schema.FIELD_NAMES + ["row"], normalised
    prepared.problems       # every refused row and every change, at once

The pipeline: `read` (bytes -> table: encoding, delimiter, header row, blank/total rows, spacer
columns; or XLSX, or OCDS JSON) -> `recognise` (format and suggested column mapping) -> the
user's corrections (`mapping=`) -> `validate` (normalise each column, apply the row rules).
Pure: reads bytes, touches no database, never raises for bad input.
"""

from __future__ import annotations

import dataclasses
import logging

import pandas as pd
import pyarrow as pa

from citydata.core import boroughs, settings, technology
from citydata.core.schema import FIELD_BY_NAME, FIELD_NAMES
from citydata.ingest import bulk as _bulk
from citydata.ingest import published as _published
from citydata.ingest import read as _read
from citydata.ingest import recognise as _recognise
from citydata.ingest import validate as _validate
from citydata.ingest.read import MAX_COLUMNS, MAX_ROWS
from citydata.ingest.report import IngestError, Prepared, Problem
from citydata.ingest.table import Table
from citydata.ingest.template import template_bytes, template_columns

__all__ = [
    "MAX_COLUMNS",
    "MAX_ROWS",
    "IngestError",
    "Prepared",
    "Problem",
    "empty_records",
    "prepare",
    "template_bytes",
    "template_columns",
]

log = logging.getLogger(__name__)
RECORD_COLUMNS: tuple[str, ...] = (*FIELD_NAMES, "row")


def empty_records() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=object) for name in RECORD_COLUMNS})


def prepare(
    content: bytes,
    file_name: str,
    *,
    borough: str | None = None,
    mapping: dict[str, str | None] | None = None,
    sheet: str | None = None,
    max_bytes: int | None = None,
) -> Prepared:
    """Read, recognise and normalise one uploaded file. Never raises for bad input.

    `borough`: the borough of a single-borough file (any name or code boroughs.resolve knows);
    rows that name another borough are refused. `mapping`: the user's column choices, field ->
    source column (None: no column); fields left out keep the suggestion. `sheet`: which sheet
    of a workbook to read (default: the first that looks like a register). `max_bytes`: the
    largest file accepted (default: the CITYTOOLS_MAX_UPLOAD_MB setting).
    """
    result = Prepared(
        file_name=file_name or "",
        format="generic",
        encoding=None,
        columns=[],
        mapping=dict.fromkeys(FIELD_NAMES),
        suggested_mapping=dict.fromkeys(FIELD_NAMES),
        records=empty_records(),
        problems=[],
        refused=None,
        rows_read=0,
    )
    try:
        if not isinstance(content, bytes):
            content = bytes(content)  # bytearray, memoryview: what upload widgets hand over
        if not _prepare_plain(result, content, borough, mapping, sheet, max_bytes):
            _prepare(result, content, borough, mapping, sheet, max_bytes)
    except IngestError as exc:
        result.refused = str(exc)
    except technology.RulesError as exc:  # a rules file a steward edited
        result.refused = f"Published notices cannot be sorted: {exc} Nothing was imported."
        result.records = empty_records()
    except Exception:  # a file no rule foresaw: refuse it rather than fail the upload
        log.exception("preparing %r failed", file_name)
        result.refused = (
            "This file could not be read. Open it in a spreadsheet, save it as CSV UTF-8 or "
            ".xlsx and upload that; if it still fails, send the file to the team."
        )
        result.records = empty_records()
    return result


def _prepare_plain(
    result: Prepared,
    content: bytes,
    borough: str | None,
    mapping: dict[str, str | None] | None,
    sheet: str | None,
    max_bytes: int | None,
) -> bool:
    """Prepare a plain CSV register in DuckDB (see citydata.ingest.bulk); False when it is not
    one, and then nothing in `result` has changed."""
    if sheet is not None or not bulk_enabled or len(content) < _bulk.MIN_BYTES:
        return False
    limit = settings.upload_limit_bytes() if max_bytes is None else max_bytes
    try:
        table = _bulk.read(content, result.file_name, limit)
    except Exception:  # the Python reader says what is wrong with the file
        log.debug("plain read of %r failed", result.file_name, exc_info=True)
        return False
    if table is None:
        return False
    trial = dataclasses.replace(result)
    try:
        _prepare_table(trial, table, borough, mapping)
    except _bulk.NotPlain:
        return False
    except IngestError:
        _copy(trial, result)  # what was recognised before the refusal, as the Python path
        raise
    except Exception:  # a fault of the DuckDB path: the Python reader still reads the file
        log.exception("plain preparation of %r failed", result.file_name)
        return False
    finally:
        table.columnar.close()
    _copy(trial, result)
    return True


def _copy(source: Prepared, target: Prepared) -> None:
    target.__dict__.clear()  # (records made lazily from a table are not in `source`'s own)
    target.__dict__.update(vars(source))


bulk_enabled = True  # False: every file takes the Python reader (tests compare the two)


def _prepare(
    result: Prepared,
    content: bytes,
    borough: str | None,
    mapping: dict[str, str | None] | None,
    sheet: str | None,
    max_bytes: int | None = None,
) -> None:
    table = _read.read(content, result.file_name, sheet, max_bytes)
    _prepare_table(result, table, borough, mapping)


def _prepare_table(
    result: Prepared,
    table: Table,
    borough: str | None,
    mapping: dict[str, str | None] | None,
) -> None:
    result.encoding, result.sheet, result.sheets = table.encoding, table.sheet, table.sheets
    result.columns, result.rows_read = list(table.columns), table.rows_read
    result.not_notices, result.merged_releases = table.not_notices, table.merged_releases
    result.problems = list(table.problems)
    result.format, suggested = _recognise.recognise(table.columns, table.data, table.kind)
    result.suggested_mapping = dict(suggested)
    result.mapping = _chosen(suggested, mapping, table)
    fallbacks = _recognise.fallbacks(result.format, result.mapping, result.columns)
    result.also_read = [c for columns in fallbacks.values() for c in columns]
    if _published.is_published(result.format):  # CPV codes, contact e-mail, link, date...
        result.also_read += [c for c in _published.READ_COLUMNS if c in result.columns]
    fixed = None
    if borough is not None and borough.strip():
        fixed = boroughs.resolve(borough)
        if fixed is None:
            raise IngestError(str(boroughs.UnknownBorough(borough)))
    _check_required(result.mapping, fixed, table)
    if table.rows_read == 0:
        if table.kind != "table":  # (JSON: a search result or a package with no notices)
            raise IngestError("This file holds no notices: there is nothing in it to import.")
        raise IngestError("This file has a header row but no data rows under it.")
    build = _bulk.build if table.columnar is not None else _validate.build
    records, problems = build(table, result.format, result.mapping, fixed)
    # (a row that gives several records, one per supplier, said each of its problems once)
    problems = list(dict.fromkeys(result.problems + problems))
    # rows refused, or left out as an older release of a notice: their warnings are moot
    gone = {p.row for p in problems if p.severity in ("refused", "skipped")}
    result.problems = _recognise.mapping_notes(result.format, result.mapping) + [
        p
        for p in problems
        if p.severity in ("refused", "skipped") or p.row is None or p.row not in gone
    ]
    result.older_releases = dict(table.older_releases)
    result.joint = dict(table.joint)
    result.withdrawn = list(table.withdrawn)
    if isinstance(records, pa.Table):  # typed, from DuckDB: see citydata.ingest.records
        result.set_table(records)
    else:
        result.records = records
    if result.rows_accepted == 0 and not result.withdrawn:
        first = next((p for p in result.problems if p.severity == "refused"), None)
        if result.rows_read == 1:  # its one row is the reason, not an example
            row = "" if first is None or first.row is None else f"Row {first.row}: "
            why = f" {row}{first.reason}" if first else ""
            raise IngestError(f"The 1 row cannot be imported.{why}")
        where = "" if first is None or first.row is None else f", row {first.row}"
        example = f" For example{where}: {first.reason}" if first else ""
        raise IngestError(f"None of the {result.rows_read:,} rows can be imported.{example}")


def _chosen(
    suggested: dict[str, str | None], mapping: dict[str, str | None] | None, table: Table
) -> dict[str, str | None]:
    chosen = dict(suggested)
    for field, column in (mapping or {}).items():
        if field not in FIELD_BY_NAME:
            raise IngestError(f"'{field}' is not a field of a contract record.")
        if column is not None and column not in table.columns:
            raise IngestError(
                f"The column '{column}' chosen for {FIELD_BY_NAME[field].label} is not in this "
                "file."
            )
        chosen[field] = column
    return chosen


def _short(name: str, limit: int = 60) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _check_required(
    mapping: dict[str, str | None], fixed: boroughs.Borough | None, table: Table
) -> None:
    missing = []
    if not (mapping["borough"] or mapping["borough_code"] or fixed):
        word = boroughs.noun()  # 'council' outside London
        missing.append(f"the {word} (no {word} column, and no {word} was chosen for the file)")
    if not mapping["system"]:
        missing.append("the system (or the contract title)")
    if not mapping["vendor"]:
        missing.append("the vendor (the supplier)")
    if not missing:
        return
    listed = "; ".join(missing)
    columns = ", ".join(f"'{_short(c)}'" for c in table.columns[:40])
    more = "…" if len(table.columns) > 40 else ""
    hint = (
        " It looks like a list of payments (spend data), not a register of contracts."
        if _recognise.looks_like_spend(table.columns)
        else ""
    )
    raise IngestError(
        f"This file cannot be imported: no column was found for {listed}.{hint} "
        f"Its columns are {columns}{more}. Choose the matching columns, or use the template."
    )
