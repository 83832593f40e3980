"""What changed between two sets of one borough's records: added, removed, changed field by field.

A record is recognised across the two sets by its register reference (`source_ref`) when both
sides have one, then, for what is left, by what it is: service area, system and vendor (compared
without regard to case or spacing, `citydata.core.keys.fold_spacing`, as systems are grouped).
Records that share a key are paired exact twins first, then in file order. Values are compared
as canonical text, so 1234.5 and 1234.50, or a date read from a spreadsheet and the same date
read from the database, are equal. A system or vendor written in other capitals ("MOSAIC" for
"Mosaic") is the same record with that field changed: the records keep each name as the
register writes it, so the steward sees what the new file says.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd

from citydata.core.dates import day_label
from citydata.core.formatting import count, money_in_full
from citydata.core.keys import fold_spacing
from citydata.core.schema import FIELD_BY_NAME, FIELD_NAMES

# Fields compared between two records of the same borough (the borough itself cannot differ).
COMPARED: tuple[str, ...] = tuple(n for n in FIELD_NAMES if n not in ("borough_code", "borough"))
# A published notice's fields beside the schema's that a person sees (the Reconciliation page's
# total value and link, a joint notice's other buyers): compared too, so that a newer release
# changing only its total, or only who bought it with the council, is a change.
# (`annual_value_derived` follows from the annual value; `release_date` is when the release was
# published, which orders releases and is shown nowhere: see citydata.store.snapshots.)
NOTICE_EXTRAS: tuple[str, ...] = ("total_value", "notice_url", "bought_with")
EXTRA_LABELS = {
    "total_value": "Total value",
    "notice_url": "Notice link",
    "bought_with": "Bought jointly with",
}
_DATES = ("contract_start", "contract_end")
_MONEY = ("annual_value", "total_value")
_CENTS = Decimal("0.01")
_SPECIAL = frozenset((*_DATES, *_MONEY, "satisfaction"))
_PENNIES = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]{2}")  # canonical money text as it is
_MISSING = frozenset((type(None), type(pd.NA)))
_EXACT = frozenset((str, date, int, Decimal))  # types whose equal values print the same


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
    if name in _MONEY:
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


def _column(name: str, values: list[Any]) -> list[str]:
    """canonical(name, v) for each of `values`, working out each distinct value once."""
    if name not in _SPECIAL:  # text: the common case, kept quick
        return [
            v.strip() if type(v) is str else ("" if v is None else canonical(name, v))
            for v in values
        ]
    if name in _MONEY:  # mostly distinct amounts already in pennies: keep those quickly
        texts = [str(v) if type(v) is Decimal else v for v in values]
        return [
            t if type(t) is str and _PENNIES.fullmatch(t) else canonical(name, v)
            for t, v in zip(texts, values, strict=True)
        ]
    kinds = set(map(type, values)) - _MISSING
    if len(kinds) > 1 or not kinds <= _EXACT:
        return [canonical(name, v) for v in values]
    # Equal keys give equal canonical text: one exact type (equal means the same value), and
    # a Decimal's canonical text depends only on its str (Decimal('-0') == 0 does not).
    keys = list(map(str, values)) if kinds == {Decimal} else values
    seen: dict[Any, str] = {}
    return [
        seen[k] if k in seen else seen.setdefault(k, canonical(name, v))
        for k, v in zip(keys, values, strict=True)
    ]


def _columns(df: pd.DataFrame, extras: tuple[str, ...] = ()) -> dict[str, list[str]]:
    return {
        name: _column(name, df[name].tolist() if name in df.columns else [None] * len(df))
        for name in (*FIELD_NAMES, *extras)
    }


def comparable(df: pd.DataFrame, extras: tuple[str, ...] = ()) -> pd.DataFrame:
    """`df`'s schema fields (and `extras`, e.g. NOTICE_EXTRAS) as canonical text, one row per
    record, in the given order."""
    names = [*FIELD_NAMES, *extras]
    return pd.DataFrame(_columns(df, extras), columns=names, dtype=object)


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
        return text + f" ({count(len(self.changed), 'field')})"


Columns = dict[str, Any]  # field name -> canonical text per record (list or object array)


def _pair(
    before: Columns,
    after: Columns,
    b_keys: dict[int, str],
    a_keys: dict[int, str],
    compared: tuple[str, ...] = COMPARED,
) -> list[tuple[int, int]]:
    """Pair records of equal non-empty key (index -> key, in file order): exact twins first
    (each record with the first unpaired record of the same key and the same values), then the
    rest of the key's records in order."""
    b_keys = {i: k for i, k in b_keys.items() if k}
    a_keys = {j: k for j, k in a_keys.items() if k}
    a_at = {k: j for j, k in a_keys.items()}
    if len(a_at) == len(a_keys) and len(set(b_keys.values())) == len(b_keys):
        return [(i, a_at[k]) for i, k in b_keys.items() if k in a_at]  # every key once a side
    groups_b: dict[str, list[int]] = defaultdict(list)
    groups_a: dict[str, list[int]] = defaultdict(list)
    for i, k in b_keys.items():
        groups_b[k].append(i)
    for j, k in a_keys.items():
        groups_a[k].append(j)
    pairs: list[tuple[int, int]] = []
    for k, bs in groups_b.items():
        as_ = groups_a.get(k)
        if not as_:
            continue
        twins: dict[tuple[str, ...], deque[int]] = defaultdict(deque)
        for j in as_:
            twins[tuple(after[n][j] for n in compared)].append(j)
        rest_b, twinned = [], set()
        for i in bs:
            if queue := twins.get(tuple(before[n][i] for n in compared)):
                j = queue.popleft()
                pairs.append((i, j))
                twinned.add(j)
            else:
                rest_b.append(i)
        pairs.extend(zip(rest_b, (j for j in as_ if j not in twinned), strict=False))
    return pairs


