"""Hostile backups (tests/data/hostile/backups, made by make_backups.py): every one is refused
with one plain message, before anything is replaced, within bounded memory, in the app and on
the command line alike."""

from __future__ import annotations

import importlib.util
import tracemalloc

import pytest

from citydata.output import archive, restores
from citydata.output.backup import BackupError
from tests import command
from tests.apptest import new_visit, shown
from tests.conftest import DATA
from tests.snapshot_helpers import dump
from tests.test_upload_app import password, sign_in  # noqa: F401

BACKUPS = DATA / "hostile" / "backups"


def _generator():
    spec = importlib.util.spec_from_file_location("make_backups", BACKUPS / "make_backups.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_backups = _generator()

# What each refusal says (after "This backup is damaged or was not made by City Tools Explorer").
EXPECT = {
    "backup_declares_2gib.zip": "unpacks to 2,048 MB",
    "backup_lying_sizes.zip": "compressed data is corrupt",
    "backup_corrupt_deflate.zip": "compressed data is corrupt",
    "backup_deep_manifest.zip": "manifest is nested too deeply",
    "backup_encrypted_member.zip": "part of it is encrypted",
    "backup_unknown_compression.zip": "compression this app does not read",
    "backup_records_without_service_area.zip": "table contracts has no column service_area",
    "backup_satisfaction_99.zip": "satisfaction 99, which an upload refuses",
    "backup_negative_value.zip": "annual value -5000.00, which an upload refuses",
    "backup_unknown_service_area.zip": "service_area 'Moon Base', which an upload refuses",
    "backup_end_in_1700.zip": "date 1700-03-31 in contract_end",
    "backup_empty.zip": "holds no current snapshot",
    "backup_value_as_text.zip": "has 1 value in annual_value of the wrong kind",
}
MEMORY_BYTES = 48 * 1024**2  # Python's peak allocation while refusing any of them


def test_every_hostile_backup_is_made_by_the_generator_and_has_an_expectation():
    kept = {p.name for p in BACKUPS.glob("*.zip")}
    assert kept == set(make_backups.BACKUPS) == set(EXPECT)
    readme = (DATA / "hostile" / "README.md").read_text(encoding="utf-8")
    for name in kept:
        assert f"`{name}`" in readme, name


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", list(EXPECT))
def test_a_hostile_backup_is_refused_plainly_in_bounded_memory_and_changes_nothing(db, name):
    content = (BACKUPS / name).read_bytes()
    before = dump(db)
    tracemalloc.start()
    try:
        with pytest.raises(BackupError) as refused:
            restores.restore(db, content)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(refused.value)
    assert EXPECT[name] in message, message
    assert message.startswith(archive.DAMAGED), "one plain message"
    assert peak < MEMORY_BYTES + len(content), f"{peak / 1024**2:.0f} MB allocated"
    assert dump(db) == before


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    "name", ["backup_declares_2gib.zip", "backup_deep_manifest.zip", "backup_corrupt_deflate.zip",
             "backup_encrypted_member.zip", "backup_unknown_compression.zip"]
)  # fmt: skip
def test_the_command_line_refuses_a_hostile_backup_without_a_traceback(db_path, name):
    done = command.run("restore", str(BACKUPS / name), db=db_path, text=True)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr
    assert EXPECT[name] in done.stderr and "Nothing was written." in done.stderr


@pytest.mark.parametrize("name", ["backup_deep_manifest.zip", "backup_empty.zip"])
def test_the_backup_page_refuses_a_hostile_backup_with_its_reason(db_path, password, name):  # noqa: F811
    at = sign_in(new_visit())
    at.switch_page("pages/backup.py").run()
    content = (BACKUPS / name).read_bytes()
    at.get("file_uploader")[0].set_value((name, content, "application/zip")).run()
    next(b for b in at.button if b.label == "Restore this backup").click().run()
    assert not at.exception, [e.value for e in at.exception]
    (error,) = [shown(e.value) for e in at.error]
    assert EXPECT[name] in error and error.endswith("Nothing was changed.")
    at.switch_page("pages/borough.py").run()  # the app still works on the data it had
    assert not at.exception
