"""What makes published notices records of technology systems: buyer, technology, area, money.

Applied to every file of published notices (Contracts Finder's CSV and API, OCDS JSON and
flattened OCDS, Find a Tender's OCDS), after reading and before the row rules:

- **Buyer.** A buyer name the region's registry does not know whole is recognised by the
  council its name starts with ("Hertfordshire County Council - Environment"), else, for a
  publishing platform or a shared service, from the buyer's contact e-mail domain or its
  identifiers (`citydata.core.buyers`), with a warning saying how. Otherwise the row is refused
  as not one of the region's authorities.
- **Technology only.** Each notice is classified by its CPV codes and the product catalogue's
  names in its title and description (`citydata.core.technology`). A notice that is not about
  technology is refused, with a reason naming its CPV codes, and the file says how many were.
- **Service area** from the same rules (data/cpv_service_areas.csv), unless the file has a
  service-area column.
- **Money.** The notice's value is the whole contract's: it is kept as `total_value`. The
  annual value is derived from it only when the start and end dates are known (total divided
  by the contract's years, at least one; for a notice bought jointly by several councils, each
  council's equal share of that: citydata.ingest.joint, and `bought_with` names the other
  councils that bought it), and `annual_value_derived` says so. A total is never stored as an
  annual value.
- **When published**: the date of the release a notice was read from (`release_date`), so that
  an older release never replaces a newer one already held.
- **One release of each notice.** A file holding several releases of one notice (the same
  borough and reference: its award and a later amendment, as Contracts Finder's CSV export and
  flattened OCDS files list them) keeps the newest (`newest_releases`); the others are left
  out, each row said ("skipped, not imported"), with a note counting them. A council the
  newest release no longer names among the notice's buyers keeps none of its releases.
- Text (titles, suppliers) has HTML and XML entities decoded (`&amp;`, `&#039;`, `&apos;`).
"""

from __future__ import annotations

import html
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

from citydata.core import boroughs, buyers, technology
from citydata.core.dates import replaces
from citydata.ingest import dates, withdrawn
from citydata.ingest.report import (
    NOT_TECHNOLOGY,
    OLDER_RELEASE,
    PUBLISHED_FORMATS,
    Problem,
    skipped,
    warning,
)
from citydata.ingest.table import Table

EMAIL_COLUMNS = ("Buyer e-mail", "Contact Email")
IDENTIFIER_COLUMNS = ("Buyer identifier",)
CPV_COLUMNS = ("CPV codes", "Cpv Codes", "Classification Code")
DESCRIPTION_COLUMNS = ("Description", "Award Description")
URL_COLUMNS = ("Notice URL",)
# When the notice (this version of it) was published: OCDS and Contracts Finder's API as read
# (citydata.ingest.awards), Contracts Finder's CSV export.
RELEASE_DATE_COLUMNS = ("Release date", "Published Date")
PENNY = Decimal("0.01")
# Columns of a notices file read besides the mapped fields (not "columns not imported")
READ_COLUMNS = (
    *EMAIL_COLUMNS,
    *IDENTIFIER_COLUMNS,
    *CPV_COLUMNS,
    *DESCRIPTION_COLUMNS,
    *URL_COLUMNS,
    *RELEASE_DATE_COLUMNS,
    *withdrawn.STATUS_COLUMNS,
)


def is_published(fmt: str) -> bool:
    return fmt in PUBLISHED_FORMATS


def _column(table: Table, names: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in table.data.columns), None)


def _cells(table: Table, column: str | None) -> list[str | None]:
    """Every cell of `column` as text (None when empty or when there is no such column), its
    HTML entities decoded; read as one list, not cell by cell through the DataFrame."""
    if column is None:
        return [None] * len(table.data)
    return [_text(value) for value in table.data[column].tolist()]


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return html.unescape(str(value)) if "&" in str(value) else str(value)


