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
        older = getattr(c, "older", 0)
        if older:  # its notices held are newer than this file's: they stay as they are
            held = "the notice held" if older == 1 else "the notices held"
            text += f"; left out: {count(older, 'record')} older than {held}"
        return text
    if c.base_source == "demo":
        return "illustrative data"
    return f"snapshot {c.base_snapshot_id}" if c.base_snapshot_id else "nothing"


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
