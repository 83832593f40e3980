"""An OCDS document's releases: which entries are releases, and each notice's compiled into one.

Accepted (1.0 and 1.1): a release package (`{"releases": [...]}`), a record package (each
record's `compiledRelease`, else its releases compiled), a list of releases, or one release;
Contracts Finder's and Find a Tender's OCDS alike. Several releases of one process (the same
`ocid`: a tender, then its award) are compiled into one, newest last (by `date`; one without a
date counts as newer than those above it): a later release's values replace an earlier one's,
and awards and contracts are merged by their `id`. A compiled release keeps what its newest
release says of whether its contract came about (citydata.ingest.withdrawn).
"""

from __future__ import annotations

from typing import Any

from citydata.ingest import withdrawn


def as_list(value: Any) -> list[Any]:
    """A JSON array as a list; anything else (a number, an object, text) as no items."""
    return value if isinstance(value, list) else []


def at(obj: Any, *path: str) -> Any:
    """The value at a path of keys in a JSON object; None where the path stops."""
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


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
            releases = [r for r in as_list(record.get("releases")) if isinstance(r, dict)]
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