def recognise_buyers(table: Table, buyer_column: str | None) -> list[Problem]:
    """Put the authority's code in the buyer cell of rows whose buyer the registry does not
    know by the whole name: a council named with a department or a note after its name, or a
    buyer known only by its contact e-mail or identifiers (`buyers.find`); a warning for each
    saying how it was read. Changes nothing else."""
    if buyer_column is None or buyer_column not in table.data.columns:
        return []
    cells = table.data[buyer_column].astype(object).tolist()
    email_cells = _cells(table, _column(table, EMAIL_COLUMNS))
    identifier_cells = _cells(table, _column(table, IDENTIFIER_COLUMNS))
    problems = []
    for i, written in enumerate(cells):
        name = html.unescape(str(written)) if isinstance(written, str) else None
        if name and boroughs.resolve(name) is not None:
            if name != written:
                cells[i] = name
            continue
        found = buyers.find(name, email_cells[i], identifier_cells[i])
        if found is None:
            continue
        cells[i] = found.authority.code
        problems.append(warning(table.rows[i], buyer_column, written, _how_read(name, found)))
    table.data[buyer_column] = pd.Series(cells, index=table.data.index, dtype=object)
    return problems


def _how_read(name: str | None, found: buyers.Found) -> str:
    council = found.authority.name
    if found.how == "name":
        return f"The buyer '{name}' is read as {council}, the council its name starts with."
    how = (
        f"its contact e-mail ({found.evidence})"
        if found.how == "e-mail"
        else f"its identifier ({found.evidence})"
    )
    return (
        f"The buyer '{name or ''}' is not itself a council; the notice is {council}'s, from {how}."
    )


def _years(start: Any, end: Any) -> float | None:
    """The contract's length in years, counted in months to the day after its last day
    (1 April 2024 to 31 March 2027 is 3 years exactly); at least one year."""
    if not (isinstance(start, date) and isinstance(end, date) and end > start):
        return None
    after = end + timedelta(days=1)
    months = (after.year - start.year) * 12 + after.month - start.month
    months += (after.day - start.day) / 30
    return max(months / 12, 1.0)


def finish(
    table: Table,
    mapping: dict[str, str | None],
    out: dict[str, list],
    refuse: Any,
    ended: list[bool] | None = None,
) -> dict[str, list]:
    """Classify, file and value each notice in `out` (the built columns). `refuse(column,
    values, reasons)` refuses rows; a row saying its notice was withdrawn (`ended`, from
    citydata.ingest.withdrawn.flags) is never refused for not being technology. Returns the
    extra columns: total_value, annual_value_derived, notice_url, release_date, bought_with."""
    n = len(table.rows)
    cpv = _column(table, CPV_COLUMNS)
    description = _column(table, DESCRIPTION_COLUMNS)
    url = _column(table, URL_COLUMNS)
    for name in ("system", "vendor", "manufacturer"):
        out[name] = [html.unescape(v) if isinstance(v, str) and "&" in v else v for v in out[name]]
    reasons: list[str | None] = []
    cpvs, descriptions = _cells(table, cpv), _cells(table, description)
    for i in range(n):
        verdict = technology.classify(cpvs[i], out["system"][i], descriptions[i])
        if verdict.technology:
            reasons.append(None)
            if not mapping.get("service_area"):
                out["service_area"][i] = verdict.service_area
        elif ended is not None and ended[i]:
            reasons.append(None)  # (not a record: citydata.ingest.withdrawn)
        else:
            reasons.append(
                f"{NOT_TECHNOLOGY}: {verdict.why}. Only technology notices are imported."
            )
    refuse(cpv or mapping.get("system"), table.data[cpv].tolist() if cpv else None, reasons)
    totals = list(out["annual_value"])  # (the notice's value: the whole contract's)
    shares = table.shares or [1] * n  # a joint notice: each council's equal share (ingest.joint)
    annual: list[Any] = []
    derived: list[bool] = []
    for total, share, start, end in zip(
        totals, shares, out["contract_start"], out["contract_end"], strict=True
    ):
        years = _years(start, end)
        if total is not None and years is not None:
            yearly = Decimal(total) / Decimal(str(years)) / share
            annual.append(yearly.quantize(PENNY, ROUND_HALF_UP))
            derived.append(True)
        else:
            annual.append(None)
            derived.append(False)
    out["annual_value"] = annual
    return {
        "total_value": totals,
        "annual_value_derived": derived,
        "notice_url": _cells(table, url),
        "release_date": [
            dates.parse_moment(v) for v in _cells(table, _column(table, RELEASE_DATE_COLUMNS))
        ],
        # a joint notice: the other councils that bought it (citydata.ingest.joint)
        "bought_with": table.bought_with or [None] * n,
    }


def not_technology_rows(problems: list[Problem], buyer_column: str | None) -> set[int | None]:
    """The rows of the region's notices left out for not being about technology."""
    left_out = {p.row for p in problems if p.reason.startswith(NOT_TECHNOLOGY)}
    elsewhere = {p.row for p in problems if p.severity == "refused" and p.column == buyer_column}
    return left_out - elsewhere


