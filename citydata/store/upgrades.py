"""The live code an upgrade runs after the frozen steps of citydata.store.versions: the data a
version's new tables start with, and what a version put right in the records an older file
holds. Opening a file of an older version loads both (`citydata.lifecycle.migrate`); restoring
a backup of an older version, whose tables come back as they were, puts its records right again
(`redo`), as opening a file of then would.
"""

from __future__ import annotations

from collections.abc import Callable

from citydata.store import matches, rollbacks, vendors, versions
from citydata.store.db import Reader

# Each version's new table's starting data: v3 created the vendor alias table, v11 the pairs
# of register records and notices (a restore keeps the tables a backup does not hold, and
# pairs its records anew).
STARTING_DATA: dict[int, Callable[[Reader], object]] = {3: vendors.seed, 11: matches.refresh}
# What a version put right in the records: v17 left out again the notices withdrawn that a
# rollback of an earlier version brought back.
CORRECTIONS: dict[int, Callable[[Reader], object]] = {17: rollbacks.withdrawn_again}
# The loads versions.migrate runs after the steps that pass their version.
DATA_LOADS: dict[int, Callable[[Reader], object]] = {**STARTING_DATA, **CORRECTIONS}


def redo(w: Reader, since: int) -> None:
    """What each version after `since` did to the records, done again, version by version:
    its step's data part (versions.DATA_STEPS), then its correction."""
    for version in sorted({*versions.DATA_STEPS, *CORRECTIONS}):
        if since < version:
            for part in (versions.DATA_STEPS.get(version), CORRECTIONS.get(version)):
                if part is not None:
                    part(w)
