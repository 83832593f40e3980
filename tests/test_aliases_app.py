"""A data steward groups a misspelt vendor under its company from the Vendor names page."""

from __future__ import annotations

import pytest

from citydata.store import snapshots
from tests.apptest import new_visit, run_app
from tests.snapshot_helpers import borough_records, prepared
from tests.test_upload_app import password, sign_in  # noqa: F401 - fixtures and helpers

MISSPELT = "Idox Softwear Ltd"


@pytest.fixture
def misspelt(db):
    records = borough_records(db, "E09000007")
    records.loc[records.index[:2], "vendor"] = MISSPELT
    snapshots.commit(db, prepared(records), b"camden register", user="Ann Steward")
    return db


def test_the_vendor_names_page_is_only_for_stewards(db_path):
    at = run_app()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/aliases.py")


def test_a_steward_sees_the_suggestion_and_groups_the_spelling(misspelt, password):  # noqa: F811
    at = sign_in(new_visit())
    at.switch_page("pages/aliases.py").run()
    assert not at.exception, [e.value for e in at.exception]
    suggested = at.dataframe[0].value
    assert MISSPELT in set(suggested["Spelling"])
    assert suggested.set_index("Spelling").loc[MISSPELT, "Group under"] == "Idox"

    inputs = {t.label: t for t in at.text_input}
    inputs["Spelling as written"].set_value(MISSPELT)
    inputs["Count it under the vendor"].set_value("Idox")
    next(b for b in at.button if b.label == "Group").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "is now counted under Idox" in at.success[0].value

    with misspelt.read() as r:
        rows = r.rows(
            "SELECT DISTINCT vendor FROM current_contracts WHERE vendor_as_written = ?", [MISSPELT]
        )
        added_by = r.scalar(
            "SELECT added_by FROM vendor_aliases WHERE vendor = 'Idox' AND"
            " added_by LIKE 'Ann Steward%'"
        )
    assert rows == [("Idox",)]
    assert added_by.startswith("Ann Steward")


def test_the_vendor_names_page_speaks_plain_words_not_columns_or_commands(misspelt, password):  # noqa: F811
    at = sign_in(new_visit())
    at.switch_page("pages/aliases.py").run()
    assert not at.exception, [e.value for e in at.exception]
    groupings = at.dataframe[-1].value
    assert list(groupings.columns) == [
        "Spelling",
        "Counted under",
        "Records with this spelling",
        "Grouped by",
        "Grouped on",
    ]
    # A spelling the records use is shown as they write it, not as its folded key.
    used = groupings[groupings["Records with this spelling"] > 0]
    assert not used.empty and "Aareon" in set(used["Spelling"])
    assert "aareon" not in set(groupings["Spelling"])
    words = " ".join(
        [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    )
    for technical in ("added_by", "vendor_aliases", ".csv", "python -m", "--accept", "`"):
        assert technical not in words, technical
