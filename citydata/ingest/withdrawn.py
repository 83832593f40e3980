"""Published notices whose contract did not come about: withdrawn, cancelled or unsuccessful.

A publisher says so in a later release of the notice: in OCDS, every award `cancelled` or
`unsuccessful`, or the tender `cancelled`, `withdrawn` or `unsuccessful` with no award active or
pending (`ended`, read by citydata.ingest.awards into the row's "Notice status"); in Contracts
Finder's CSV export its "Status" column, and in its search API `noticeStatus` ("Withdrawn";
"Open", "Closed" and "Awarded" are notices in force).

Such a row is no contract: it is left out of the file's records ("skipped, not imported"), and
kept as a `Withdrawal` (the borough, the notice's reference, the release's date) so that the
store takes the notice held of that reference out of the borough's next snapshot of notices
(citydata.store.withdrawals). Only the newest release of a notice in a file is read this way
(citydata.ingest.published.newest_releases runs first): an award after a cancellation is in
force again. An OCDS file's releases of one notice are compiled into one (citydata.ingest.packages),
which keeps the awards of earlier releases: whether that notice is in force is what its newest
release says (`ended_in`), not what the compiled one does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from citydata.ingest.report import WITHDRAWN, Problem, skipped, warning
from citydata.ingest.table import Table

# The columns a notices file says a notice's status in: as citydata.ingest.awards writes it (from
# OCDS and Contracts Finder's API), Contracts Finder's CSV export.
STATUS_COLUMNS = ("Notice status", "Status", "Notice Status")
ENDED_AWARDS = ("cancelled", "unsuccessful")
_ENDED_TENDER = ("cancelled", "withdrawn", "unsuccessful")
_WORDS = {"withdrawn": "withdrawn", "cancelled": "cancelled", "canceled": "cancelled",
          "unsuccessful": "unsuccessful"}  # fmt: skip


@dataclass(frozen=True)
class Withdrawal:
    """A notice a file says was withdrawn, cancelled or unsuccessful."""

    borough_code: str
    ref: str  # its reference ('' when the row gives none: it can match no notice held)
    release_date: Any  # when that release was published (None when the file does not say)
    status: str  # 'withdrawn', 'cancelled' or 'unsuccessful'
    row: int  # the file's row


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def ended(release: dict[str, Any]) -> str | None:
    """'cancelled', 'withdrawn' or 'unsuccessful' when an OCDS release says its contract did not
    come about: every award cancelled or unsuccessful, or the tender cancelled, withdrawn or
    unsuccessful (`status`, or `finalStatus` as OCDS 1.2 names its last one) with no award
    active or pending. None for a notice in force."""
    awards = [a for a in _list(release.get("awards")) if isinstance(a, dict)]
    statuses = [str(a.get("status") or "").strip().lower() for a in awards]
    if statuses and all(s in ENDED_AWARDS for s in statuses):
        return "cancelled" if "cancelled" in statuses else "unsuccessful"
    if any(s in ("active", "pending") for s in statuses):
        return None
    tender = release.get("tender") if isinstance(release.get("tender"), dict) else {}
    for key in ("status", "finalStatus"):
        status = str(tender.get(key) or "").strip().lower()
        if status in _ENDED_TENDER:
            return status
    return None


def _tender_statuses(release: dict[str, Any]) -> list[str]:
    tender = release.get("tender") if isinstance(release.get("tender"), dict) else {}
    return [str(tender.get(key) or "").strip().lower() for key in ("status", "finalStatus")]


def ended_in(releases: list[dict[str, Any]]) -> str | None:
    """What `ended` says of a notice from its releases, oldest first: the newest release that
    says anything of its awards or its tender decides. A tender withdrawn, cancelled or
    unsuccessful with no award of its own release active or pending ends the notice, whatever
    earlier releases awarded; otherwise the awards so far, merged by their `id` as OCDS
    compiles them, decide (every one cancelled or unsuccessful: ended; any other, such as an
    award published after a withdrawal: in force). A release saying neither (a corrected
    title) changes nothing. For one release, the same as `ended`."""
    status: str | None = None
    awards: dict[Any, str] = {}
    for n, release in enumerate(releases):
        own = [a for a in _list(release.get("awards")) if isinstance(a, dict)]
        said = [str(a.get("status") or "").strip().lower() for a in own]
        for i, (award, word) in enumerate(zip(own, said, strict=True)):
            key = award.get("id") if isinstance(award.get("id"), str | int) else (n, i)
            awards[key] = word or awards.get(key, "")
        tender = _tender_statuses(release)
        if any(t in _ENDED_TENDER for t in tender) and not {"active", "pending"} & set(said):
            status = ended(release)
        elif own or any(tender):
            status = ended({"awards": [{"status": word} for word in awards.values()]})
    return status


def status_word(value: Any) -> str | None:
    """What a status cell says of a notice that is not in force ('Withdrawn', 'Cancelled',
    'Withdrawn/Cancelled', 'unsuccessful'), as one word; None for any other status ('Open')."""
    if not isinstance(value, str):
        return None
    for word in re.findall(r"[a-z]+", value.lower()):
        if word in _WORDS:
            return _WORDS[word]
    return None


def flags(table: Table) -> list[bool]:
    """Whether each row of `table` says its notice was withdrawn, cancelled or unsuccessful.
    Such a row is no record: what it is about (technology or not) and whether it names a
    system or supplier do not matter (a cancellation often gives neither), only its council and
    reference, which say which notice held it takes out."""
    column = next((c for c in STATUS_COLUMNS if c in table.data.columns), None)
    if column is None:
        return [False] * len(table.rows)
    return [status_word(cell) is not None for cell in table.data[column].tolist()]


def split(
    table: Table,
    out: dict[str, list],
    release_dates: list[Any],
    keep: Any,
    numbers: Any,
) -> tuple[list[int], list[Problem]]:
    """The positions of `table`'s rows still kept (`keep`) whose status says their notice was
    withdrawn, cancelled or unsuccessful, and a problem for each row and one for the file.
    Each becomes a `Withdrawal` in `table.withdrawn` (one per notice)."""
    column = next((c for c in STATUS_COLUMNS if c in table.data.columns), None)
    if column is None:
        return [], []
    cells = table.data[column].tolist()
    gone: list[int] = []
    problems: dict[int, Problem] = {}
    seen: set[tuple[str, str]] = set()
    for i, cell in enumerate(cells):
        status = status_word(cell)
        if status is None or not keep[i]:
            continue
        gone.append(i)
        code, ref = out["borough_code"][i], out["source_ref"][i]
        ref = ref.strip() if isinstance(ref, str) else ""
        number = int(numbers[i])
        if (code, ref) not in seen or not ref:
            seen.add((code, ref))
            table.withdrawn.append(Withdrawal(code, ref, release_dates[i], status, number))
        notice = f"notice {ref}" if ref else "this notice"
        problems.setdefault(
            number,
            skipped(
                number,
                column,
                cell,
                f"{WITHDRAWN}: {notice} was {status}, so it is no contract in force. It is not "
                "imported, and the notice is no longer shown if it is held.",
            ),
        )
    if not problems:
        return gone, []
    n = len(problems)
    which = "notice was" if n == 1 else "notices were"
    note = (
        f"{n:,} {which} withdrawn or cancelled (or unsuccessful): not imported, and no longer "
        "shown where held."
    )
    return gone, [*problems.values(), warning(None, None, None, note)]
