"""Published notices in the shapes other than OCDS JSON: Contracts Finder's API and flat OCDS.

- Contracts Finder API v2 search results (`{"hitCount": ..., "noticeList": [{"item": {...}}]}`,
  or a list of such items): one row per notice, in the same columns as OCDS
  (`citydata.ingest.awards.COLUMNS`), so everything after reading treats them alike. The value is
  the awarded value, else the top of the estimated range, else its bottom (0 means unknown).
- Flattened OCDS (flatten-tool, Contracts Finder's daily CSV): a CSV or XLSX whose headers are
  JSON paths (`releases/0/buyer/name`, `awards/0/suppliers/0/name`, `ocid`). Each row is rebuilt
  as the JSON it was flattened from and read as OCDS; problems keep the row of the file.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from citydata.ingest import awards, packages
from citydata.ingest.report import IngestError
from citydata.ingest.table import Table

CF_NOTICE_URL = "https://www.contractsfinder.service.gov.uk/Notice/{}"
_PATH_MARKS = ("ocid", "buyer/name", "tender/title", "awards/0/")
_INDEX = re.compile(r"^\d+$")


def is_cf_search(doc: Any) -> bool:
    """A Contracts Finder API search result (or a list of its notices)."""
    if isinstance(doc, dict):
        return isinstance(doc.get("noticeList"), list) or (
            "hitCount" in doc and "noticeList" in doc
        )
    return (
        isinstance(doc, list)
        and bool(doc)
        and all(isinstance(x, dict) and ("item" in x or "organisationName" in x) for x in doc)
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value > 0 else None
    try:
        number = float(str(value).replace(",", "").replace("£", ""))
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def cf_search(doc: Any, max_rows: int | None = None) -> Table:
    """A Contracts Finder API v2 search result as a table in the OCDS columns."""
    notices = doc.get("noticeList") if isinstance(doc, dict) else doc
    if not isinstance(notices, list | type(None)):
        raise IngestError(
            "This looks like a Contracts Finder search result, but its 'noticeList' is not a "
            "list of notices. Upload the file as it was downloaded."
        )
    items = [
        n.get("item") if isinstance(n, dict) and isinstance(n.get("item"), dict) else n
        for n in notices or []
    ]
    items = [i for i in items if isinstance(i, dict)]
    if max_rows is not None and len(items) > max_rows:
        raise IngestError(f"This file has more than {max_rows:,} notices, the most in one file.")
    rows = []
    for item in items:
        value = next(
            (v for v in (_number(item.get(k)) for k in ("awardedValue", "valueHigh", "valueLow"))
             if v is not None),
            None,
        )  # fmt: skip
        notice_id = item.get("id")
        row = {
            "OCID": notice_id,
            "Release ID": item.get("noticeIdentifier"),
            "Award ID": None,
            "Buyer": item.get("organisationName"),
            "Title": item.get("title"),
            "Description": item.get("description"),
            "Supplier": item.get("awardedSupplier") or None,
            "Contract start": item.get("start"),
            "Contract end": item.get("end"),
            "Value": value,
            "Currency": "GBP",
            "Buyer e-mail": item.get("contactEmail") or item.get("contactDetails"),
            "Buyer identifier": item.get("organisationId"),
            "CPV codes": item.get("cpvCodes"),
            "Notice URL": CF_NOTICE_URL.format(notice_id) if notice_id else None,
            "Release date": item.get("publishedDate"),
            "Notice status": item.get("noticeStatus"),  # Open, Awarded, Withdrawn...
        }
        rows.append([awards.unescape(_scalar(row[c])) for c in awards.COLUMNS])
    frame = pd.DataFrame(rows, columns=list(awards.COLUMNS), dtype=object)
    return Table(
        columns=list(awards.COLUMNS),
        data=frame,
        rows=list(range(1, len(rows) + 1)),
        rows_read=len(rows),
        kind="cf_api",
    )


def _scalar(value: Any) -> Any:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, dict):
        return None
    return value


def is_flattened(columns: list[str]) -> bool:
    """Headers that are OCDS JSON paths (at least the ocid or the buyer's name, and a path)."""
    cleaned = [re.sub(r"^releases/\d+/", "", str(c).strip()) for c in columns]
    has_path = sum("/" in c for c in cleaned) >= 2
    return has_path and any(c == m or c.startswith(m) for c in cleaned for m in _PATH_MARKS)


def _put(doc: dict[str, Any], path: list[str], value: Any) -> None:
    node: Any = doc
    for i, key in enumerate(path):
        last = i == len(path) - 1
        nxt: Any = None if last else ([] if _INDEX.match(path[i + 1]) else {})
        if isinstance(node, list):
            index = int(key)
            while len(node) <= index:
                node.append(None)
            if last:
                node[index] = value
                return
            if not isinstance(node[index], type(nxt)):
                node[index] = nxt
            node = node[index]
        else:
            if last:
                node[key] = value
                return
            if not isinstance(node.get(key), type(nxt)):
                node[key] = nxt
            node = node[key]


def _value(path: list[str], cell: Any) -> Any:
    if cell is None or (isinstance(cell, float) and cell != cell):
        return None
    text = str(cell).strip()
    if not text:
        return None
    if path[-1] in ("amount", "amountNet", "amountGross", "minValue") or path[-1].endswith(
        "Amount"
    ):
        number = _number(text)
        return number if number is not None else text
    return text


def flattened(table: Table, max_rows: int | None = None) -> Table:
    """A flattened OCDS table rebuilt as releases and read as OCDS (one row per supplier)."""
    paths = {c: [p for p in str(c).strip().split("/") if p] for c in table.columns}
    releases: list[dict[str, Any]] = []
    lines: list[int] = []
    none = 0  # rows that hold no release (no ocid): left out as not notices, and counted
    for position, line in enumerate(table.rows):
        doc: dict[str, Any] = {}
        for column in table.columns:
            value = _value(paths[column], table.data[column].iloc[position])
            if value is not None and paths[column]:
                try:
                    _put(doc, paths[column], value)
                except (ValueError, TypeError, IndexError):
                    continue  # a header that is no path ('Notes'): not part of the release
        found = packages.releases_of(doc) if ("releases" in doc or "ocid" in doc) else []
        found = [r for r in found if isinstance(r, dict)]
        none += not found
        releases += found
        lines += [line] * len(found)
    if not releases:
        raise IngestError(
            "This file's columns are Open Contracting (OCDS) paths, but no row holds a release."
        )
    out = awards.from_releases(releases, lines, max_rows, kind="ocds_flat")
    out.problems[:0] = table.problems
    out.encoding, out.delimiter, out.sheet, out.sheets = (
        table.encoding,
        table.delimiter,
        table.sheet,
        table.sheets,
    )
    out.rows_read, out.not_notices = len(table.rows) - none, none  # (as a JSON file's are)
    return out
