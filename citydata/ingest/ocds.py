"""Open Contracting Data Standard (OCDS) JSON: releases flattened to one row per supplier.

Accepted (1.0 and 1.1): a release package (`{"releases": [...]}`), a record package (each
record's `compiledRelease`, else its releases compiled), a list of releases, or one release;
Contracts Finder's and Find a Tender's OCDS alike. Several releases of one process (the same
`ocid`: a tender, then its award) are compiled into one, newest last (by `date`; one without a
date counts as newer than those above it): a later release's values replace an earlier one's,
and awards and contracts are merged by their `id`. The buyer comes
with its contact e-mail and identifiers (a platform publishing for a council is recognised by
them); a notice naming several councils as its buyers (`buyer` and the `parties` whose roles
say buyer or procuring entity) gives their names joined by "; ", a joint buyer
(citydata.ingest.joint); CPV codes from the tender, its items and the awards' items; the
contract period from the award, else from its contract (`contracts[].period`, matched by
`awardID`), else the tender. Each award gives one row per supplier;
a release without awards gives one row without a supplier. The `tag` is not trusted (Contracts
Finder tags award releases 'tender'): awards are used wherever they are. Values: the award's,
else the tender's when above zero, else the tender's `minValue` (a value of zero is what
publishers write for one not disclosed, passed over unsaid; one below zero or NaN is passed
over with a warning). Each is its `amount`, or, when it gives none, its `amountNet`, else its
`amountGross` (VAT included: kept, with a warning saying it is gross). When several suppliers
share one award its value is not repeated on each row (totals would count it several times):
the rows get no value and a warning that names it. A value not in pounds is left out; each row
gets one warning saying what happened to its value (`_said`). Row numbers count the flattened
rows from 1.
Each row keeps its release's `date` (a compiled release's: the newest of its releases), so
that an older release of a notice already held does not replace it (citydata.store.snapshots).
A release whose contract did not come about (`ended`: every award `cancelled` or `unsuccessful`,
or the tender `cancelled`, `withdrawn` or `unsuccessful` with no award active or pending) gives
one row, without a supplier, whose "Notice status" says so (citydata.ingest.withdrawn).
"""

from __future__ import annotations

import html
import json
import math
import re
from typing import Any

import pandas as pd

from citydata.core import boroughs, buyers
from citydata.ingest import withdrawn
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


class Compiled(dict):
    """A notice's releases compiled into one, with what its newest release says of whether its
    contract came about (`citydata.ingest.withdrawn.ended_in`): the compiled release keeps an
    earlier release's active award beside a later withdrawal of the tender."""

    def __init__(self, release: dict[str, Any], ended: str | None) -> None:
        super().__init__(release)
        self.ended = ended


def is_release(entry: Any) -> bool:
    """An entry of a list of releases that is a release: an object with its `ocid`, the
    identifier its later releases share (text, or a number as some files write it). One
    without it cannot be told from another, nor replaced by its next release: it is not read
    as a notice."""
    if not isinstance(entry, dict):
        return False
    ocid = entry.get("ocid")
    return (
        isinstance(ocid, int | float | str)
        and not isinstance(ocid, bool)
        and bool(str(ocid).strip())
    )


def releases_of(doc: Any) -> list[dict[str, Any]]:
    if isinstance(doc, list):
        return compile_releases([r for r in doc if is_release(r)])
    if not isinstance(doc, dict):
        return []
    if isinstance(doc.get("releases"), list):
        return compile_releases([r for r in doc["releases"] if is_release(r)])
    if isinstance(doc.get("records"), list):
        out = []
        for record in doc["records"]:
            if not isinstance(record, dict):
                continue
            releases = [r for r in _list(record.get("releases")) if isinstance(r, dict)]
            releases = [r for r in releases if "ocid" in r]  # linked ones (bare URLs): nothing
            if isinstance(record.get("compiledRelease"), dict):
                compiled = record["compiledRelease"]
                ended = withdrawn.ended_in(_in_date_order(releases) or [compiled])
                out.append(Compiled(compiled, ended))
            else:
                out += compile_releases(releases)
        return out
    if is_release(doc):
        return [doc]
    return []


