"""What changed between two sets of one borough's records: added, removed, changed field by field.

A record is recognised across the two sets by its register reference (`source_ref`) when both
sides have one, then, for what is left, by what it is: service area, system and vendor (compared
without regard to case or spacing). Records that share a key are paired exact twins first, then in
file order. Values are compared as canonical text, so 1234.5 and 1234.50, or a date read from a
spreadsheet and the same date read from the database, are equal.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd

from citydata.dates import day_label
from citydata.schema import FIELD_BY_NAME, FIELD_NAMES

# Fields compared between two records of the same borough (the borough itself cannot differ).
COMPARED: tuple[str, ...] = tuple(n for n in FIELD_NAMES if n not in ("borough_code", "borough"))
_DATES = ("contract_start", "contract_end")
_CENTS = Decimal("0.01")
_SPECIAL = frozenset((*_DATES, "annual_value", "satisfaction"))


def canonical(name: str, value: Any) -> str:
    """The text a value of field `name` is compared as; '' for empty."""
    if value is None:
        return ""
    if isinstance(value, str) and name not in _SPECIAL:
        return value.strip()
    if not isinstance(value, str) and pd.isna(value):
        return ""
    if name in _DATES:
        if isinstance(value, datetime | pd.Timestamp):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        return str(value).strip()[:10]
    if name == "annual_value":
        try:
            return str(Decimal(str(value).strip()).quantize(_CENTS))
        except InvalidOperation:
            return str(value).strip()
    if name == "satisfaction":
        try:
            return str(int(float(value)))
        except ValueError:
            return str(value).strip()
    return str(value).strip()


def _columns(df: pd.DataFrame) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name in FIELD_NAMES:
        values = df[name].tolist() if name in df.columns else [None] * len(df)
        if name in _DATES:
            out[name] = [v.isoformat() if type(v) is date else canonical(name, v) for v in values]
        elif name in _SPECIAL:
            out[name] = [canonical(name, v) for v in values]
        else:  # text: the common case, kept quick
            out[name] = [v.strip() if type(v) is str else canonical(name, v) for v in values]
    return out


def comparable(df: pd.DataFrame) -> pd.DataFrame:
    """`df`'s schema fields as canonical text, one row per record, in the given order."""
    return pd.DataFrame(_columns(df), columns=list(FIELD_NAMES), dtype=object)


def _rows(df: pd.DataFrame) -> list[dict[str, str]]:
    columns = _columns(df)
    return [
        dict(zip(FIELD_NAMES, values, strict=True))
        for values in zip(*columns.values(), strict=True)
    ]


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def _by_reference(row: dict[str, str]) -> str:
    return _fold(row["source_ref"])


def _by_what(row: dict[str, str]) -> str:
    parts = (row["service_area"], row["system"], row["vendor"])
    return "\x1f".join(_fold(p) for p in parts)


def record_label(row: dict[str, str]) -> str:
    """How a record is named in a list of changes: 'System (Vendor), ref ABC-1'."""
    label = f"{row['system'] or '(no system)'} ({row['vendor'] or 'no vendor'})"
    return f"{label}, ref {row['source_ref']}" if row["source_ref"] else label


@dataclass(frozen=True)
class Diff:
    """The difference from `before` to `after`; frames hold canonical text."""

    added: pd.DataFrame  # records only in after (FIELD_NAMES columns)
    removed: pd.DataFrame  # records only in before
    changed: pd.DataFrame  # one row per changed field: record, field, before, after
    unchanged: int  # records identical on both sides

    @property
    def records_changed(self) -> int:
        return int(self.changed["record_no"].nunique()) if len(self.changed) else 0

    @property
    def is_empty(self) -> bool:
        return not (len(self.added) or len(self.removed) or len(self.changed))

    def summary(self) -> str:
        if self.is_empty:
            return "No changes."
        text = (
            f"{len(self.added)} added, {len(self.removed)} removed, {self.records_changed} changed"
        )
        if self.changed.empty:
            return text
        return text + f" ({len(self.changed)} {'field' if len(self.changed) == 1 else 'fields'})"


def _pair(
    before: list[dict[str, str]],
    after: list[dict[str, str]],
    left_b: set[int],
    left_a: set[int],
    key: Callable[[dict[str, str]], str],
) -> list[tuple[int, int]]:
    """Pair records of equal non-empty key: exact twins first, then in order."""
    groups_b: dict[str, list[int]] = defaultdict(list)
    groups_a: dict[str, list[int]] = defaultdict(list)
    for i in sorted(left_b):
        if k := key(before[i]):
            groups_b[k].append(i)
    for j in sorted(left_a):
        if k := key(after[j]):
            groups_a[k].append(j)
    pairs: list[tuple[int, int]] = []
    for k, bs in groups_b.items():
        as_ = groups_a.get(k)
        if not as_:
            continue
        if len(bs) > 1 or len(as_) > 1:
            signature = {j: tuple(after[j][n] for n in COMPARED) for j in as_}
            for i in list(bs):
                twin = next(
                    (j for j in as_ if signature[j] == tuple(before[i][n] for n in COMPARED)),
                    None,
                )
                if twin is not None:
                    pairs.append((i, twin))
                    bs.remove(i)
                    as_.remove(twin)
        pairs.extend(zip(bs, as_, strict=False))
    for i, j in pairs:
        left_b.discard(i)
        left_a.discard(j)
    return pairs


def diff(before: pd.DataFrame, after: pd.DataFrame) -> Diff:
    """What changed from `before` to `after` (records of one borough, any field types)."""
    b_rows, a_rows = _rows(before), _rows(after)
    left_b, left_a = set(range(len(b_rows))), set(range(len(a_rows)))
    pairs = _pair(b_rows, a_rows, left_b, left_a, _by_reference)
    pairs += _pair(b_rows, a_rows, left_b, left_a, _by_what)
    changes: list[dict[str, Any]] = []
    unchanged = 0
    for number, (i, j) in enumerate(sorted(pairs), start=1):
        old, new = b_rows[i], a_rows[j]
        fields = [n for n in COMPARED if old[n] != new[n]]
        if not fields:
            unchanged += 1
        for name in fields:
            changes.append(
                {
                    "record_no": number,
                    "record": record_label(new),
                    "field": FIELD_BY_NAME[name].label,
                    "before": shown(name, old[name]),
                    "after": shown(name, new[name]),
                }
            )
    columns = ["record_no", "record", "field", "before", "after"]
    return Diff(
        added=_subset(a_rows, left_a),
        removed=_subset(b_rows, left_b),
        changed=pd.DataFrame(changes, columns=columns),
        unchanged=unchanged,
    )


def _subset(rows: list[dict[str, str]], keep: Iterable[int]) -> pd.DataFrame:
    return pd.DataFrame([rows[i] for i in sorted(keep)], columns=list(FIELD_NAMES))


def shown(name: str, text: str) -> str:
    """Canonical text as people read it: '1 Apr 2026', '£12,345.00', '(empty)'."""
    if text == "":
        return "(empty)"
    if name in _DATES:
        try:
            return day_label(date.fromisoformat(text))
        except ValueError:
            return text
    if name == "annual_value":
        try:
            return f"£{Decimal(text):,.2f}"
        except InvalidOperation:
            return text
    return text


def readable(records: pd.DataFrame) -> pd.DataFrame:
    """Added or removed records for a table: labelled columns, dates and money as people read."""
    out = records.drop(columns=["borough_code"], errors="ignore").copy()
    for name in out.columns:
        out[name] = [shown(name, v) if v else "" for v in out[name]]
    return out.rename(columns={n: f.label for n, f in FIELD_BY_NAME.items()})
