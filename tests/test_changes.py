"""Which records were added, removed and changed between two sets of a borough's records."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

from citydata.changes import canonical, diff, readable


def rec(system: str, vendor: str = "Capita", ref: str | None = None, **more) -> dict:
    return {
        "borough_code": "E09000007",
        "borough": "Camden",
        "service_area": more.pop("service_area", "Housing"),
        "system": system,
        "vendor": vendor,
        "source_ref": ref,
        **more,
    }


def frame(*records: dict) -> pd.DataFrame:
    return pd.DataFrame(list(records))


def test_records_are_recognised_by_reference_even_when_renamed():
    d = diff(frame(rec("Open Housing", ref="H-1")), frame(rec("OpenHousing v2", ref="H-1")))
    assert len(d.added) == len(d.removed) == 0
    assert d.changed[["field", "before", "after"]].values.tolist() == [
        ["System", "Open Housing", "OpenHousing v2"]
    ]


def test_without_a_reference_service_area_system_and_vendor_identify_a_record():
    before = frame(rec("Open Housing", annual_value=Decimal("10")))
    after = frame(rec("  open   HOUSING ", vendor="capita", annual_value=Decimal("12")))
    d = diff(before, after)
    assert (len(d.added), len(d.removed), d.records_changed) == (0, 0, 1)
    assert set(d.changed["field"]) == {"System", "Vendor", "Annual value (£)"}


def test_a_reference_given_for_the_first_time_still_matches_by_what_it_is():
    d = diff(frame(rec("Uniform")), frame(rec("Uniform", ref="P-9")))
    assert d.records_changed == 1 and d.changed["field"].tolist() == ["Reference"]


def test_equal_values_in_different_types_are_not_changes():
    before = frame(
        rec("A", annual_value="1234.5", contract_end="2027-03-31", satisfaction="4"),
    )
    after = frame(
        rec("A", annual_value=Decimal("1234.50"), contract_end=date(2027, 3, 31), satisfaction=4),
    )
    d = diff(before, after)
    assert d.is_empty and d.unchanged == 1 and d.summary() == "No changes."


def test_duplicates_pair_with_their_exact_twin_first():
    before = frame(rec("Same", hosting="Hybrid"), rec("Same", hosting="On premises"))
    after = frame(rec("Same", hosting="On premises"), rec("Same", hosting="Cloud (SaaS)"))
    d = diff(before, after)
    assert d.records_changed == 1
    assert d.changed[["before", "after"]].values.tolist() == [["Hybrid", "Cloud (SaaS)"]]


def test_added_and_removed_and_a_summary_people_can_read():
    before = frame(rec("Old", ref="X-1"), rec("Kept", ref="X-2"))
    after = frame(rec("Kept", ref="X-2"), rec("New", ref="X-3", contract_end=date(2028, 4, 1)))
    d = diff(before, after)
    assert d.removed["system"].tolist() == ["Old"] and d.added["system"].tolist() == ["New"]
    assert d.summary() == "1 added, 1 removed, 0 changed"
    shown = readable(d.added)
    assert shown.loc[0, "Contract end"] == "1 Apr 2028" and "Borough code" not in shown


def test_canonical_text():
    assert canonical("annual_value", 12) == "12.00"
    assert canonical("contract_start", pd.Timestamp("2026-01-02")) == "2026-01-02"
    assert canonical("satisfaction", 3.0) == "3"
    assert canonical("system", None) == canonical("system", float("nan")) == ""
    assert canonical("vendor", "  Capita ") == "Capita"
