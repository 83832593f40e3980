"""A borough's register against its published awards: matched, register only, published only.

The pairs are the ones the counts use everywhere: a notice is matched to a register record by
`citydata.store.matches` (same supplier, and overlapping dates or a similar title) whenever the
borough's records change, and kept in `notice_matches`. Built from the one filtered base query
(the Borough filter is replaced by the borough; both sources are compared, whatever the Source
filter says). A matched pair whose dates, value or supplier disagree says how, in plain words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from citydata.core.formatting import count, day, money
from citydata.query import selection
from citydata.query.filters import FilterState
from citydata.store.db import Reader

COLUMNS = (
    "service_area",
    "system",
    "vendor",
    "contract_start",
    "contract_end",
    "annual_value",
    "source_ref",
)
# The columns a reconciliation adds to the records' (exports.label names those), as the page
# and its download name them.
LABELS = {
    "outcome": "Outcome",
    "notice_title": "Notice title",
    "notice_vendor": "Notice's supplier",
    "notice_start": "Notice start",
    "notice_end": "Notice end",
    "notice_annual_value": "Notice a year (£)",
    "notice_total_value": "Notice total (£)",
    "notice_url": "Notice",
    "differences": "Differences",
}
# Annual values further apart than this share of the larger one are called different.
VALUE_TOLERANCE = 0.10
OUTCOMES = {
    "matched": "matched",
    "register_only": "in the register, no published notice",
    "published_only": "published, missing from the register",
}


@dataclass(frozen=True)
class Counts:
    """How many records each outcome holds, and how many matched pairs disagree."""

    matched: int
    register_only: int
    published_only: int
    disagreements: int

    def sentence(self, borough: str) -> str:
        """Each outcome's records in words: records of published notices, not notices, which
        a notice naming two suppliers gives two of (one of which may be matched)."""
        m, r, p = self.matched, self.register_only, self.published_only
        matches = "matches" if m == 1 else "match"
        are = "is" if r == 1 else "are"
        missing = "is" if p == 1 else "are"
        return (
            f"{borough}: {count(m, 'register record')} {matches} a published notice; {r:,} "
            f"{are} in the register with no published notice found; "
            f"{count(p, 'record')} of published notices {missing} missing from the register."
        )

    def disagreement_sentence(self) -> str:
        n = self.disagreements
        if not n:
            return "Every matched pair agrees on its dates, value and supplier."
        pairs = "pair disagrees" if n == 1 else "pairs disagree"
        return f"{n:,} matched {pairs} on dates, value or supplier: see Differences."


@dataclass(frozen=True)
class Reconciled:
    # register record + its notice (notice_* columns, and the other councils that bought it
    # when jointly: bought_with) + differences
    matched: pd.DataFrame
    register_only: pd.DataFrame
    # with bought_with (a notice bought jointly: the other councils), notice_url and total_value
    published_only: pd.DataFrame

    @property
    def counts(self) -> Counts:
        return Counts(
            len(self.matched),
            len(self.register_only),
            len(self.published_only),
            _disagreeing(self.matched),
        )

    @property
    def disagreements(self) -> int:
        return self.counts.disagreements

    def sentence(self, borough: str) -> str:
        return self.counts.sentence(borough)

    def disagreement_sentence(self) -> str:
        return self.counts.disagreement_sentence()

    def labelled(self) -> pd.DataFrame:
        """`table` with the reconciliation's own columns named as people read them (LABELS;
        the records' are named by exports.with_labels): the page's and the command line's
        download."""
        return self.table().rename(columns=LABELS)

    def table(self) -> pd.DataFrame:
        """Every record with its outcome (the first column): what the download holds."""
        parts = [
            getattr(self, name).assign(outcome=label)
            for name, label in OUTCOMES.items()
            if len(getattr(self, name))
        ]
        if not parts:
            return pd.DataFrame(columns=["outcome", *COLUMNS])
        out = pd.concat(parts, ignore_index=True)
        return out[["outcome", *(c for c in out.columns if c != "outcome")]]


def web_link(url: Any) -> str | None:
    """A notice's address when it is a plain http(s) address, else None (never a script)."""
    text = str(url).strip() if _known(url) else ""
    return text if text.lower().startswith(("https://", "http://")) and " " not in text else None


def _known(v: Any) -> bool:
    return v is not None and not (not isinstance(v, str) and pd.isna(v))


