"""A preview as tables people read: one line per borough, one line per problem of a row."""

from __future__ import annotations

from typing import Any

import pandas as pd

from citydata.core.formatting import count
from citydata.store.history import PUBLISHED


def changes_table(items: list[Any]) -> pd.DataFrame:
    """One line per borough for the preview."""
    return pd.DataFrame(
        [
            {
                "Borough": c.borough,
                "Records now": c.before,
                "Records after": c.after,
                "Added": len(c.diff.added),
                "Removed": len(c.diff.removed),
                "Changed": c.diff.records_changed,
                "Replaces": _replaces(c),
            }
            for c in items
        ]
    )


def _replaces(c: Any) -> str:
    if c.kind == PUBLISHED:
        held = f"snapshot {c.base_snapshot_id}" if c.base_snapshot_id else "no notices yet"
        text = f"nothing: adds to the published notices ({held}); the register is kept"
        return "; ".join([text, *left_out(c)])
    if c.base_source == "demo":
        return "illustrative data"
    return f"snapshot {c.base_snapshot_id}" if c.base_snapshot_id else "nothing"


def left_out(c: Any) -> list[str]:
    """What a borough's part of a notices file leaves out as older releases, and the notices it
    stops showing as withdrawn or cancelled, in words (none for a register): 'left out: 1
    record older than the notice held', '1 notice withdrawn or cancelled: no longer shown'."""
    said = []
    older = getattr(c, "older", 0)
    if older:  # its notices held are newer than this file's: they stay as they are
        held = "the notice held" if older == 1 else "the notices held"
        said.append(f"left out: {count(older, 'record')} older than {held}")
    in_file = getattr(c, "older_in_file", 0)
    if in_file:  # the file holds a newer release of the same notice: that one is kept
        newer = "a newer release" if in_file == 1 else "newer releases"
        said.append(f"left out: {count(in_file, 'record')} older than {newer} in this file")
    withdrawn = getattr(c, "withdrawn", 0)
    if withdrawn:  # a newer release said the contract was withdrawn or cancelled
        said.append(f"{count(withdrawn, 'notice')} withdrawn or cancelled: no longer shown")
    dropped = getattr(c, "dropped", 0)
    if dropped:  # a newer release of a notice no longer names this council as a buyer
        said.append(f"{count(dropped, 'notice')} no longer naming it a buyer: no longer shown")
    not_held = getattr(c, "withdrawn_not_held", 0)
    if not_held:
        was = "was" if not_held == 1 else "were"
        said.append(
            f"left out: {count(not_held, 'notice')} withdrawn or cancelled that {was} not held"
        )
    return said


def problems_table(problems: list[Any], file_refused: bool = False) -> pd.DataFrame:
    """The problems of single rows of a prepared file, for a table and a download: each has its
    row and what became of it (`Problem.outcome`, as the command line says; `file_refused`:
    the whole file was refused, so no row of it is imported). Notes about the whole file have
    no row and are shown apart (`Prepared.file_notes`)."""
    return pd.DataFrame(
        [
            {
                "Row": p.row,
                "Column": p.column or "",
                "Value": p.value or "",
                "Problem": p.reason,
                "Outcome": p.outcome(file_refused),
            }
            for p in problems
            if p.row is not None
        ],
        columns=["Row", "Column", "Value", "Problem", "Outcome"],
    ).astype({"Row": "Int64"})


def left_out_table(problems: list[Any]) -> pd.DataFrame:
    """The rows of published notices left out with nothing to fix (another council's, not
    technology, an older release...; `Prepared.left_out_problems`), each with why, for a table
    and a download apart from the problems."""
    return pd.DataFrame(
        [
            {"Row": p.row, "Column": p.column or "", "Value": p.value or "", "Why": p.reason}
            for p in problems
        ],
        columns=["Row", "Column", "Value", "Why"],
    ).astype({"Row": "Int64"})
