"""What an alert tells: the contracts of a view whose decision falls due, that end soon, that
are new or changed since the subscription was last told, or that have left the view since.

Each function takes the view's `FilterState` and builds on the one filtered base query, so an
alert lists exactly the contracts the linked page shows. "Decisions due within N months" are the
contracts not yet ended whose decide-by date (see citydata.query.pipeline) falls before the same
day N months on, overdue ones included; "ending within N months" is the Overview's and the
pipeline's window (on or after today, before the same day N months on).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from citydata.core import boroughs
from citydata.core.dates import add_months
from citydata.core.schema import FIELD_NAMES
from citydata.query import pipeline, system_groups
from citydata.query.filters import FilterState
from citydata.query.pipeline import LeadTimes
from citydata.store import joint, matches, vendors, withdrawals
from citydata.store.changes import NOTICE_EXTRAS
from citydata.store.db import Reader

# Every list an alert holds has these columns, soonest first. The message shows the canonical
# `vendor`; what was sent is keyed on the name as written (see citydata.output.ics.uid), which
# an alias does not change.
COLUMNS = (
    "borough",
    "borough_code",
    "service_area",
    "system",
    "vendor",
    "vendor_as_written",
    "source_ref",
    "contract_end",
    "decide_by",
    "annual_value",
)
# Most contracts one message lists; the link to the view shows the rest.
MAX_LISTED = 200


def _listed(
    r: Reader, state: FilterState, lead: LeadTimes, months: int, today: date, where: str, order: str
) -> pd.DataFrame:
    """The view's dated contracts in `where` (over `$today` and `$horizon`, `months` on)."""
    sql, params = pipeline.dated(state, lead)
    params |= {"today": today, "horizon": add_months(today, int(months))}
    return r.df(f"SELECT {_SELECT} FROM ({sql}) AS d WHERE {where} ORDER BY {order}", params)


def decisions_due(
    r: Reader, state: FilterState, lead: LeadTimes, months: int, today: date
) -> pd.DataFrame:
    """Contracts not yet ended whose decide-by date is before today + `months` months."""
    due = _due("horizon")
    return _listed(r, state, lead, months, today, due, "decide_by, contract_end, " + _ORDER)


def _due(horizon: str) -> str:
    """Not yet ended, the decide-by date before the horizon (overdue ones included)."""
    return f"contract_end >= $today AND decide_by < ${horizon}"


def ending(
    r: Reader, state: FilterState, lead: LeadTimes, months: int, today: date
) -> pd.DataFrame:
    """Contracts ending on or after today and before today + `months` months."""
    window = pipeline.ending_window("horizon")
    return _listed(r, state, lead, months, today, window, "contract_end, " + _ORDER)


def changed(r: Reader, state: FilterState, lead: LeadTimes, since: int) -> pd.DataFrame:
    """Current records of the view from snapshots after `since` that no record of the same
    borough current at snapshot `since` (its register and its notices as they were then)
    matched field for field (`WATCHED`): `change` is 'changed' when such a record had the same
    reference (or, without one, the same service area, system however capitalised or spaced,
    and vendor), else 'new'. A record
    put back as it was before then (a mistaken upload corrected) is a change: what was sent
    since said otherwise. `fingerprint` identifies the record and its
    values."""
    sql, params = pipeline.dated(state, lead)
    params["since"] = int(since)
    same = " AND ".join(f"o.{n} IS NOT DISTINCT FROM d.{_as_stored(n)}" for n in WATCHED)
    values = _VALUES
    # A notice's total value and link join the fingerprint only when it has them, so that a
    # register record's fingerprint (and what was sent about it) stays as it was; the councils
    # a joint notice was bought with only when it names some (concat_ws skips a NULL), so that
    # a notice bought alone keeps its fingerprint too.
    extras = " OR ".join(f"d.{n} IS NOT NULL" for n in NOTICE_EXTRAS)
    noticed = ", ".join(
        f"CAST(d.{n} AS VARCHAR)" if n in _ONLY_GIVEN else f"coalesce(CAST(d.{n} AS VARCHAR), '')"
        for n in NOTICE_EXTRAS
    )
    # (one system however written, as the History page pairs records: "MOSAIC" -> "Mosaic" is
    # that record changed; a borough's records only, so folding each is quick)
    key = system_groups.key
    same_system = f"{key('o.system')} IS NOT DISTINCT FROM {key('d.system')}"
    return r.df(
        f"""WITH d AS (SELECT * FROM ({sql}) AS x WHERE snapshot_id > $since),
        earlier AS (
            SELECT * FROM contracts
            WHERE snapshot_id IN (
                SELECT max(id) FROM snapshots
                WHERE id <= $since AND borough_code IN (SELECT DISTINCT borough_code FROM d)
                GROUP BY borough_code, kind
            )
        )
        SELECT {_SELECT},
            CASE WHEN EXISTS (
                SELECT 1 FROM earlier AS o WHERE o.borough_code = d.borough_code AND (
                    (d.source_ref IS NOT NULL AND o.source_ref = d.source_ref)
                    OR (d.source_ref IS NULL AND o.service_area IS NOT DISTINCT FROM
                        d.service_area AND {same_system}
                        AND o.vendor IS NOT DISTINCT FROM d.vendor_as_written))
            ) THEN 'changed' ELSE 'new' END AS change,
            CASE WHEN {extras}
                THEN md5(concat_ws(chr(31), {values}, {noticed}))
                ELSE md5(concat_ws(chr(31), {values})) END AS fingerprint,
            d.snapshot_id
        FROM d
        WHERE NOT EXISTS (SELECT 1 FROM earlier AS o WHERE {same})
        ORDER BY borough, service_area, system, source_ref""",
        params,
    )


