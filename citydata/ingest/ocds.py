"""Open Contracting Data Standard (OCDS) JSON read as a table: one row per supplier.

The document's releases (a release package, a record package, a list of releases or one
release) are found and each notice's compiled into one (citydata.ingest.packages), then
flattened (citydata.ingest.awards). A file that is not JSON, or JSON that holds no releases and
no notices, is refused saying why.
"""

from __future__ import annotations

import json
from typing import Any

from citydata.ingest import awards
from citydata.ingest.packages import is_release, releases_of
from citydata.ingest.report import IngestError
from citydata.ingest.table import Table


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
        raise awards.too_many_rows(max_rows)  # (before compiling them: seconds for a huge file)
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
    table = awards.from_releases(releases, None, max_rows)
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
