"""Repeated rows: a row with the same borough, reference, service area, system and vendor as an
earlier one (`DUPLICATE_KEY`, text compared casefolded) is imported with a warning naming that
row, on every path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from citydata.core import boroughs
from citydata.ingest.report import Problem, warning


def repeat_reason(original: int) -> str:
    return (
        f"This repeats row {original} (same {boroughs.noun()}, reference, service area, system "
        "and vendor): both were imported; check it is not entered twice."
    )


DUPLICATE_KEY = ("borough_code", "source_ref", "service_area", "system", "vendor")


def folded_codes(column_codes: np.ndarray, uniques: list) -> np.ndarray:
    """Codes of a factorized column (-1 for blank) refolded so 'Capita' and 'CAPITA' are one."""
    refold, _ = pd.factorize(pd.Series([str(u).casefold() for u in uniques], dtype=object))
    refold = np.append(refold, -1)  # the code for a blank (-1 picks the last element)
    return refold[column_codes]


def repeats(codes: dict[str, np.ndarray], numbers: np.ndarray) -> list[Problem]:
    """The warning for each row whose DUPLICATE_KEY codes repeat an earlier row's."""
    key = _one_key(list(codes.values()))
    if key is None:  # (too many distinct values to number every combination in 63 bits)
        frame = pd.DataFrame(codes)
        repeated = frame.duplicated(keep="first").to_numpy()
        group = frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy()
    else:
        repeated = pd.Series(key).duplicated(keep="first").to_numpy()
        group = key
    if not repeated.any():
        return []
    first_row = pd.Series(numbers).groupby(group).transform("min").to_numpy()
    return [
        warning(int(row), None, None, repeat_reason(original))
        for row, original in zip(numbers[repeated], first_row[repeated], strict=True)
    ]


def _one_key(columns: list[np.ndarray]) -> np.ndarray | None:
    """One number per row for the combination of its codes (each -1 or more), equal exactly
    where every code is equal; None when the combinations do not fit in 63 bits."""
    key = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64)
    room = 1
    for codes in columns:
        size = int(codes.max()) + 2 if len(codes) else 1
        room *= size
        if room >= 2**62:
            return None
        key = key * size + (codes.astype(np.int64) + 1)
    return key