# What makes a record "new or changed" for an alert: every field of the record as its register
# or notice gives it (the vendor as written: grouping a vendor's name under another is no
# change), and a published notice's total value, link and the other councils it was bought
# with, which a person sees beside it (the Reconciliation page, "Bought jointly with") and
# which a newer release may change alone. Not the release's date (shown nowhere) nor the annual
# value worked out from the total (it follows the total).
WATCHED: tuple[str, ...] = (*FIELD_NAMES, *NOTICE_EXTRAS)
_ONLY_GIVEN = ("bought_with",)  # in a record's fingerprint only when it has one


def _as_stored(name: str) -> str:
    """The view's column holding field `name` as the register or notice wrote it."""
    return "vendor_as_written" if name == "vendor" else name


# A record's fields as one text, for its fingerprint (over the view's rows named `d`)
_VALUES = ", ".join(f"coalesce(CAST(d.{_as_stored(n)} AS VARCHAR), '')" for n in FIELD_NAMES)


def removed(
    r: Reader,
    state: FilterState,
    lead: LeadTimes,
    since: int,
    today: date,
    decisions: int | None = None,
    ending: int | None = None,
) -> pd.DataFrame:
    """Records of the view as it stood at snapshot `since` that are no longer current at all.

    The view then: the records current at snapshot `since` (each borough's register and
    notices as they were then, as `changed` reads them) in the view's filters. One has left
    when no current record of its borough is the same record, paired as `changed` pairs them
    (the same reference, or without one the same service area, system however written, and
    vendor as written): a record whose end date or system changed is changed, not gone, and
    one that moved out of a date window is still current. The illustrative records are
    examples, not contracts: a borough's first real register replacing them is no news. With
    months for `decisions` or `ending`, only those that a list of an alert watching no changes
    would hold today, had they stayed as they were (see `decisions_due`, `ending`).

    `why` says why in words (`why`), where the store knows it: a newer release of its notice
    withdrew or cancelled it, or no longer names the council among the notice's buyers
    (kept in `notice_withdrawals` with the snapshot that left it out); the borough's current
    data is a rollback; else its borough's newer register (or notices) no longer holds it.
    `fingerprint` identifies the record and its values, `snapshot_id` the snapshot it was in.

    Which notices were matched to a register record then is not kept (citydata.store.matches
    keeps the current pairs only): the view then is read as if none were, and a notice gone
    that pairs, as citydata.store.matches pairs them, with a register record of its borough
    still current is left out: it was that record's evidence, and the contract is still listed
    (`_evidence`)."""
    sql, params = pipeline.dated(state, lead, rows="held_then")
    params["since"] = int(since)
    windows = []
    if decisions:
        windows.append(_due("removed_decide"))
        params["removed_decide"] = add_months(today, int(decisions))
    if ending:
        windows.append(pipeline.ending_window("removed_end"))
        params["removed_end"] = add_months(today, int(ending))
    if windows:
        params["today"] = today
    key = system_groups.key
    found = r.df(
        f"""WITH then_snapshots AS (
            -- a stream whose snapshot then is still current lost nothing
            SELECT s.id, s.kind FROM snapshots AS s WHERE s.status <> 'active' AND s.id IN (
                SELECT max(id) FROM snapshots WHERE id <= $since GROUP BY borough_code, kind)
        ),
        spelling AS (  -- (each spelling folded once, as the view does, not each record)
            SELECT w.vendor AS written, a.vendor FROM (SELECT DISTINCT c.vendor FROM contracts
                AS c JOIN then_snapshots AS t ON t.id = c.snapshot_id) AS w
            {vendors.canonical_sql("w.vendor", "a")}
        ),
        held_then AS (
            SELECT c.borough_code, c.borough, c.service_area, c.system,
                coalesce(a.vendor, c.vendor) AS vendor, c.manufacturer, c.contract_start,
                c.contract_end, c.annual_value, c.hosting, c.satisfaction, c.source_ref,
                c.snapshot_id, c.source, c.vendor AS vendor_as_written, t.kind AS source_kind,
                c.total_value, c.annual_value_derived, c.notice_url, c.record_no,
                FALSE AS matched, c.skill_level, c.contact_role, c.bought_with
            FROM contracts AS c JOIN then_snapshots AS t ON t.id = c.snapshot_id
            LEFT JOIN spelling AS a ON a.written = c.vendor
            WHERE c.source <> 'demo'
        ),
        held_now AS (
            SELECT c.borough_code, c.source_ref, c.service_area, c.system, c.vendor
            FROM contracts AS c JOIN snapshots AS s ON s.id = c.snapshot_id
            WHERE s.status = 'active'
                AND c.borough_code IN (SELECT DISTINCT borough_code FROM held_then)
        ),
        unpaired AS MATERIALIZED (  -- (no current record has its reference: usually few)
            SELECT d.* FROM ({sql}) AS d
            WHERE ({" OR ".join(windows) or "TRUE"}) AND NOT EXISTS (SELECT 1 FROM held_now AS n
                WHERE n.borough_code = d.borough_code AND n.source_ref = d.source_ref)
        )
        SELECT {_SELECT}, why, md5(concat_ws(chr(31), {_VALUES})) AS fingerprint, snapshot_id,
            source_kind, contract_start
        FROM (SELECT d.*,
            CASE WHEN d.source_kind = 'published' AND w.status IS NOT NULL THEN w.status
                WHEN cur.source = 'rollback' THEN 'rolled back'
                ELSE d.source_kind END AS why
        FROM unpaired AS d
        LEFT JOIN (
            SELECT borough_code, source_ref, arg_max(status, recorded_at) AS status
            FROM notice_withdrawals WHERE snapshot_id > $since GROUP BY ALL
        ) AS w ON w.borough_code = d.borough_code AND w.source_ref = trim(d.source_ref)
        LEFT JOIN snapshots AS cur ON cur.status = 'active'
            AND cur.borough_code = d.borough_code AND cur.kind = d.source_kind
        WHERE NOT EXISTS (SELECT 1 FROM held_now AS n
            WHERE n.borough_code = d.borough_code AND n.source_ref IS NULL
            AND n.service_area IS NOT DISTINCT FROM d.service_area
            AND {key("n.system")} IS NOT DISTINCT FROM {key("d.system")}
            AND n.vendor IS NOT DISTINCT FROM d.vendor_as_written)
        ) AS d
        ORDER BY borough, service_area, system, source_ref""",
        params,
    )
    found = found[~_evidence(r, found)].drop(columns=["source_kind", "contract_start"])
    found["why"] = found["why"].map(why)
    return found.reset_index(drop=True)


