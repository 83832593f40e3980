"""Sign-in, upload, history and backup pages, driven by Streamlit's AppTest on a real database."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from citydata import ingest, lifecycle
from citydata.output import exports
from citydata.query import selection
from citydata.query.filters import FilterState
from citydata.store import history, previews, snapshots
from tests import apptest
from tests.apptest import metric, new_visit, run_app, shown
from tests.conftest import ROOT
from tests.snapshot_helpers import dump

PASSWORD = "correct horse battery staple"
CAMDEN = "E09000007"
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-long-random-secret",
    "client_id": "id",
    "client_secret": "secret",
    "server_metadata_url": "https://login.example.com/.well-known/openid-configuration",
}


@pytest.fixture
def password(monkeypatch):
    monkeypatch.setenv("CITYTOOLS_UPLOAD_PASSWORD", PASSWORD)
    monkeypatch.delenv("CITYTOOLS_STEWARDS", raising=False)
    return PASSWORD


def can_open_upload(at: AppTest) -> bool:
    """Whether asking for the upload page shows it (an unregistered page cannot be opened)."""
    try:
        at.switch_page("pages/upload.py")
    except ValueError as exc:
        assert "Could not find a navigation page" in str(exc)
        return False
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return any(t.value == "Upload a register" for t in at.title) and bool(at.get("file_uploader"))


def sign_in(at: AppTest, name: str = "Ann Steward", password: str = PASSWORD) -> AppTest:
    at.switch_page("pages/sign_in.py")
    at.run()
    inputs = {t.label: t for t in at.text_input}
    inputs["Your name or email"].set_value(name)
    inputs["Upload password"].set_value(password)
    next(b for b in at.button if b.label == "Sign in").click()
    return at.run()


def camden_register(db_path, *, vendor_header: str = "Supplier") -> bytes:
    """Camden's register as Camden keeps it: no borough column, its own headings, edited."""
    db = lifecycle.open_store(db_path)
    try:
        with db.read() as r:
            df = selection.records(r, FilterState(borough=("Camden",)))
    finally:
        db.close()
    headings = {
        "service_area": "Service area",
        "system": "System",
        "vendor": vendor_header,
        "manufacturer": "Manufacturer",
        "contract_start": "Contract start",
        "contract_end": "Contract end",
        "annual_value": "Annual value",
        "hosting": "Hosting",
        "satisfaction": "Satisfaction",
        "source_ref": "Ref",
        "skill_level": "Skill level",
        "contact_role": "Contact role",
    }
    df = df[list(headings)].copy()
    df.loc[df.index[0], "annual_value"] = 999.0
    df = df.drop(index=df.index[1])
    return exports.to_csv(df.rename(columns=headings))


def test_with_nothing_configured_nobody_can_reach_the_upload_page(db_path, monkeypatch):
    monkeypatch.delenv("CITYTOOLS_UPLOAD_PASSWORD", raising=False)
    at = run_app(page="pages/sign_in.py")
    assert "Uploading is switched off" in at.info[0].value
    assert not at.text_input, "no password form is offered"
    assert not can_open_upload(at)


def test_the_upload_page_checks_again_when_opened_on_its_own(db_path, password):
    at = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=60).run()
    assert "Upload password" in [t.label for t in at.text_input], "only the sign-in form"
    assert not at.get("file_uploader")


