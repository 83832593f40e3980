"""A borough's register against its published awards: matched, register only, published only.

A published notice matches a register record of the same borough when they name the same
supplier (the canonical vendor, compared by rapidfuzz's token-sort ratio after folding case and
company words: at least VENDOR_SCORE) and either their contract dates overlap or their titles are
alike (the system's name against the notice's title: at least TITLE_SCORE). Each record is matched
at most once, best pair first. Built from the one filtered base query (the Borough filter is
replaced by the borough; the Source filter is ignored: both sources are compared).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from rapidfuzz import fuzz

from citydata.core import boroughs
from citydata.query import selection
from citydata.query.filters import FilterState
from citydata.store import vendors
from citydata.store.db import Reader

VENDOR_SCORE = 85
TITLE_SCORE = 70
COLUMNS = ("service_area", "system", "vendor", "contract_start", "contract_end", "source_ref")


@dataclass(frozen=True)
class Reconciled:
    matched: pd.DataFrame  # register record + notice side by side (notice_* columns)
    register_only: pd.DataFrame
    published_only: pd.DataFrame  # with notice_url

    def sentence(self, borough: str) -> str:
        m, r, p = len(self.matched), len(self.register_only), len(self.published_only)
        return (
            f"{borough}: {m:,} register records match a published notice; {r:,} are in the "
            f"register with no published notice found; {p:,} published notices are missing "
            "from the register."
        )


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    def day(v: Any, far: date) -> date:
        return v if isinstance(v, date) and not pd.isna(v) else far

    a0, a1 = day(a["contract_start"], date.min), day(a["contract_end"], date.max)
    b0, b1 = day(b["contract_start"], date.min), day(b["contract_end"], date.max)
    known = not pd.isna(a["contract_start"]) and not pd.isna(b["contract_start"])
    return known and a0 <= b1 and b0 <= a1


def _score(reg: dict[str, Any], notice: dict[str, Any]) -> float | None:
    supplier = vendors.similarity(str(reg["vendor"] or ""), str(notice["vendor"] or ""))
    if supplier < VENDOR_SCORE:
        return None
    title = fuzz.token_set_ratio(
        str(reg["system"] or "").lower(), str(notice["system"] or "").lower()
    )
    if _overlap(reg, notice) or title >= TITLE_SCORE:
        return supplier + title / 100
    return None


def reconcile(r: Reader, state: FilterState, borough: str) -> Reconciled:
    """The borough's register records and published notices, matched (see the module's note)."""
    found = boroughs.resolve(borough)
    if found is None:
        raise boroughs.UnknownBorough(borough)
    sql, params = selection.base(state.with_(borough=(found.name,), source_kind=()))
    df = r.df(
        f"SELECT {', '.join(COLUMNS)}, source_kind, notice_url, total_value FROM ({sql}) AS b"
        " ORDER BY system, vendor",
        params,
    )
    reg = df[df["source_kind"] == "register"].reset_index(drop=True)
    pub = df[df["source_kind"] == "published"].reset_index(drop=True)
    pairs = []
    reg_rows, pub_rows = reg.to_dict("records"), pub.to_dict("records")
    for i, a in enumerate(reg_rows):
        for j, b in enumerate(pub_rows):
            score = _score(a, b)
            if score is not None:
                pairs.append((-score, i, j))
    used_r: set[int] = set()
    used_p: set[int] = set()
    matched = []
    for _, i, j in sorted(pairs):
        if i in used_r or j in used_p:
            continue
        used_r.add(i)
        used_p.add(j)
        notice = pub_rows[j]
        matched.append(
            {**{c: reg_rows[i][c] for c in COLUMNS}}
            | {"notice_title": notice["system"], "notice_vendor": notice["vendor"]}
            | {"notice_url": notice["notice_url"], "notice_total_value": notice["total_value"]}
        )
    keep = list(COLUMNS)
    return Reconciled(
        matched=pd.DataFrame(
            matched,
            columns=[*keep, "notice_title", "notice_vendor", "notice_url", "notice_total_value"],
        ),
        register_only=reg.drop(index=list(used_r))[keep].reset_index(drop=True),
        published_only=pub.drop(index=list(used_p))[
            [*keep, "notice_url", "total_value"]
        ].reset_index(drop=True),
    )