def _what_keys(columns: Columns, left: Iterable[int]) -> dict[int, str]:
    area, system, vendor = (columns[n] for n in ("service_area", "system", "vendor"))
    folded: dict[str, str] = {}

    def fold(text: str) -> str:
        return folded[text] if text in folded else folded.setdefault(text, fold_spacing(text))

    return {i: f"{fold(area[i])}\x1f{fold(system[i])}\x1f{fold(vendor[i])}" for i in left}


def diff(before: pd.DataFrame, after: pd.DataFrame, extras: tuple[str, ...] = ()) -> Diff:
    """What changed from `before` to `after` (records of one borough, any field types), in the
    schema's fields and `extras` (NOTICE_EXTRAS for published notices)."""
    return _diff(_columns(before, extras), _columns(after, extras), compared=(*COMPARED, *extras))


def diff_comparable(
    before: pd.DataFrame, after: pd.DataFrame, extras: tuple[str, ...] = ()
) -> Diff:
    """`diff` of two frames already made canonical by `comparable` (the same result, sooner)."""
    names = (*FIELD_NAMES, *extras)
    return _diff(
        *({n: df[n].to_numpy(dtype=object) for n in names} for df in (before, after)),
        compared=(*COMPARED, *extras),
    )


def unchanged(records: int) -> Diff:
    """The difference between two sets of `records` identical records: none."""
    empty = pd.DataFrame(columns=list(FIELD_NAMES))
    changed = pd.DataFrame(columns=["record_no", "record", "field", "before", "after"])
    return Diff(added=empty, removed=empty.copy(), changed=changed, unchanged=records)


def diff_rest(before: Columns, after: Columns, before_at: np.ndarray, twins: int) -> Diff:
    """`diff` of two sets of records from which `twins` exact twins were already paired away
    (each identical record of one side with an identical record of the other, first ones
    first: see `citydata.store.incoming`). `before_at`: each remaining earlier record's position
    among all the earlier records. The same result as `diff` of the whole sets."""
    return _diff(before, after, before_at, twins)


