"""The runs' history in words: each fetch and each notices file imported, newest first
(`recent`), one line for people (`line`), and how up to date a feed's notices are when its latest
fetches stopped before the end (`standing`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from citydata.core.formatting import count, day
from citydata.feeds.runs import FEEDS, Run
from citydata.store.db import Database, Reader

COLUMNS = (
    "started_at",
    "feed",
    "since",
    "file_name",
    "started_by",
    "status",
    "pages",
    "notices",
    "kept",
    "not_technology",
    "other_councils",
    "refused",
    "older",
    "held",
    "not_notices",
    "withdrawn",
    "withdrawn_not_held",
    "message",
    "finished_at",
)


def from_row(row: dict[str, Any]) -> Run:
    """A history line's counts as a run (its feed, pages and what it read, kept and left out)."""
    return Run(
        feed=row["feed"],
        since="",
        pages=int(row["pages"]),
        notices=int(row["notices"]),
        imported=int(row["kept"]),
        not_technology=int(row["not_technology"]),
        other_councils=int(row["other_councils"]),
        refused=int(row["refused"]),
        older=int(row.get("older") or 0),  # (NULL: a run recorded before it was counted)
        not_notices=int(row.get("not_notices") or 0),
        held=int(row.get("held") or 0),
        withdrawn=int(_count(row.get("withdrawn"))),  # (NULL: recorded before v16)
        withdrawn_not_held=int(_count(row.get("withdrawn_not_held"))),
    )


def recorded(r: Database | Reader, run_id: int) -> Run | None:
    """The counts of the run recorded as `run_id` in the history (None: no such line)."""
    found = r.df(
        f"SELECT {', '.join(COLUMNS)} FROM feed_runs WHERE id = $id", {"id": int(run_id)}
    ).to_dict("records")
    return from_row({k: None if _missing(v) else v for k, v in found[0].items()}) if found else None


def line(row: dict[str, Any]) -> str:
    """One history line in words: when, what, who, the outcome, the counts, the message. A
    value the run does not have (no message, no file) may come as None or as NaN (a column of
    the history holding both texts and NULLs): either is left out."""
    row = {k: None if _missing(v) else v for k, v in row.items()}
    what = (
        f"file {row['file_name']}"
        if row["feed"] == "file"
        else f"{FEEDS[row['feed']].label if row['feed'] in FEEDS else row['feed']}"
        f" since {_day(row['since'])}"
    )
    run = from_row(row)
    parts = [
        f"{row['started_at']:%Y-%m-%d %H:%M}",
        what,
        f"by {row['started_by'] or 'unknown'}",
        row["status"],
        f"{count(run.pages, 'page')}, {run.notices:,} read, {run.imported:,} kept.",
        run.no_longer_shown(),
        run.left_out(),
        row["message"] or "",
    ]
    return " · ".join(p for p in parts[:4]) + ": " + " ".join(p for p in parts[4:] if p)


def _count(value: Any) -> int:
    return 0 if _missing(value) else int(value)


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):  # not a single value
        return False


def _day(value: Any) -> str:
    return str(value)[:10] if value is not None and str(value) not in ("NaT", "None") else "-"


def recent(r: Database | Reader, limit: int = 50) -> Any:
    """The latest fetches and imports, newest first (a DataFrame of COLUMNS)."""
    return r.df(
        f"SELECT {', '.join(COLUMNS)} FROM feed_runs ORDER BY id DESC LIMIT $n",
        {"n": int(limit)},
    )


def standing(r: Database | Reader, feed_key: str) -> str:
    """How up to date the feed's notices are when its latest fetches stopped before the end
    (a failing publisher, night after night): when a fetch of it last ran to the end, and how
    many have stopped since. '' when the latest finished run went to the end, or none ran."""
    label = FEEDS[feed_key].label
    [(last_done, failed)] = r.rows(
        "SELECT max(finished_at) FILTER (WHERE status = 'done'),"
        " count(*) FILTER (WHERE status = 'failed' AND id > coalesce("
        "  (SELECT max(id) FROM feed_runs WHERE feed = $f AND status = 'done'), 0))"
        " FROM feed_runs WHERE feed = $f",
        {"f": feed_key},
    )
    if not failed:
        return ""
    if last_done is None:
        so_far = "the one fetch so far" if failed == 1 else f"all {failed:,} fetches so far"
        return (
            f"No fetch from {label} has run to the end yet: {so_far} stopped before it, so "
            "some of its notices may not be held."
        )
    since = "the one fetch since has" if failed == 1 else f"the {failed:,} fetches since have"
    return (
        f"Notices from {label} were last fetched to the end on {moment(last_done)}; {since} "
        "stopped before the end, so notices it published after that may not be held yet."
    )


def moment(value: Any) -> str:
    """When a run started or ended, as the app writes a day and a time: '6 Dec 2026 at 02:00'."""
    when = pd.Timestamp(value)
    return f"{day(when)} at {when:%H:%M}"
