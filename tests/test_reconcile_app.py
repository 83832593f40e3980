"""The Reconciliation page and the profile's section, run in the real app (AppTest)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from citydata.core import dates
from tests.apptest import metric, run_app, shown
from tests.test_counted_once import _notices, _register
from tests.test_original_download import downloads  # noqa: F401
from tests.test_upload_app import PASSWORD, sign_in


@pytest.fixture
def password(monkeypatch):
    """Stewards sign in with the upload password (as tests.test_upload_app)."""
    monkeypatch.setenv("CITYTOOLS_UPLOAD_PASSWORD", PASSWORD)
    monkeypatch.delenv("CITYTOOLS_STEWARDS", raising=False)


@pytest.fixture
def hackney(db):
    _register(
        db,
        [
            ("NEC Housing", "NEC Software Solutions", date(2024, 4, 1), date(2030, 3, 31)),
            ("Payroll system", "Zeta Payroll Ltd", date(2023, 1, 1), date(2026, 1, 1)),
        ],
    )
    _notices(db)
    return db


def test_the_page_shows_matched_register_only_and_published_only_with_a_download(
    hackney,
    downloads,  # noqa: F811
):
    at = run_app({"reconcile": "Hackney"}, page="pages/reconcile.py")
    assert metric(at, "Matched") == "1"
    assert metric(at, "In the register only") == "1"
    assert metric(at, "Published only") == "2"
    assert metric(at, "Matched but disagreeing") == "1"
    said = " ".join(shown(m.value) for m in at.markdown)
    assert "Hackney: 1 register record matches a published notice" in said
    matched, register_only, published_only = (t.value for t in at.dataframe)
    assert matched["notice_title"].tolist() == ["Housing management system (lot 1)"]
    assert matched["notice_url"].iloc[0].startswith("https://www.contractsfinder.service.gov.uk/")
    assert matched["differences"].iloc[0] != ""
    assert register_only["system"].tolist() == ["Payroll system"]
    assert len(published_only) == 2 and published_only["notice_url"].notna().all()
    [button] = [b for b in at.get("download_button") if "reconciliation" in str(b.proto.label)]
    assert button.proto.label == "Download the reconciliation (CSV)"
    # The file says the day it was made (files of two days never overwrite each other), and
    # its columns are named as the page names them, not as the database does.
    [(_, name, data)] = [d for d in downloads if "reconciliation" in d[0]]
    assert name == f"hackney-reconciliation-{dates.today():%Y-%m-%d}.csv"
    header = next(csv.reader(io.StringIO(data().decode("utf-8-sig"))))
    assert header[:3] == ["Outcome", "Service area", "System"]
    assert {"Notice title", "Notice's supplier", "Differences", "Reference"} <= set(header)
    assert not [h for h in header if "_" in h], header


def test_the_page_shows_the_first_rows_of_each_table_and_counts_every_one(hackney, monkeypatch):
    """A borough's register can hold hundreds of thousands of records no notice matches: each
    table shows its first rows only (ui.tables.TABLE_ROWS), and the numbers still count every
    one."""
    import ui

    monkeypatch.setattr(ui.tables, "TABLE_ROWS", 1)
    at = run_app({"reconcile": "Hackney"}, page="pages/reconcile.py")
    assert metric(at, "Published only") == "2"
    matched, register_only, published_only = (t.value for t in at.dataframe)
    assert (len(matched), len(register_only), len(published_only)) == (1, 1, 1)
    captions = [c.value for c in at.caption]
    assert "Showing the first 1 of 2; the download below has every one." in captions
    assert sum(c.startswith("Showing the first") for c in captions) == 1


def test_the_page_without_notices_says_how_to_get_them(db, password):
    """The note pointed every visitor at the Published notices page, which only a signed-in
    steward has: a visitor is told a steward can fetch them, a steward where to."""
    at = run_app({"reconcile": "Camden"}, page="pages/reconcile.py")
    assert metric(at, "Matched") == "0" and metric(at, "Published only") == "0"
    [note] = [shown(i.value) for i in at.info if "No published notices" in i.value]
    assert note == (
        "No published notices are held for Camden under these filters. A data steward can "
        "fetch them from Contracts Finder and Find a Tender."
    )
    sign_in(at)
    at.switch_page("pages/reconcile.py")
    at.run()
    [note] = [shown(i.value) for i in at.info if "No published notices" in i.value]
    assert note.endswith(
        "You can fetch them on the Published notices page (or python -m citydata fetch)."
    ), note


def test_the_history_offers_a_roll_back_only_to_a_steward(db, password):
    """Every visitor was asked to choose a borough "to compare its snapshots or roll back";
    only a signed-in steward can roll back."""
    at = run_app(page="pages/history.py")
    assert [shown(i.value) for i in at.info if "Choose" in i.value] == [
        "Choose a borough to compare its snapshots."
    ]
    sign_in(at)
    at.switch_page("pages/history.py")
    at.run()
    assert [shown(i.value) for i in at.info if "Choose" in i.value] == [
        "Choose a borough to compare its snapshots or roll back."
    ]


def test_the_borough_profile_has_a_reconciliation_section(hackney):
    at = run_app({"profile": "Hackney"}, page="pages/borough.py")
    assert "Register and published notices" in [s.value for s in at.subheader]
    said = " ".join(shown(m.value) for m in at.markdown)
    assert "Hackney: 1 register record matches a published notice; 1 is in the register" in said
    assert "1 matched pair disagrees" in said
    assert metric(at, "Records") == "4"  # the matched notice is not a second record


def test_a_script_address_in_a_notice_is_never_a_link():
    from citydata.query.reconciliation import web_link

    assert web_link("javascript:alert(1)") is None
    assert web_link("https://www.find-tender.service.gov.uk/Notice/000123-2025") is not None
    assert web_link(None) is None and web_link("=HYPERLINK(1)") is None


def test_the_download_holds_every_record_with_its_outcome(hackney):
    from citydata.output import exports
    from citydata.query import reconciliation
    from citydata.query.filters import FilterState

    with hackney.read() as r:
        table = reconciliation.reconcile(r, FilterState(), "Hackney").table()
    rows = list(csv.DictReader(io.StringIO(exports.to_csv(table).decode("utf-8-sig"))))
    assert [row["outcome"] for row in rows].count("published, missing from the register") == 2
    assert {row["outcome"] for row in rows} == {
        "matched",
        "in the register, no published notice",
        "published, missing from the register",
    }


@pytest.mark.parametrize(
    ("source", "records"),
    [(None, "4"), ("published", "3"), ("register", "2")],
)
def test_the_overview_counts_a_matched_contract_once(hackney, source, records):
    params = {"borough": "Hackney"} | ({"source_kind": source} if source else {})
    at = run_app(params, page="pages/overview.py")
    assert metric(at, "Records") == records


def test_a_restored_backup_keeps_a_matched_contract_counted_once(hackney):
    from citydata.output import backup, restores
    from citydata.query import selection
    from citydata.query.filters import FilterState

    archive = backup.archive_bytes(hackney)
    with hackney.write() as w:
        w.execute("DELETE FROM notice_matches")  # whatever the table holds before the restore
    restores.restore(hackney, archive)
    with hackney.read() as r:
        assert len(selection.records(r, FilterState(borough=("Hackney",)))) == 4
        assert r.scalar("SELECT count(*) FROM current_contracts WHERE matched") == 2