def _diff(
    before: Columns,
    after: Columns,
    before_at: np.ndarray | None = None,
    twins: int = 0,
    compared: tuple[str, ...] = COMPARED,
) -> Diff:
    nb, na = len(before["source_ref"]), len(after["source_ref"])
    pairs = _pair(
        before,
        after,
        {i: fold_spacing(ref) for i, ref in enumerate(before["source_ref"])},
        {j: fold_spacing(ref) for j, ref in enumerate(after["source_ref"])},
        compared,
    )
    paired_b, paired_a = {i for i, _ in pairs}, {j for _, j in pairs}
    left_b = [i for i in range(nb) if i not in paired_b]
    left_a = [j for j in range(na) if j not in paired_a]
    if left_b and left_a:
        more = _pair(before, after, _what_keys(before, left_b), _what_keys(after, left_a), compared)
        if more:
            pairs += more
            paired_b, paired_a = {i for i, _ in more}, {j for _, j in more}
            left_b = [i for i in left_b if i not in paired_b]
            left_a = [j for j in left_a if j not in paired_a]
    pairs.sort()  # record numbers follow the order of the earlier records
    at_b = np.fromiter((i for i, _ in pairs), dtype=np.int64, count=len(pairs))
    at_a = np.fromiter((j for _, j in pairs), dtype=np.int64, count=len(pairs))
    olds = [np.asarray(before[n], dtype=object)[at_b] for n in compared]
    news = [np.asarray(after[n], dtype=object)[at_a] for n in compared]
    differs = [np.asarray(old != new, dtype=bool) for old, new in zip(olds, news, strict=True)]
    touched = np.logical_or.reduce(differs) if differs and len(pairs) else np.zeros(0, bool)
    # A pair's number counts every earlier pair, the twins paired away included.
    shift = np.zeros(len(pairs), np.int64) if before_at is None else before_at[at_b] - at_b
    changes: list[dict[str, Any]] = []
    for p in np.flatnonzero(touched).tolist():
        new_row = {n: col[p] for n, col in zip(compared, news, strict=True)}
        label = record_label(new_row)
        for k, name in enumerate(compared):
            if differs[k][p]:
                changes.append(
                    {
                        "record_no": p + 1 + int(shift[p]),
                        "record": label,
                        "field": field_label(name),
                        "before": shown(name, olds[k][p]),
                        "after": shown(name, news[k][p]),
                    }
                )
    columns = ["record_no", "record", "field", "before", "after"]
    return Diff(
        added=_subset(after, left_a),
        removed=_subset(before, left_b),
        changed=pd.DataFrame(changes, columns=columns),
        unchanged=twins + len(pairs) - int(touched.sum()),
    )


_NO_RECORDS = pd.DataFrame([], columns=list(FIELD_NAMES))


def _subset(columns: Columns, keep: list[int]) -> pd.DataFrame:
    """The records at `keep` (ascending), as the frame of their canonical text."""
    if not keep:
        return _NO_RECORDS.copy()  # (the usual case: nothing added or removed)
    picked = [[columns[n][i] for i in keep] for n in FIELD_NAMES]
    return pd.DataFrame(list(zip(*picked, strict=True)), columns=list(FIELD_NAMES))


def field_label(name: str) -> str:
    """A compared field's name as people read it."""
    known = FIELD_BY_NAME.get(name)
    return known.label if known else EXTRA_LABELS.get(name, name)


def shown(name: str, text: str) -> str:
    """Canonical text as people read it: '1 Apr 2026', '£12,345.00', '(empty)'."""
    if text == "":
        return "(empty)"
    if name in _DATES:
        try:
            return day_label(date.fromisoformat(text))
        except ValueError:
            return text
    if name in _MONEY:
        try:
            return money_in_full(Decimal(text), pence=True)
        except InvalidOperation:
            return text
    return text


def readable(records: pd.DataFrame) -> pd.DataFrame:
    """Added or removed records for a table: labelled columns, dates and money as people read."""
    out = records.drop(columns=["borough_code"], errors="ignore").copy()
    for name in out.columns:
        out[name] = [shown(name, v) if v else "" for v in out[name]]
    return out.rename(columns={n: f.label for n, f in FIELD_BY_NAME.items()})