def not_technology_note(problems: list[Problem], buyer_column: str | None) -> list[Problem]:
    """One file-level line counting the region's notices left out for not being technology."""
    n = len(not_technology_rows(problems, buyer_column))
    if not n:
        return []
    verb = (
        "notice is not a technology contract" if n == 1 else "notices are not technology contracts"
    )
    return [
        warning(
            None,
            None,
            None,
            f"{n:,} {verb}: counted and left out (City Tools holds technology systems only).",
        )
    ]


def newest_releases(
    table: Table,
    out: dict[str, list],
    extra: dict[str, list],
    usable: Any,
    numbers: Any,
    ref_column: str | None,
) -> tuple[list[int], list[Problem]]:
    """The positions of `table` to leave out as older releases of a notice (a borough and a
    reference, as the notices held are known) that the file holds a newer release of, and a
    problem for each of their rows and one for the file. Among the rows still `usable` (not
    refused), a notice's releases are taken in the file's order, each replacing the one before
    unless it is older (`citydata.core.dates.replaces`): the same rule as a file's release
    against the notice held, so a file says what importing its releases one by one would.
    Records left out are counted per borough in `table.older_releases`.

    A council's records of a notice whose newest release in the file no longer names it among
    its buyers are left out too, whichever release they are of: imported one by one, that
    release would take the notice away from the council (citydata.store.joint)."""
    codes, refs, dates = out["borough_code"], out["source_ref"], extra["release_date"]
    # (a row of a joint notice is repeated for each council, with its number: one release)
    release_of = table.releases or [int(n) for n in numbers]
    notices: dict[tuple[str, str], dict[int, list[int]]] = {}
    by_ref: dict[str, dict[int, list[int]]] = {}  # every council's records of a notice
    for i in range(len(numbers)):
        ref = refs[i].strip() if isinstance(refs[i], str) else ""
        if usable[i] and codes[i] and ref:
            notices.setdefault((codes[i], ref), {}).setdefault(release_of[i], []).append(i)
            by_ref.setdefault(ref, {}).setdefault(release_of[i], []).append(i)
    named = {ref: {codes[i] for i in _newest(found, dates)} for ref, found in by_ref.items()}
    gone: list[int] = []
    problems: dict[int, Problem] = {}  # one for each row (a row's suppliers share its release)
    for (code, ref), found in notices.items():
        if code in named[ref]:
            if len(found) < 2:
                continue
            kept = _newest(found, dates)
        else:  # the notice's newest release names other buyers: none of this council's kept
            kept = []
        newer = kept or _newest(by_ref[ref], dates)
        row, then = int(numbers[newer[0]]), dates[newer[0]]
        for positions in found.values():
            if positions is kept:
                continue
            gone += positions
            table.older_releases[code] = table.older_releases.get(code, 0) + len(positions)
            when = dates[positions[0]]
            if not kept:
                why = (
                    f"its newer release, in row {row:,} of this file, no longer names this "
                    "council among its buyers."
                )
            elif when is not None and then is not None and then > when:
                why = f"its newer release, in row {row:,} of this file, is imported instead."
            else:  # the same date, or no date to compare: the last in the file is the newest
                why = (
                    f"it appears again further down, in row {row:,} of this file, and that "
                    "later release is imported instead."
                )
            for i in positions:
                number = int(numbers[i])
                problems.setdefault(
                    number,
                    skipped(number, ref_column, ref, f"{OLDER_RELEASE} {ref}: {why}"),
                )
    if not problems:
        return gone, []
    n = len(problems)
    which = (
        "row is an older release of a notice" if n == 1 else "rows are older releases of notices"
    )
    note = (
        f"{n:,} {which} that this file also holds a newer release of: left out, and the newest "
        "release of each notice imported (with no date, or the same one, the last in the file "
        "counts as the newest)."
    )
    return gone, [*problems.values(), warning(None, None, None, note)]


def _newest(found: dict[int, list[int]], dates: list) -> list[int]:
    """The positions of the newest of a notice's releases (`found`: release -> positions, in
    the file's order): each replaces the one before unless it is older."""
    kept: list[int] | None = None
    for positions in found.values():
        if kept is None or replaces(dates[positions[0]], dates[kept[0]]):
            kept = positions
    assert kept is not None
    return kept