def _as_day(v: Any) -> date | None:
    return pd.Timestamp(v).date() if _known(v) else None


def differences(row: dict[str, Any]) -> str:
    """How a matched register record and its notice disagree, in plain words ('' if not)."""
    said = []
    for what, ours, theirs in (
        ("start", row["contract_start"], row["notice_start"]),
        ("end", row["contract_end"], row["notice_end"]),
    ):
        a, b = _as_day(ours), _as_day(theirs)
        if a and b and a != b:
            said.append(f"{what} date: register {day(a)}, notice {day(b)}")
    a, b = row["annual_value"], row["notice_annual_value"]
    if _known(a) and _known(b):
        a, b = float(a), float(b)
        if abs(a - b) > VALUE_TOLERANCE * max(abs(a), abs(b)):
            said.append(f"annual value: register {money(a)}, notice {money(b)}")
    if _known(row["notice_vendor"]) and str(row["vendor"]) != str(row["notice_vendor"]):
        said.append(f"supplier: register {row['vendor']}, notice {row['notice_vendor']}")
    return "; ".join(said)


def reconcile(r: Reader, state: FilterState, borough: str, limit: int | None = None) -> Reconciled:
    """The borough's register records and published notices, matched (see the module's note).

    With `limit`, each of the three holds its first `limit` rows only (what a page shows; their
    numbers: `counts`)."""
    register, published = _sides(state, borough)
    mine, theirs = (selection.limit_clause(side[1], limit) for side in (register, published))
    cols = ", ".join(f"b.{c}" for c in COLUMNS)
    order = " ORDER BY b.system, b.vendor, b.source_ref"
    return Reconciled(
        _matched(r, register, mine),
        r.df(
            f"SELECT {cols} FROM ({register[0]}) AS b WHERE NOT b.matched{order}{mine}",
            register[1],
        ),
        r.df(
            f"SELECT {cols}, b.bought_with, b.notice_url, b.total_value FROM ({published[0]}) AS b"
            f" WHERE NOT b.matched{order}{theirs}",
            published[1],
        ),
    )


def counts(r: Reader, state: FilterState, borough: str) -> Counts:
    """`reconcile(...).counts` without reading the records that match nothing (at 10M records
    a borough's register alone is some 300,000 of them)."""
    register, published = _sides(state, borough)
    matched = _matched(r, register)
    unmatched = "SELECT count(*) FROM ({}) AS b WHERE NOT b.matched"
    return Counts(
        len(matched),
        r.scalar(unmatched.format(register[0]), register[1]),
        r.scalar(unmatched.format(published[0]), published[1]),
        _disagreeing(matched),
    )


def _sides(state: FilterState, borough: str) -> tuple[tuple[str, Any], tuple[str, Any]]:
    """The base query (SQL, parameters) of the borough's register and of its published notices,
    whatever the Borough and Source filters say."""
    state = state.for_borough(borough)
    return (
        selection.base(state.with_(source_kind=("register",))),
        selection.base(state.with_(source_kind=("published",))),
    )


def _matched(r: Reader, register: tuple[str, Any], tail: str = "") -> pd.DataFrame:
    """The register records with the notice each is matched to, and how they differ (`tail`:
    a LIMIT clause, or nothing)."""
    cols = ", ".join(f"b.{c}" for c in COLUMNS)
    matched = r.df(
        f"""SELECT {cols}, n.system AS notice_title, n.vendor AS notice_vendor,
            n.contract_start AS notice_start, n.contract_end AS notice_end,
            n.annual_value AS notice_annual_value, n.total_value AS notice_total_value,
            n.bought_with, n.notice_url
        FROM ({register[0]}) AS b
        JOIN notice_matches AS m
            ON m.register_snapshot_id = b.snapshot_id AND m.register_record_no = b.record_no
            AND m.register_vendor = b.vendor_as_written
        JOIN current_contracts AS n ON n.snapshot_id = m.notice_snapshot_id
            AND n.record_no = m.notice_record_no AND coalesce(n.source_ref, '') = m.notice_ref
            AND n.vendor_as_written = m.notice_vendor
        ORDER BY b.system, b.vendor, b.source_ref{tail}""",
        register[1],
    )
    matched["differences"] = [differences(row) for row in matched.to_dict("records")]
    return matched


def _disagreeing(matched: pd.DataFrame) -> int:
    return int((matched["differences"] != "").sum()) if len(matched) else 0
