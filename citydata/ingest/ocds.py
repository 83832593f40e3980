"""Open Contracting Data Standard (OCDS) JSON: releases flattened to one row per supplier.

Accepted: a release package (`{"releases": [...]}`), a record package (each record's
`compiledRelease`), a list of releases, or one release. Each award gives one row per supplier;
a release without awards gives one row without a supplier. The `tag` is not trusted (Contracts
Finder tags award releases 'tender'): awards are used wherever they are. Values: the award's,
else the tender's when above zero, else the tender's `minValue`. When several suppliers share
one award its value is not repeated on each row (totals would count it several times): the
rows get no value and a warning that names it. Row numbers count the flattened rows from 1.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from citydata.ingest.report import IngestError, Problem, warning
from citydata.ingest.table import Table

COLUMNS = (
    "OCID",
    "Release ID",
    "Award ID",
    "Buyer",
    "Title",
    "Description",
    "Supplier",
    "Contract start",
    "Contract end",
    "Value",
    "Currency",
)
MAPPING = {
    "borough": "Buyer",
    "system": "Title",
    "vendor": "Supplier",
    "contract_start": "Contract start",
    "contract_end": "Contract end",
    "annual_value": "Value",
    "source_ref": "OCID",
}


def _releases(doc: Any) -> list[dict[str, Any]]:
    if isinstance(doc, list):
        return [r for r in doc if isinstance(r, dict)]
    if not isinstance(doc, dict):
        return []
    if isinstance(doc.get("releases"), list):
        return [r for r in doc["releases"] if isinstance(r, dict)]
    if isinstance(doc.get("records"), list):
        out = []
        for record in doc["records"]:
            if isinstance(record, dict) and isinstance(record.get("compiledRelease"), dict):
                out.append(record["compiledRelease"])
        return out
    if "ocid" in doc:
        return [doc]
    return []


def _list(value: Any) -> list[Any]:
    """A JSON array as a list; anything else (a number, an object, text) as no items."""
    return value if isinstance(value, list) else []


def _cell(value: Any) -> Any:
    """A value for a table cell: text, a number or None; an object or array as its JSON."""
    if value is None or isinstance(value, str | int | float):
        return value
    return json.dumps(value, ensure_ascii=False)


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _amount(value: Any) -> tuple[Any, Any]:
    if not isinstance(value, dict):
        return None, None
    amount = value.get("amount")
    if isinstance(amount, (int, float)) and not isinstance(amount, bool) and amount > 0:
        return amount, value.get("currency")
    return None, None


def _money(value: Any, currency: Any) -> str:
    return f"£{value:,}" if currency in (None, "", "GBP") else f"{currency} {value:,}"


def _buyer(release: dict[str, Any]) -> Any:
    name = _get(release, "buyer", "name")
    if name:
        return name
    for party in _list(release.get("parties")):
        if isinstance(party, dict) and "buyer" in _list(party.get("roles")):
            return party.get("name")
    return None


def _rows(release: dict[str, Any], problems: list[Problem], start: int) -> list[list[Any]]:
    tender = release.get("tender") if isinstance(release.get("tender"), dict) else {}
    awards = [a for a in _list(release.get("awards")) if isinstance(a, dict)]
    awards = [a for a in awards if a.get("status") not in ("cancelled", "unsuccessful")]
    base = [release.get("ocid"), release.get("id")]
    buyer = _buyer(release)
    rows: list[list[Any]] = []
    for award in awards or [{}]:
        title = award.get("title") or tender.get("title") or release.get("title")
        description = award.get("description") or tender.get("description")
        period = award.get("contractPeriod") or tender.get("contractPeriod") or {}
        value, currency = _amount(award.get("value"))
        if value is None:
            value, currency = _amount(tender.get("value"))
        if value is None:
            value, currency = _amount(tender.get("minValue"))
        suppliers = [s.get("name") for s in _list(award.get("suppliers")) if isinstance(s, dict)]
        shared = value is not None and len(suppliers) > 1
        for supplier in suppliers or [None]:
            number = start + len(rows)
            shown_value = value
            if shared:
                problems.append(
                    warning(
                        number,
                        "Value",
                        f"{value:,}",
                        f"The award's value ({_money(value, currency)}) is shared by "
                        f"{len(suppliers)} suppliers, so no value is given for each.",
                    )
                )
                shown_value = None
            elif value is not None and currency not in (None, "", "GBP"):
                problems.append(
                    warning(number, "Currency", currency, "The value is not in pounds; left out.")
                )
                shown_value = None
            rows.append(
                [
                    _cell(v)
                    for v in (
                        *base,
                        award.get("id"),
                        buyer,
                        title,
                        description,
                        supplier,
                        _get(period, "startDate"),
                        _get(period, "endDate"),
                        shown_value,
                        currency,
                    )
                ]
            )
    return rows


def read_json(text: str, max_rows: int | None = None) -> Table:
    try:
        doc = json.loads(text)
    except RecursionError:
        raise IngestError(
            "This JSON file is nested too deeply to be an Open Contracting (OCDS) release "
            "package. Upload the file as it was downloaded, or a CSV or Excel register."
        ) from None
    except ValueError as exc:
        raise IngestError(
            f"This JSON file cannot be read ({exc}). Upload the file as it was downloaded."
        ) from None
    releases = _releases(doc)
    if not releases:
        raise IngestError(
            "This JSON file is not an Open Contracting (OCDS) release package: it has no "
            "releases. Upload a CSV or Excel register instead."
        )
    problems: list[Problem] = []
    rows: list[list[Any]] = []
    too_many = IngestError(
        f"This JSON file has more than {max_rows or 0:,} rows, the most accepted in one file. "
        "Split it (one borough per file) and upload each."
    )
    if max_rows is not None and len(releases) > max_rows:
        raise too_many
    for release in releases:
        rows += _rows(release, problems, len(rows) + 1)
        if max_rows is not None and len(rows) > max_rows:
            raise too_many
    frame = pd.DataFrame(rows, columns=list(COLUMNS), dtype=object)
    return Table(
        columns=list(COLUMNS),
        data=frame,
        rows=list(range(1, len(rows) + 1)),
        problems=problems,
        rows_read=len(rows),
        kind="ocds",
    )
