"""A release flattened into a table: one row per supplier of each award.

CPV codes come from the tender, its items and the awards' items; the contract period from the
award, else from its contract (`contracts[].period`, matched by `awardID`), else the tender; the
buyer from its parties (citydata.ingest.parties); the value as citydata.ingest.contract_values
says. Each award gives one row per supplier; a release without awards gives one row without a
supplier. The `tag` is not trusted (Contracts Finder tags award releases 'tender'): awards are
used wherever they are. Row numbers count the flattened rows from 1.
Each row keeps its release's `date` (a compiled release's: the newest of its releases), so
that an older release of a notice already held does not replace it (citydata.store.snapshots).
A release whose contract did not come about (`ended`: every award `cancelled` or `unsuccessful`,
or the tender `cancelled`, `withdrawn` or `unsuccessful` with no award active or pending) gives
one row, without a supplier, whose "Notice status" says so (citydata.ingest.withdrawn).
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pandas as pd

from citydata.core import boroughs
from citydata.ingest import contract_values, parties, withdrawn
from citydata.ingest.packages import Compiled, as_list, at
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
    "Buyer e-mail",
    "Buyer identifier",
    "CPV codes",
    "Notice URL",
    "Release date",
    "Notice status",
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


def _cell(value: Any) -> Any:
    """A value for a table cell: text, a number or None; an object or array as its JSON."""
    if isinstance(value, str):
        return unescape(value)
    if value is None or isinstance(value, int | float):
        return value
    return json.dumps(value, ensure_ascii=False)


def _cpv(release: dict[str, Any], award: dict[str, Any]) -> str | None:
    tender = release.get("tender") if isinstance(release.get("tender"), dict) else {}
    found = [at(tender, "classification", "id")]
    for item in [*as_list(tender.get("items")), *as_list(award.get("items"))]:
        if isinstance(item, dict):
            found.append(at(item, "classification", "id"))
            for extra in as_list(item.get("additionalClassifications")):
                found.append(at(extra, "id"))
    return parties.spaced([c for c in found if isinstance(c, str) and re.match(r"\d{8}", c)])


_CF_OCID = re.compile(
    r"^ocds-b5fd17-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
)
_FTS_ID = re.compile(r"\b(\d{6}-\d{4})\b")


def notice_url(release: dict[str, Any]) -> str | None:
    """The notice's page on Contracts Finder or Find a Tender, when the identifiers say which."""
    ocid, release_id = str(release.get("ocid") or ""), str(release.get("id") or "")
    cf = _CF_OCID.match(ocid) or _CF_OCID.match(release_id)
    if cf:
        return f"https://www.contractsfinder.service.gov.uk/Notice/{cf.group(1)}"
    fts = _FTS_ID.search(release_id)
    if ocid.startswith("ocds-h6vhtk-") and fts:
        return f"https://www.find-tender.service.gov.uk/Notice/{fts.group(1)}"
    return None


def _period(release: dict[str, Any], award: dict[str, Any], tender: dict[str, Any]) -> Any:
    if isinstance(award.get("contractPeriod"), dict):
        return award["contractPeriod"]
    for contract in as_list(release.get("contracts")):
        if (
            isinstance(contract, dict)
            and isinstance(contract.get("period"), dict)
            and (award.get("id") is None or contract.get("awardID") == award.get("id"))
        ):
            return contract["period"]
    return tender.get("contractPeriod") or {}


def unescape(value: Any) -> Any:
    """HTML and XML entities decoded: '&amp;' '&#039;' '&apos;' as the characters they are."""
    if isinstance(value, str) and "&" in value:
        return html.unescape(value)
    return value


def _rows(
    release: dict[str, Any], problems: list[Problem], start: int, one_line: bool = False
) -> list[list[Any]]:
    """One row per supplier of each award. Problems are numbered from `start`, or all at
    `start` when the release came from one line of a file (`one_line`)."""
    tender = release.get("tender") if isinstance(release.get("tender"), dict) else {}
    awards = [a for a in as_list(release.get("awards")) if isinstance(a, dict)]
    awards = [a for a in awards if a.get("status") not in withdrawn.ENDED_AWARDS]
    status = release.ended if isinstance(release, Compiled) else withdrawn.ended(release)
    if status is not None:  # one row for the notice, saying so: no supplier, value or end
        awards = []
    base = [release.get("ocid"), release.get("id")]
    buyer = parties.buyer(release)
    emails, identifiers = parties.contacts(release)
    url = notice_url(release)
    rows: list[list[Any]] = []
    for award in awards or [{}]:
        title = award.get("title") or tender.get("title") or release.get("title")
        description = award.get("description") or tender.get("description")
        period = _period(release, award, tender)
        value, currency, said, gross, odd = contract_values.value_of(award, tender)
        suppliers = [s.get("name") for s in as_list(award.get("suppliers")) if isinstance(s, dict)]
        shown_value, notes = contract_values.kept(value, currency, said, gross, odd, len(suppliers))
        for supplier in suppliers or [None]:
            number = start if one_line else start + len(rows)
            problems += [warning(number, column, cell, why) for column, cell, why in notes]
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
                        at(period, "startDate"),
                        at(period, "endDate"),
                        shown_value,
                        currency,
                        emails,
                        identifiers,
                        _cpv(release, award),
                        url,
                        release.get("date"),
                        status,
                    )
                ]
            )
    return rows


def too_many_rows(max_rows: int | None) -> IngestError:
    return IngestError(
        f"This file has more than {max_rows or 0:,} rows, the most accepted in one file. "
        f"Split it (one {boroughs.noun()} per file) and upload each."
    )


def from_releases(
    releases: list[dict[str, Any]],
    lines: list[int] | None,
    max_rows: int | None = None,
    kind: str = "ocds",
) -> Table:
    """Releases as a table: one row per supplier of each award. `lines`: each release's row in
    the file it came from (a flattened CSV); None: rows are numbered from 1."""
    problems: list[Problem] = []
    rows: list[list[Any]] = []
    numbers: list[int] = []
    release_of: list[int] = []  # each row's release
    too_many = too_many_rows(max_rows)
    if max_rows is not None and len(releases) > max_rows:
        raise too_many
    for i, release in enumerate(releases):
        start = lines[i] if lines is not None else len(rows) + 1
        made = _rows(release, problems, start, one_line=lines is not None)
        rows += made
        release_of += [i] * len(made)
        numbers += (
            [start] * len(made) if lines is not None else list(range(start, start + len(made)))
        )
        if max_rows is not None and len(rows) > max_rows:
            raise too_many
    frame = pd.DataFrame(rows, columns=list(COLUMNS), dtype=object)
    return Table(
        columns=list(COLUMNS),
        data=frame,
        rows=numbers,
        problems=problems,
        rows_read=len(rows),
        kind=kind,
        releases=release_of,
    )
