"""A path setting or option starting with `~` is read as the home folder it names, in the app
and on the command line alike; one naming no user's home is a setting or an option to correct,
said with its name and value, never a fault of the program."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from citydata.output import alerts
from tests import command
from tests.apptest import shown
from tests.conftest import ROOT

NOBODY = "~no-such-user-of-citytools/citytools.duckdb"
WHY = (
    "there is no user “no-such-user-of-citytools” on this computer, so "
    "“~no-such-user-of-citytools” is no folder: write out the home folder's path instead."
)


def test_a_database_setting_in_no_one_s_home_is_named_not_a_fault(monkeypatch):
    """It was "something went wrong inside City Tools Explorer … please report it"."""
    monkeypatch.setenv("CITYTOOLS_DB", NOBODY)
    said = f"CITYTOOLS_DB is “{NOBODY}”, but {WHY}"
    done = command.run("snapshots", text=True)
    assert (done.returncode, done.stderr.strip()) == (1, f"refused: {said} Nothing was written.")

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert [shown(e.value) for e in at.error] == [f"The app is set up wrongly. {said}"]


def test_a_db_option_in_no_one_s_home_is_a_usage_error_naming_it(db_path):
    done = command.run("snapshots", "--db", NOBODY, text=True)
    assert done.returncode == 2
    assert f"error: argument --db: “{NOBODY}”: {WHY}" in done.stderr
    assert "went wrong" not in done.stderr


def test_a_home_folder_given_to_the_db_option_is_the_home_folder(tmp_path, monkeypatch):
    """Quoted (`--db '~/x.duckdb'`, as a scheduler's line may pass it), `~` was a folder of
    that name made in the working folder."""
    monkeypatch.setenv("HOME", str(tmp_path))
    done = command.run("build", "--db", "~/citytools.duckdb", text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "citytools.duckdb").is_file()
    assert not (ROOT / "~").exists()


def test_the_feeds_setting_reads_a_home_folder_as_every_path_setting_does(tmp_path, monkeypatch):
    """CITYTOOLS_FEEDS_DIR=~/feeds wrote the feeds to a folder called “~” in the app's folder."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("CITYTOOLS_FEEDS_DIR", "~/feeds")
    assert alerts.feeds_dir() == tmp_path / "feeds"


def test_a_path_setting_of_spaces_is_no_setting_and_spaces_around_one_are_not_its_name(
    tmp_path, monkeypatch
):
    """`CITYTOOLS_DB= ` (a space after the equals sign) made a database file called " " in the
    app's folder, and " /srv/x.duckdb" a folder called " " there."""
    from citydata import lifecycle

    monkeypatch.setenv("CITYTOOLS_DB", "   ")
    assert lifecycle.db_path() == ROOT / "data" / "citytools.duckdb"
    monkeypatch.setenv("CITYTOOLS_DB", f"  {tmp_path / 'x.duckdb'}  ")
    assert lifecycle.db_path() == tmp_path / "x.duckdb"
