"""Which records were added, removed and changed between two sets of a borough's records."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

from citydata.store.changes import canonical, comparable, diff, diff_comparable, readable


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


def _same(one, other) -> None:
    for a, b in ((one.added, other.added), (one.removed, other.removed)):
        pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(one.changed, other.changed)
    assert one.unchanged == other.unchanged


def _tricky() -> tuple[pd.DataFrame, pd.DataFrame]:
    """References that differ only in case and spaces, a repeated reference, exact twins."""
    before = frame(
        rec("Open Housing", ref="h-1", annual_value=Decimal("10")),
        rec("Mosaic", ref="M 2", annual_value="5"),
        rec("Mosaic", ref="M 2", annual_value="6"),
        rec("Uniform", ref="U-3", contract_end=date(2027, 3, 31)),
        rec("Gone", vendor="Civica"),
    )
    after = frame(
        rec("Mosaic", ref="M 2", annual_value=Decimal("6.00")),  # twin of before's 3rd
        rec("Open Housing", ref="H-1 ", annual_value=Decimal("12")),
        rec("Mosaic", ref=" m  2", annual_value="7"),
        rec("Uniform", ref="U-3 ", contract_end="2027-03-31"),
        rec("New", vendor="Civica"),
    )
    return before, after


def test_a_repeated_reference_pairs_twins_first_then_in_order_whatever_the_case_or_spacing():
    before, after = _tricky()
    d = diff(before, after)
    assert d.unchanged == 2  # before's 3rd with after's 1st (twins), the Uniform record
    assert d.changed[["record_no", "field", "before", "after"]].values.tolist() == [
        [1, "Annual value (£)", "£10.00", "£12.00"],
        [1, "Reference", "h-1", "H-1"],
        [2, "Annual value (£)", "£5.00", "£7.00"],
        [2, "Reference", "M 2", "m  2"],
    ]
    assert d.added["system"].tolist() == ["New"] and d.removed["system"].tolist() == ["Gone"]


def test_unique_references_give_the_same_result_as_the_general_pairing():
    """Every reference once a side takes a shortcut; adding one repeated reference at the end
    sends the same records through the general pairing: the result must not move."""
    before, after = _tricky()
    before, after = before.drop(index=[2, 4]), after.drop(index=[0, 4])  # references now unique
    quick = diff(before.reset_index(drop=True), after.reset_index(drop=True))
    extra = [rec("Twice", ref="T-9"), rec("Twice", ref="t-9")]
    general = diff(
        pd.concat([before, frame(*extra)], ignore_index=True),
        pd.concat([after, frame(*extra)], ignore_index=True),
    )
    assert general.unchanged == quick.unchanged + 2
    pd.testing.assert_frame_equal(general.changed, quick.changed)
    assert quick.changed["record_no"].tolist() == [1, 1, 2, 2]
    assert len(quick.added) == len(quick.removed) == 0


def test_diffing_canonical_frames_gives_the_same_result():
    before, after = _tricky()
    _same(diff(before, after), diff_comparable(comparable(before), comparable(after)))