def _merge_lists(old: list[Any], new: list[Any]) -> list[Any]:
    """Objects with an `id` merged by id (the newer's values win); others appended."""
    out = list(old)
    positions = {o.get("id"): i for i, o in enumerate(out) if isinstance(o, dict) and "id" in o}
    for item in new:
        key = item.get("id") if isinstance(item, dict) else None
        if key is not None and key in positions:
            out[positions[key]] = _merge(out[positions[key]], item)
        else:
            out.append(item)
    return out


def _merge(old: Any, new: Any) -> Any:
    if isinstance(old, dict) and isinstance(new, dict):
        merged = dict(old)
        for key, value in new.items():
            merged[key] = _merge(old.get(key), value) if key in old else value
        return merged
    if isinstance(old, list) and isinstance(new, list) and key_lists(old, new):
        return _merge_lists(old, new)
    return old if new in (None, "", [], {}) else new


def key_lists(old: list[Any], new: list[Any]) -> bool:
    return all(isinstance(o, dict) and "id" in o for o in [*old, *new])


def _in_date_order(releases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A process's releases oldest first: by `date` (the same date: in the file's order). A
    release without a date stays where the file has it, after those above it and before those
    below, as a notices file's undated release replaces the notice held
    (citydata.ingest.published.newest_releases reads a flattened file's rows the same way)."""
    out: list[dict[str, Any]] = []
    dated: list[dict[str, Any]] = []
    for release in releases:
        if release.get("date"):
            dated.append(release)
            continue
        out += sorted(dated, key=lambda r: str(r["date"]))
        out.append(release)
        dated = []
    return out + sorted(dated, key=lambda r: str(r["date"]))


def compile_releases(releases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One release per `ocid`, earlier releases overlaid by later ones (`_in_date_order`), in
    order, each with what its newest release says of whether it is in force (`Compiled`)."""
    by_ocid: dict[Any, list[dict[str, Any]]] = {}
    order: list[Any] = []
    for i, release in enumerate(releases):
        key = release.get("ocid") if isinstance(release.get("ocid"), str) else ("#", i)
        if key not in by_ocid:
            by_ocid[key] = []
            order.append(key)
        by_ocid[key].append(release)
    out = []
    for key in order:
        group = _in_date_order(by_ocid[key])
        compiled = group[0]
        for later in group[1:]:
            compiled = _merge(compiled, later)
        out.append(Compiled(compiled, withdrawn.ended_in(group)))
    return out


def _list(value: Any) -> list[Any]:
    """A JSON array as a list; anything else (a number, an object, text) as no items."""
    return value if isinstance(value, list) else []


def _cell(value: Any) -> Any:
    """A value for a table cell: text, a number or None; an object or array as its JSON."""
    if isinstance(value, str):
        return unescape(value)
    if value is None or isinstance(value, int | float):
        return value
    return json.dumps(value, ensure_ascii=False)


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _given(value: dict[str, Any]) -> tuple[Any, bool]:
    """The figure a value object gives, and whether it is its gross amount: its `amount`; when
    it gives none, its `amountNet` (also without VAT), else its `amountGross` (VAT included),
    as the UK's notices write a value with and without VAT."""
    for key in ("amount", "amountNet", "amountGross"):
        if value.get(key) is not None:
            return value[key], key == "amountGross"
    return None, False


def _amount(value: Any) -> tuple[Any, Any, bool]:
    if not isinstance(value, dict):
        return None, None, False
    amount, gross = _given(value)
    if _number(amount) and amount > 0:  # (too large, or Infinity: refused as money is, later)
        return amount, value.get("currency"), gross
    return None, None, False


def _number(amount: Any) -> bool:
    return isinstance(amount, (int, float)) and not isinstance(amount, bool)


# Where a value is looked for, in turn: the first above zero is the row's.
_VALUES = (("award", "value", "award's value"), ("tender", "value", "tender's value"),
           ("tender", "minValue", "tender's lowest value"))  # fmt: skip


def _value(award: dict, tender: dict) -> tuple[Any, Any, str | None, bool, str | None]:
    """The row's value and currency (see the module's docstring), which value it is ("award's
    value"), whether it is a gross amount (VAT included), and, where the notice gives an amount
    below zero or not a number (-500, -Infinity) before it, why that was passed over. Zero is
    what publishers write for a value not disclosed: passed over unsaid."""
    odd = None
    for where, key, said in _VALUES:
        given = (award if where == "award" else tender).get(key)
        amount, currency, gross = _amount(given)
        if amount is not None:
            return amount, currency, said, gross, odd
        raw, _ = _given(given) if isinstance(given, dict) else (None, False)
        if odd is None and _number(raw) and not raw >= 0:  # (below zero, -Infinity, NaN)
            written = _written(raw)
            unit = given.get("currency")
            if isinstance(unit, str) and unit not in ("", "GBP"):
                written = f"{unit} {written}"
            odd = f"The {said} ({written}) cannot be a contract's value, so it is not used"
    return None, None, None, False, odd


def _said(
    value: Any, currency: Any, said: str | None, gross: bool, odd: str | None, suppliers: int
) -> tuple[Any, list[tuple[str, Any, str]]]:
    """The value a row keeps, and one note of why (its column, cell and reason) where it is not
    the notice's value as given: passed over (`odd`), not in pounds, shared by several
    suppliers, or a gross amount. Each note says what happened and nothing else."""
    if value is None:
        return None, [("Value", None, f"{odd}.")] if odd else []
    money = _money(value, currency)
    what = f"the {said}" + (" (its gross amount, VAT included)" if gross else "")
    foreign = currency not in (None, "", "GBP")
    if odd is not None:
        if foreign:
            return None, [
                ("Value", None, f"{odd}, and {what}, {money}, is not in pounds: no value is kept.")
            ]
        if suppliers > 1:
            return None, [
                ("Value", None, f"{odd}, and {what}, {money}, is shared by {suppliers} suppliers: "
                 "no value is given for each.")
            ]  # fmt: skip
        instead = f"{money}, {what}," if gross else money
        return value, [("Value", None, f"{odd}: {instead} is used instead.")]
    if foreign:
        return None, [("Currency", currency, "The value is not in pounds; left out.")]
    vat = ", VAT included" if gross else ""
    if suppliers > 1:
        return None, [
            ("Value", _figure(value), f"The {said} ({money}{vat}) is shared by {suppliers} "
             "suppliers, so no value is given for each.")
        ]  # fmt: skip
    if gross:
        return value, [
            ("Value", _figure(value), f"The {said} is given only as its gross amount, VAT "
             f"included (no amount without VAT): {money} is kept.")
        ]  # fmt: skip
    return value, []


def _figure(value: float) -> str:
    """An amount as a person writes it: '90,000', '1,234.50' (never Python's '90,000.0')."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _written(amount: float) -> str:
    """An amount as the notice wrote it, in JSON's words where it is not a number."""
    if math.isnan(amount):
        return "NaN"
    if math.isinf(amount):
        return "Infinity" if amount > 0 else "-Infinity"
    return _figure(amount)


def _money(value: Any, currency: Any) -> str:
    figure = _figure(value)
    return f"£{figure}" if currency in (None, "", "GBP") else f"{currency} {figure}"


BUYER_ROLES = ("buyer", "procuringEntity")
JOINT = "; "  # between the names of a notice's several buyers (citydata.core.buyers.joint)


def _buyer(release: dict[str, Any]) -> Any:
    """The buyer's name; when the notice names several councils as its buyers (the `buyer` and
    `parties` whose roles say buyer or procuring entity: a notice bought jointly), their names
    joined by `JOINT`, each council once."""
    name = _get(release, "buyer", "name")
    parties = [p for p in _list(release.get("parties")) if isinstance(p, dict)]
    named = [p.get("name") for p in parties if set(_list(p.get("roles"))) & set(BUYER_ROLES)]
    names = [n for n in dict.fromkeys([name, *named]) if isinstance(n, str) and n.strip()]
    councils: dict[str, str] = {}  # code -> the first name of each council among them
    for each in names if len(names) > 1 else ():
        council = buyers.council(each)
        if council is not None:
            councils.setdefault(council.code, each)
    if len(councils) > 1:
        return JOINT.join(councils.values())
    if name:
        return name
    for party in parties:
        if "buyer" in _list(party.get("roles")):
            return party.get("name")
    return None


def _buyer_party(release: dict[str, Any]) -> dict[str, Any]:
    buyer_id = _get(release, "buyer", "id")
    parties = [p for p in _list(release.get("parties")) if isinstance(p, dict)]
    buyer_name = _get(release, "buyer", "name")
    for party in parties:
        if buyer_id is not None and party.get("id") == buyer_id:
            return party
    for party in parties:
        if "buyer" in _list(party.get("roles")) or "procuringEntity" in _list(party.get("roles")):
            return party
    for party in parties:
        if buyer_name and party.get("name") == buyer_name:
            return party
    if len(parties) == 1 and not parties[0].get("roles"):  # a flattened file's one party
        return parties[0]
    return release.get("buyer") if isinstance(release.get("buyer"), dict) else {}


def _text(values: list[Any]) -> str | None:
    kept = [str(v).strip() for v in values if isinstance(v, str | int) and str(v).strip()]
    return " ".join(dict.fromkeys(kept)) or None


def _buyer_contacts(release: dict[str, Any]) -> tuple[str | None, str | None]:
    """(e-mail addresses, identifiers) of the buyer, each space-separated, or None."""
    party = _buyer_party(release)
    emails = [_get(party, "contactPoint", "email")]
    identifiers = [party.get("id"), _get(release, "buyer", "id")]
    for ident in [party.get("identifier"), *_list(party.get("additionalIdentifiers"))]:
        if isinstance(ident, dict) and ident.get("id"):
            scheme = ident.get("scheme")
            identifiers.append(f"{scheme}:{ident['id']}" if scheme else ident["id"])
    return _text(emails), _text(identifiers)


def _cpv(release: dict[str, Any], award: dict[str, Any]) -> str | None:
    tender = release.get("tender") if isinstance(release.get("tender"), dict) else {}
    found = [_get(tender, "classification", "id")]
    for item in [*_list(tender.get("items")), *_list(award.get("items"))]:
        if isinstance(item, dict):
            found.append(_get(item, "classification", "id"))
            for extra in _list(item.get("additionalClassifications")):
                found.append(_get(extra, "id"))
    return _text([c for c in found if isinstance(c, str) and re.match(r"\d{8}", c)])


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
    for contract in _list(release.get("contracts")):
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
    awards = [a for a in _list(release.get("awards")) if isinstance(a, dict)]
    awards = [a for a in awards if a.get("status") not in withdrawn.ENDED_AWARDS]
    status = release.ended if isinstance(release, Compiled) else withdrawn.ended(release)
    if status is not None:  # one row for the notice, saying so: no supplier, value or end
        awards = []
    base = [release.get("ocid"), release.get("id")]
    buyer = _buyer(release)
    emails, identifiers = _buyer_contacts(release)
    url = notice_url(release)
    rows: list[list[Any]] = []
    for award in awards or [{}]:
        title = award.get("title") or tender.get("title") or release.get("title")
        description = award.get("description") or tender.get("description")
        period = _period(release, award, tender)
        value, currency, said, gross, odd = _value(award, tender)
        suppliers = [s.get("name") for s in _list(award.get("suppliers")) if isinstance(s, dict)]
        shown_value, notes = _said(value, currency, said, gross, odd, len(suppliers))
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
                        _get(period, "startDate"),
                        _get(period, "endDate"),
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


def parse_json(text: str) -> Any:
    """The JSON document in a text; IngestError saying why when it is not JSON."""
    try:
        return json.loads(text)
    except RecursionError:
        raise IngestError(
            "This JSON file is nested too deeply to be an Open Contracting (OCDS) release "
            "package. Upload the file as it was downloaded, or a CSV or Excel register."
        ) from None
    except json.JSONDecodeError as exc:  # where, not Python's words ("Expecting value: char 88")
        raise IngestError(
            f"This JSON file cannot be read: it stops being valid JSON at line {exc.lineno:,}, "
            f"column {exc.colno:,} (cut short, or changed by hand?). Upload the file as it was "
            "downloaded."
        ) from None
    except ValueError:  # Python reads no number of more than 4,300 digits
        raise IngestError(
            "This JSON file cannot be read: a number in it is thousands of digits long. Upload "
            "the file as it was downloaded."
        ) from None


def read_json(text: str, max_rows: int | None = None) -> Table:
    return from_document(parse_json(text), max_rows)


def from_document(doc: Any, max_rows: int | None = None) -> Table:
    """An OCDS package, record package, list of releases or release as a table."""
    if max_rows is not None and notices_in(doc) > max_rows:
        raise too_many_rows(max_rows)  # (before compiling them: seconds for a huge file)
    releases = releases_of(doc)
    not_notices, merged = unread(doc)
    # (a package of nothing but entries that are not notices is a package; a bare list of them,
    # such as a JSON array of numbers, is not one)
    if not releases and not (not_notices and isinstance(doc, dict)):
        raise IngestError(
            "This JSON file is not an Open Contracting (OCDS) release package, nor a Contracts "
            "Finder search result: it has no releases and no notices. Upload a CSV or Excel "
            "register instead."
        )
    table = from_releases(releases, None, max_rows)
    table.not_notices, table.merged_releases = not_notices, merged
    return table


def notices_in(doc: Any) -> int:
    """How many notices `releases_of` makes of a release package or a list of releases (one
    per `ocid` given as text, one per release with any other `ocid`), counted without compiling
    them; 0 for a record package or a lone release."""
    if isinstance(doc, dict) and isinstance(doc.get("releases"), list):
        entries = doc["releases"]
    elif isinstance(doc, list):
        entries = doc
    else:
        return 0
    ocids: set[str] = set()
    others = 0
    for entry in entries:
        if is_release(entry):
            if isinstance(entry["ocid"], str):
                ocids.add(entry["ocid"])
            else:
                others += 1
    return len(ocids) + others


def too_many_rows(max_rows: int | None) -> IngestError:
    return IngestError(
        f"This file has more than {max_rows or 0:,} rows, the most accepted in one file. "
        f"Split it (one {boroughs.noun()} per file) and upload each."
    )


def unread(doc: Any) -> tuple[int, int]:
    """The entries of a release package's (or a list's) releases that give no row of their
    own: those that are not a release (not an object, such as a number, text or null, or an
    object with no `ocid`: `is_release`), and the earlier releases of a notice (the same `ocid`)
    merged into its newest (`compile_releases`).
    A package whose releases are all such entries holds no notices (`from_releases` reads
    none), rather than not being a package."""
    if isinstance(doc, dict) and isinstance(doc.get("releases"), list):
        entries = doc["releases"]
    elif isinstance(doc, list):
        entries = doc
    else:  # a record package: its records are compiled by the publisher
        return 0, 0
    releases = [r for r in entries if is_release(r)]
    merged = [r["ocid"] for r in releases if isinstance(r["ocid"], str)]  # (compile_releases)
    return len(entries) - len(releases), len(merged) - len(set(merged))


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
