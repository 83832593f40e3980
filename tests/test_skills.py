"""Skills to share: the in-house skill level and contact role, from upload to export."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from citydata.core import skills
from citydata.ingest import prepare, template_bytes
from citydata.ingest.normalise import role_result, skill_result
from tests.command import run

# Header spellings a register might use: case, spacing, hyphens and other words for the same.
SKILLS_FILE = """Borough,Service area,System,Vendor,Reference,IN-HOUSE  skill level,contact  ROLE
Camden,Housing,Northgate Housing,Northgate,C-1,expert,Housing systems manager
Camden,Parking,Taranto,Imperial,C-2,Advanced,ICT service desk
Camden,Libraries,Spydus,Civica,C-3,none,
Camden,Planning,Uniform,Idox,C-4,Guru,Planning systems lead
Camden,Waste,Whitespace,Whitespace,C-5,Basic,jane.smith@camden.gov.uk
Camden,Electoral services,Xpress,Idox,C-6,,Jane Smith
Camden,Finance,Oracle Fusion,Oracle,C-7,Intermediate,020 7974 4444
"""


@pytest.fixture(scope="module")
def checked():
    return prepare(SKILLS_FILE.encode(), "camden.csv")


@pytest.mark.parametrize(
    ("written", "level"),
    [("expert", "Expert"), (" Expert ", "Expert"), ("ADVANCED", "Expert"), ("none", "None"),
     ("None", "None"), ("basic", "Basic"), ("Medium", "Intermediate"), ("2", "Intermediate")],
)  # fmt: skip
def test_skill_levels_are_read_generously(written, level):
    assert skill_result(written) == (level, None, None)


def test_a_blank_skill_level_is_not_recorded():
    assert skill_result("") == (None, None, None)
    assert skill_result(None) == (None, None, None)


@pytest.mark.parametrize(
    ("role", "why"),
    [("Jane Smith", "a person's name"), ("J. Smith", "a person's name"),
     ("Dr Patel", "a person's name"), ("Mary-Jane O'Neill", "a person's name"),
     ("jane.smith@camden.gov.uk", "an e-mail address"),
     ("Systems manager (jane@camden.gov.uk)", "an e-mail address"),
     ("020 7974 4444", "a telephone number"), ("Systems manager", None),
     ("ICT service desk", None), ("Head of Revenues", None), ("Mosaic Superuser", None),
     ("Adults' systems manager", None)],
)  # fmt: skip
def test_a_role_is_told_from_a_person(role, why):
    assert skills.role_problem(role) == why


def test_both_columns_are_recognised_under_other_spellings(checked):
    assert checked.mapping["skill_level"] == "IN-HOUSE skill level"
    assert checked.mapping["contact_role"] == "contact ROLE"


def test_bad_values_are_reported_by_row_and_column(checked):
    refused = {(p.row, p.column): p.reason for p in checked.rejects}
    assert set(refused) == {
        (5, "IN-HOUSE skill level"),
        (6, "contact ROLE"),
        (8, "contact ROLE"),
    }
    assert "None, Basic, Intermediate, Expert, not 'Guru'" in refused[(5, "IN-HOUSE skill level")]
    assert "e-mail address" in refused[(6, "contact ROLE")]
    assert "telephone number" in refused[(8, "contact ROLE")]
    warned = [p for p in checked.problems if p.severity == "warning" and p.row == 7]
    assert [(p.column, p.value) for p in warned] == [("contact ROLE", "Jane Smith")]
    assert "looks like a person's name" in warned[0].reason and "left blank" in warned[0].reason


def test_accepted_rows_keep_the_canonical_level_and_the_role(checked):
    kept = checked.records.set_index("source_ref")
    assert list(kept.index) == ["C-1", "C-2", "C-3", "C-6"]
    assert kept.loc["C-1", "skill_level"] == "Expert"
    assert kept.loc["C-1", "contact_role"] == "Housing systems manager"
    assert kept.loc["C-2", "skill_level"] == "Expert"
    assert kept.loc["C-3", "skill_level"] == "None"
    assert kept.loc["C-3", "contact_role"] is None
    assert kept.loc["C-6", "contact_role"] is None, "a name never reaches the database"


def test_the_template_has_both_columns_and_says_what_goes_in_them():
    header = next(csv.reader(io.StringIO(template_bytes("csv").decode("utf-8-sig"))))
    assert header[-2:] == ["In-house skill level", "Contact role"]
    book = load_workbook(io.BytesIO(template_bytes("xlsx")))
    help_rows = {row[0]: row[1] for row in book["Help"].iter_rows(values_only=True) if row[0]}
    assert help_rows["In-house skill level"].startswith("None; Basic; Intermediate; Expert")
    assert "Never a person's name" in help_rows["Contact role"]
    # the template read back is recognised as the template, both columns included
    again = prepare(template_bytes("csv"), "template.csv")
    assert again.format == "template" and not again.rejects
    assert again.records.loc[0, "skill_level"] == "Expert"


def test_import_stores_skills_and_export_gives_them_back(db_path, tmp_path):
    upload = tmp_path / "camden.csv"
    upload.write_text(SKILLS_FILE, encoding="utf-8")
    done = run("import", str(upload), "--json", db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["rows_imported"] == 4 and report["rows_rejected"] == 3
    assert {(r["row"], r["column"]) for r in report["rejects"]} == {
        (5, "IN-HOUSE skill level"),
        (6, "contact ROLE"),
        (8, "contact ROLE"),
    }

    out = run("export", "--borough", "Camden", db=db_path, text=True)
    assert out.returncode == 0, out.stderr
    rows = {r["source_ref"]: r for r in csv.DictReader(io.StringIO(out.stdout))}
    assert set(rows) == {"C-1", "C-2", "C-3", "C-6"}
    assert (rows["C-1"]["skill_level"], rows["C-1"]["contact_role"]) == (
        "Expert",
        "Housing systems manager",
    )
    assert rows["C-3"]["skill_level"] == "None" and rows["C-6"]["contact_role"] == ""


def test_the_default_data_shows_skills_out_of_the_box(db):
    with db.read() as r:
        levels = dict(r.rows("SELECT skill_level, count(*) FROM current_contracts GROUP BY ALL"))
        roles = r.scalar("SELECT count(contact_role) FROM current_contracts")
    assert set(levels) == {None, *skills.SKILL_LEVELS}
    assert levels["Expert"] > 50 and roles > 200
    with db.read() as r:
        all_roles = [role for (role,) in r.rows("SELECT DISTINCT contact_role FROM contracts")]
    assert all(skills.role_problem(role) is None for role in all_roles if role)


def test_role_result_keeps_a_role_as_written():
    assert role_result("  Systems   manager ") == ("Systems manager", None, None)


def test_a_backup_whose_records_name_a_person_is_refused(db_path, tmp_path):
    """A restored backup holds only what an upload could store: no e-mail as a contact role."""
    from tests.test_hostile_backups import make_backups

    archive = make_backups.edit_table(
        make_backups.base_backup(tmp_path),
        tmp_path,
        "contracts",
        "SELECT * REPLACE (CASE WHEN record_no = 1 THEN 'jane.smith@camden.gov.uk'"
        " ELSE contact_role END AS contact_role) FROM t",
    )
    hostile = tmp_path / "hostile.zip"
    hostile.write_bytes(archive)
    done = run("restore", str(hostile), db=db_path, text=True)
    assert done.returncode == 1
    assert "contact_role 'jane.smith@camden.gov.uk', which an upload refuses" in done.stderr
    assert "Traceback" not in done.stderr

    fine = tmp_path / "fine.zip"
    fine.write_bytes(make_backups.base_backup(tmp_path / "again"))
    assert run("restore", str(fine), db=db_path, text=True).returncode == 0