def test_a_visitor_signs_in_on_the_upload_page_and_carries_on_there(db_path, password):
    at = run_app()
    at.switch_page("pages/upload.py").run()  # registered for visitors where sign-in is set up
    assert at.title[0].value == "Upload a register"
    assert not at.get("file_uploader"), "nothing of the page before signing in"
    inputs = {t.label: t for t in at.text_input}
    inputs["Your name or email"].set_value("Ann Steward")
    inputs["Upload password"].set_value(PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Upload a register", "still on the upload page"
    assert at.get("file_uploader"), "the upload box, without another page"


def test_without_sign_in_set_up_there_is_no_upload_page_for_visitors(db_path, monkeypatch):
    monkeypatch.delenv("CITYTOOLS_UPLOAD_PASSWORD", raising=False)
    monkeypatch.delenv("CITYTOOLS_STEWARDS", raising=False)
    at = run_app()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/upload.py")


def test_upload_fix_a_mapping_preview_commit_and_see_it_on_the_overview(db_path, password):
    at = sign_in(new_visit())
    assert "Ann Steward" in at.success[0].value
    at.switch_page("pages/upload.py").run()
    assert at.title[0].value == "Upload a register"
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Template (CSV)", "Template (Excel)"]

    content = camden_register(db_path, vendor_header="Who we pay")
    at.get("file_uploader")[0].set_value(("camden.csv", content, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    boxes = {s.label: s for s in at.selectbox}
    assert boxes["Vendor"].value == "(not in this file)"
    assert "Which borough is this file for?" in boxes
    listed = boxes["Which borough is this file for?"].options
    assert listed == sorted(listed) and listed[0] == "Barking and Dagenham", "A-Z, not GSS order"
    # Before the borough is chosen: one status, saying what to do; no refusal, no "no problems".
    assert [i.value for i in at.info] == [
        "This file has no borough column: choose above which borough it is for, and it is checked."
    ]
    assert not at.error and not at.success and not at.metric
    boxes["Which borough is this file for?"].set_value("Camden").run()
    assert "no column was found for the vendor" in at.error[0].value
    assert not at.success, "a refused file is not also said to have no problems"
    assert not [b for b in at.button if b.label == "Commit"]

    next(s for s in at.selectbox if s.label == "Vendor").set_value("Who we pay").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    rows = len(content.decode("utf-8-sig").splitlines()) - 1
    assert metric(at, "Rows to import") == f"{rows:,}"
    assert metric(at, "Rows refused") == "0"
    changes = next(d.value for d in at.dataframe if "Replaces" in d.value.columns)
    assert changes.loc[0, "Borough"] == "Camden" and changes.loc[0, "Replaces"] == (
        "illustrative data"
    )
    assert (changes.loc[0, "Removed"], changes.loc[0, "Changed"]) == (1, 1)

    next(b for b in at.button if b.label == "Commit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Stored 1 new snapshot: Camden (snapshot 34)." in at.success[0].value
    link = next(p.proto for p in at.get("page_link") if "See the new data" in p.proto.label)
    assert link.label == "See the new data for Camden"
    assert link.page.endswith("overview") or link.page_script_hash
    assert link.query_string == "borough=Camden", "the Overview filtered to Camden"
    assert at.get("file_uploader")[0].value is None, "a fresh upload starts"
    db = lifecycle.open_store(db_path)
    try:
        with db.read() as r:
            snap = snapshots.snapshot(r, 34)
    finally:
        db.close()
    assert snap["created_by"] == "Ann Steward (upload password)"
    assert '"vendor": "Who we pay"' in snap["mapping"] and snap["status"] == "active"

    at = run_app({"borough": "Camden"})
    assert metric(at, "Records") == f"{rows:,}"
    assert not any("Illustrative data" in i.value for i in at.info)


def test_a_file_that_is_not_a_register_is_refused_with_its_problems_shown(db_path, password):
    at = sign_in(new_visit())
    at.switch_page("pages/upload.py").run()
    spend = (ROOT / "tests" / "data" / "real" / "lambeth_payments_2012-06.csv").read_bytes()
    at.get("file_uploader")[0].set_value(("payments.csv", spend, "text/csv")).run()
    assert not at.exception
    assert any("Nothing will be stored" in e.value for e in at.error)
    assert not [b for b in at.button if b.label.startswith("Commit")]
    table = next(d.value for d in at.dataframe if "Outcome" in d.value.columns)
    assert set(table["Outcome"]) == {"not imported", "skipped, not imported"}, (
        "nothing of a refused file is imported: no row is said to be imported with a change"
    )


def test_many_problems_of_a_refused_file_are_summed_up_by_kind_above_the_full_table(
    db_path, password
):
    # The payments file's 639 lines with 5 values where its header names 6 were only rows of a
    # table of 640: what kinds of problem the file has is now said above it, as `import` says.
    at = sign_in(new_visit())
    at.switch_page("pages/upload.py").run()
    spend = (ROOT / "tests" / "data" / "real" / "lambeth_payments_2012-06.csv").read_bytes()
    at.get("file_uploader")[0].set_value(("payments.csv", spend, "text/csv")).run()
    assert not at.exception
    said = [m.value for m in at.markdown]
    kinds = shown(said[said.index("**Problems in rows (640)**") + 1])
    assert [line for line in kinds.splitlines() if line] == [
        "639 rows, such as row 19: Row 19 has 5 values but the header row has 6; the "
        "missing values at the end were taken as blank. (not imported)",
        "1 row, such as row 3167: Row 3167 is a total row and was skipped. (skipped, not imported)",
        "Every one is in the table below and its download.",
    ]
    table = next(d.value for d in at.dataframe if "Outcome" in d.value.columns)
    assert len(table) == 640, "the table and its download still list every one"


def test_an_upload_over_the_size_limit_is_refused_before_it_is_read(db_path, password, monkeypatch):
    monkeypatch.setenv("CITYTOOLS_MAX_UPLOAD_MB", "0.001")
    at = sign_in(new_visit())
    at.switch_page("pages/upload.py").run()
    at.get("file_uploader")[0].set_value(("big.csv", b"x" * 5000, "text/csv")).run()
    assert "the largest accepted" in at.error[0].value
    assert not at.metric


def test_history_compares_snapshots_and_a_steward_rolls_back(db_path, password, db):
    content = camden_register(db_path, vendor_header="Supplier")
    snapshots.commit(db, ingest.prepare(content, "c.csv", borough="Camden"), content, "ann")
    visitor = run_app(page="pages/history.py")
    visitor.selectbox(key="h_borough").set_value("Camden").run()
    assert any("1 removed, 1 changed" in m.value for m in visitor.markdown)
    assert not [b for b in visitor.button if b.label.startswith("Roll back")]

    at = sign_in(new_visit())
    at.switch_page("pages/history.py").run()
    at.selectbox(key="h_borough").set_value("Camden").run()
    button = next(b for b in at.button if b.label.startswith("Roll back Camden"))
    assert button.label == "Roll back Camden to snapshot 7"
    button.click().run()
    assert at.success[0].value == (
        "Camden is back to the records of snapshot 7 (stored as snapshot 35). Camden shows"
        " illustrative data again: its register records are generated examples, not real"
        " contracts, until a data steward uploads its register."
    )
    with db.read() as r:
        assert snapshots.snapshot(r, 35)["restored_from"] == 7
        assert previews.compare(r, 7, 35).is_empty


def test_history_keeps_a_register_and_its_published_notices_apart(db_path, password, db):
    """A borough with a register and published notices was compared register against notices
    ("2 added, 25 removed") and offered "Roll back Southwark to snapshot None", whose click
    showed a traceback. Each kind is compared and rolled back on its own."""
    content = (ROOT / "tests" / "data" / "notices" / "ocds_flattened.csv").read_bytes()
    prepared = ingest.prepare(content, "ocds_flattened.csv")
    assert not prepared.refused, prepared.refused
    snapshots.commit(db, prepared, content, "ann")
    at = sign_in(new_visit())
    at.switch_page("pages/history.py").run()
    at.selectbox(key="h_borough").set_value("Southwark").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("one snapshot of its register so far" in i.value for i in at.info), at.info
    assert not [b for b in at.button if b.label.startswith("Roll back")]
    at.segmented_control(key="h_kind").set_value("published").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("one snapshot of its published notices so far" in i.value for i in at.info)
    with db.read() as r:
        kinds = r.df("SELECT id, kind FROM snapshots WHERE borough_code = 'E09000028'")
    register, published = (int(kinds[kinds.kind == k].id.iloc[0]) for k in history.KINDS)
    with db.read() as r, pytest.raises(previews.CommitRefused, match="within one kind"):
        previews.compare(r, register, published)


def test_account_sign_in_registers_the_upload_page_only_for_listed_stewards(db_path, monkeypatch):
    monkeypatch.delenv("CITYTOOLS_UPLOAD_PASSWORD", raising=False)
    monkeypatch.delenv("CITYTOOLS_STEWARDS", raising=False)
    for email, allowed in (("ann@camden.gov.uk", True), ("eve@example.com", False)):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.secrets = {"auth": AUTH, "CITYTOOLS_STEWARDS": ["Ann@camden.gov.uk"]}
        at.user = {"is_logged_in": True, "email": email, "email_verified": True}
        at.run()
        assert can_open_upload(at) is allowed
        if not allowed:
            at.switch_page("pages/sign_in.py").run()
            assert "not on the list of data stewards" in at.warning[0].value


def test_a_steward_taken_off_the_list_while_signed_in_is_refused_the_next_change(
    db_path, db, monkeypatch
):
    """Ann signed in with her organisation account, then taken off CITYTOOLS_STEWARDS while
    her pages are open: her next click on Commit, or on Roll back, changes nothing. Every run
    of a page decides again from the list as it is then (`steward.require`, `access`), and a
    button the run no longer draws does nothing when its click arrives."""
    monkeypatch.delenv("CITYTOOLS_UPLOAD_PASSWORD", raising=False)
    monkeypatch.delenv("CITYTOOLS_STEWARDS", raising=False)
    listed = {"auth": AUTH, "CITYTOOLS_STEWARDS": ["ann@camden.gov.uk"]}
    unlisted = listed | {"CITYTOOLS_STEWARDS": ["bob@camden.gov.uk"]}
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets = dict(listed)
    at.user = {"is_logged_in": True, "email": "ann@camden.gov.uk", "email_verified": True}
    at.run()
    content = camden_register(db_path)
    assert can_open_upload(at)
    at.get("file_uploader")[0].set_value(("camden.csv", content, "text/csv")).run()
    next(s for s in at.selectbox if s.label == "Which borough is this file for?").set_value(
        "Camden"
    ).run()
    commit = next(b for b in at.button if b.label == "Commit")
    before = dump(db)
    at.secrets = dict(unlisted)
    commit.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert dump(db) == before, "nothing stored"
    assert "is not on the list of data stewards" in shown(at.warning[0].value)
    assert not at.success and not at.get("file_uploader")

    snapshots.commit(db, ingest.prepare(content, "c.csv", borough="Camden"), content, "bob")
    at.secrets = dict(listed)
    at.switch_page("pages/history.py").run()
    at.selectbox(key="h_borough").set_value("Camden").run()
    roll_back = next(b for b in at.button if b.label.startswith("Roll back Camden"))
    before = dump(db)
    at.secrets = dict(unlisted)
    roll_back.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.success and not [b for b in at.button if b.label.startswith("Roll back")]
    assert dump(db) == before, "nothing rolled back"


def test_backup_page_downloads_and_refuses_a_foreign_archive(db_path, password):
    at = sign_in(new_visit())
    at.switch_page("pages/backup.py").run()
    assert [b.label for b in at.get("download_button")] == ["Download a backup"]
    at.get("file_uploader")[0].set_value(("x.zip", b"not a zip", "application/zip")).run()
    next(b for b in at.button if b.label == "Restore this backup").click().run()
    assert "not a City Tools Explorer backup" in at.error[0].value
    assert "Nothing was changed" in at.error[0].value


def test_an_unreadable_file_is_refused_without_questions(db_path, password):
    at = sign_in(new_visit())
    at.switch_page("pages/upload.py").run()
    at.get("file_uploader")[0].set_value(("x.csv", b"\x00\x01\x02" * 100, "text/csv")).run()
    assert not at.exception
    assert "not a text file" in at.error[0].value and "Nothing will be stored" in at.error[0].value
    assert not at.selectbox, "no column or borough to choose in a file that cannot be read"


def upload_file(at: AppTest, name: str, content: bytes) -> AppTest:
    at.get("file_uploader")[0].set_value((name, content, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_columns_left_out_are_named_and_file_notes_have_no_row(db_path, password):
    at = sign_in(new_visit())
    at.switch_page("pages/upload.py").run()
    content = camden_register(db_path, vendor_header="Supplier")
    lines = content.decode("utf-8-sig").splitlines()
    lines[0] += ",Notes"
    lines[1:] = [line + ",x" for line in lines[1:]]
    lines.append("Total,,,,,,,,,,")  # a total row: skipped, with its line number
    lines[:0] = ["Camden contracts register", ""]  # a title: a note about the file
    upload_file(at, "camden.csv", ("\n".join(lines) + "\n").encode("utf-8-sig"))
    next(s for s in at.selectbox if s.label == "Which borough is this file for?").set_value(
        "Camden"
    ).run()
    assert not at.error, [e.value for e in at.error]
    text = [m.value for m in at.markdown]
    assert any(t.startswith("**These columns will not be imported:** “Notes”") for t in text)
    table = next(d.value for d in at.dataframe if "Row" in d.value.columns)
    assert table["Row"].notna().all(), "every row problem has its row; no 'Row None'"
    outcomes = dict(zip(table["Problem"], table["Outcome"], strict=True))
    assert outcomes[f"Row {len(lines)} is a total row and was skipped."] == (
        "skipped, not imported"
    ), "the metrics count it as not imported: the table says so too"
    assert "About the file (1)" in "".join(text)
    note = shown(next(t for t in text if t.startswith("- ")))
    assert note.startswith("The 2 rows above the header row (row 3) hold a title")
    assert "Row" not in note and "None" not in note
    assert metric(at, "Imported with a change") == "0", "a skipped row is not imported"


def test_a_file_that_changes_nothing_cannot_be_committed(db_path, password):
    content = camden_register(db_path, vendor_header="Supplier")
    notices = (ROOT / "tests" / "data" / "notices" / "ocds_record_package_1_0.json").read_bytes()
    db = lifecycle.open_store(db_path)
    try:
        snapshots.commit(db, ingest.prepare(content, "c.csv", borough="Camden"), content, "ann")
        snapshots.commit(db, ingest.prepare(notices, "n.json"), notices, "ann")
    finally:
        db.close()
    at = sign_in(new_visit())
    at.switch_page("pages/upload.py").run()
    upload_file(at, "camden again.csv", content)
    next(s for s in at.selectbox if s.label == "Which borough is this file for?").set_value(
        "Camden"
    ).run()
    commit = next(b for b in at.button if b.label == "Commit")
    assert commit.disabled
    assert any(
        "Nothing would change: this file's records are the same as the current data of Camden "
        "(snapshot 34)" in shown(i.value)
        for i in at.info
    )

    # Notices held already (feeds overlap): a note that every one is held, as `import` and the
    # Published notices page say it, not an error
    upload_file(at, "notices again.json", notices)
    assert not at.error, [e.value for e in at.error]
    assert next(b for b in at.button if b.label == "Commit").disabled
    assert any(
        "Nothing would change: every notice in this file is already held, as it is, for Hackney"
        in shown(i.value)
        for i in at.info
    )


def test_the_upload_counts_rows_and_says_when_a_row_gives_two_records(db_path, password):
    content = (ROOT / "tests" / "data" / "notices" / "ocds_flattened.csv").read_bytes()
    at = sign_in(new_visit())
    at.switch_page("pages/upload.py").run()
    at.get("file_uploader")[0].set_value(("ocds_flattened.csv", content, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = {m.label: m.value for m in at.metric}
    assert (shown["Rows read"], shown["Rows to import"], shown["Rows refused"]) == ("3", "2", "0")
    assert shown["Rows left out"] == "1"  # grounds maintenance: not technology, nothing to fix
    assert any("These rows give 3 records" in c.value for c in at.caption), at.caption

    # A notices file of which nothing is kept for the region was shown in red as refused ("None
    # of the 9 rows can be imported…"), where importing it and the fetch say it is done with
    # what was left out and why; the page now says that, as a note, not an error.
    name = "london-fire-commissioner-award_20200727-20200803.csv"
    other = (ROOT / "tests" / "data" / "real" / name).read_bytes()
    at.get("file_uploader")[0].set_value((name, other, "text/csv")).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [apptest.shown(i.value) for i in at.info] == [
        f"{name}: 9 rows read, 0 technology records of the region's councils kept. Left out: 9 "
        "bought by a council outside the region or not recognised. No technology notices of "
        "the region's councils. Nothing will be stored."
    ]
    # Its rows were listed under "Problems in rows", each "not imported", as if they were
    # faults; they are left out for a reason of their own, apart from the problems, with it.
    assert not [m for m in at.markdown if "Problems in rows" in m.value]
    [left_out] = [e for e in at.expander if e.label.startswith("Rows left out")]
    assert left_out.label == "Rows left out, with nothing to fix (9)"
    [table] = left_out.dataframe
    assert list(table.value.columns) == ["Row", "Column", "Value", "Why"]
    assert table.value["Row"].nunique() == 9 and "not imported" not in table.value.to_string()


def test_a_commit_after_another_stewards_is_refused_until_the_new_preview_is_seen(
    db_path, password, db
):
    """Ann's preview said her file replaces Camden's illustrative data; Bob committed another
    Camden register meanwhile. Her click on Commit started a run that worked the preview out
    again and stored her file over Bob's at once, unseen. It is refused, the preview shown is
    the new one, and her next click (having seen it) stores it."""
    ann_file = b"Service area,System,Supplier\nHousing,Orchard Housing,Civica\n"
    bob_file = b"Service area,System,Supplier\nLibraries,Spydus,Civica\nHousing,QL,Aareon\n"
    ann = sign_in(new_visit(), "Ann")
    ann.switch_page("pages/upload.py").run()
    upload_file(ann, "ann.csv", ann_file)
    next(s for s in ann.selectbox if s.label.startswith("Which")).set_value("Camden").run()
    changes = next(d.value for d in ann.dataframe if "Replaces" in d.value.columns)
    assert changes.loc[0, "Replaces"] == "illustrative data"

    snapshots.commit(db, ingest.prepare(bob_file, "bob.csv", borough="Camden"), bob_file, "Bob")
    with db.read() as r:
        bobs = snapshots.active(r, "register")[CAMDEN]
    before = dump(db)
    next(b for b in ann.button if b.label == "Commit").click().run()
    assert not ann.exception, [e.value for e in ann.exception]
    assert dump(db) == before, "nothing stored over Bob's register"
    assert not any(s.value.startswith("Stored") for s in ann.success)
    assert "Camden's data changed since this preview" in shown(ann.error[0].value)
    assert "Nothing was stored" in shown(ann.error[0].value)
    changes = next(d.value for d in ann.dataframe if "Replaces" in d.value.columns)
    assert changes.loc[0, "Records now"] == 2, "the preview shown is against Bob's register"

    next(b for b in ann.button if b.label == "Commit").click().run()
    assert "Stored 1 new snapshot: Camden" in ann.success[0].value
    with db.read() as r:
        mine = snapshots.active(r, "register")[CAMDEN]
        assert mine > bobs and snapshots.snapshot(r, mine)["created_by"].startswith("Ann")