def _evidence(r: Reader, gone: pd.DataFrame) -> pd.Series:
    """Which of the records gone are notices that pair with a register record of their borough
    still current, as citydata.store.matches pairs a borough's notices with its register: each
    was that record's evidence, one contract with it, and the contract is still listed."""
    notices = gone[gone["source_kind"] == "published"]
    if notices.empty:
        return pd.Series(False, index=gone.index)
    held = r.df(
        "SELECT borough_code, service_area, system, vendor, vendor_as_written, contract_start,"
        " contract_end FROM current_contracts WHERE source_kind = 'register'"
        " AND borough_code IN (SELECT unnest($codes))",
        {"codes": sorted(set(notices["borough_code"]))},
    )
    paired: set[object] = set()
    for code, group in notices.groupby("borough_code"):
        register = held[held["borough_code"] == code].to_dict("records")
        for p in matches.pairs(register, group.to_dict("records")):
            paired.add(group.index[p.notice])
    return pd.Series(gone.index.isin(paired), index=gone.index)


def why(status: str) -> str:
    """Why a record left the view, in words (`removed`'s `why`: a notice's status as
    notice_withdrawals keeps it, 'rolled back', or the kind of data that no longer holds it)."""
    if status == joint.DROPPED:
        return f"no longer bought by this council: {joint.REASON}"
    if status in withdrawals.REASONS:
        return withdrawals.REASONS[status]
    if status == "rolled back":
        return f"the {boroughs.noun()}'s data was rolled back to a snapshot without it"
    if status == "published":
        return f"no longer among the {boroughs.noun()}'s published notices"
    return f"not in the {boroughs.noun()}'s newer register"


def latest_snapshot(r: Reader) -> int:
    """The newest snapshot's id (0 when there is none): the changes watermark."""
    return int(r.scalar("SELECT coalesce(max(id), 0) FROM snapshots"))


def feed_records(r: Reader, state: FilterState, lead: LeadTimes, limit: int) -> pd.DataFrame:
    """The view's dated contracts for its calendar feed (the `limit` nearest to today)."""
    return pipeline.with_decide_by(r, state, lead, limit=limit)


_ORDER = "borough, system, source_ref"
_SELECT = ", ".join(f"round({c}, 2) AS {c}" if c == "annual_value" else c for c in COLUMNS)
