"""CITYTOOLS_MAX_UPLOAD_MB governs the app and the command line alike (raising it above 25 used
to change nothing: the import refused at a fixed 25 MB), within the server's own cap."""

from __future__ import annotations

import json
import resource
import subprocess
import sys

import pytest
from streamlit import config as st_config

from citydata import ingest
from citydata.core import settings
from tests import command
from tests.apptest import new_visit
from tests.conftest import DATA
from tests.test_upload_app import PASSWORD, sign_in

MB = 1024 * 1024


def padded_register(size: int) -> bytes:
    """A three-row CSV register padded with blank lines to exactly `size` bytes."""
    register = (DATA / "hostile" / "csv_renamed.xlsx").read_bytes()  # a CSV register
    content = register + (b" " * 99_998 + b"\r\n") * ((size - len(register)) // 100_000)
    return content + b" " * (size - len(content))


@pytest.fixture(scope="module")
def over_25_mb() -> bytes:
    return padded_register(25 * MB + 1)


def test_the_setting_raises_the_import_limit(over_25_mb, monkeypatch):
    assert "largest file accepted is 25 MB" in ingest.prepare(over_25_mb, "r.csv").refused
    monkeypatch.setenv(settings.MAX_UPLOAD_MB, "26")
    prepared = ingest.prepare(over_25_mb, "r.csv")
    assert prepared.refused is None and len(prepared.records) == 3


@pytest.mark.timeout(240)
def test_the_setting_raises_the_command_line_limit(over_25_mb, db_path, tmp_path, monkeypatch):
    file = tmp_path / "register.csv"
    file.write_bytes(over_25_mb)
    refused = command.run("import", str(file), "--dry-run", "--json", db=db_path, text=True)
    assert refused.returncode != 0
    assert "largest file accepted is 25 MB" in json.loads(refused.stdout)["refused"]

    monkeypatch.setenv(settings.MAX_UPLOAD_MB, "26")
    accepted = command.run("import", str(file), "--dry-run", "--json", db=db_path, text=True)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert json.loads(accepted.stdout).get("refused") is None


def test_the_command_line_refuses_a_huge_file_without_reading_it_all(db_path, tmp_path):
    # A 3 GiB file (sparse: no disk) under a 2.5 GiB memory limit: `import` read every byte
    # before refusing it, and failed as "something went wrong inside City Tools Explorer"; it
    # now reads no more than the limit, and says the file's real size.
    file = tmp_path / "huge.csv"
    with file.open("wb") as f:
        f.truncate(3 * 1024 * MB)

    def small_memory() -> None:
        # (a command reserves up to about 1.5 GiB of address space of its own, DuckDB's and
        # Arrow's, whatever it reads: 1.5 GiB left it no room once, under load; 2.5 GiB is
        # still far less than it and the whole 3 GiB file would need)
        resource.setrlimit(resource.RLIMIT_AS, (2560 * MB, 2560 * MB))

    done = subprocess.run(
        [sys.executable, "-m", "citydata", "import", str(file), "--db", str(db_path)],
        capture_output=True,
        text=True,
        preexec_fn=small_memory,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip() == (
        "refused: This file is 3072.0 MB; the largest file accepted is 25 MB. Split it (one "
        "borough per file) and upload each. Nothing was written."
    )


@pytest.fixture
def server_cap():
    """Set server.maxUploadSize for this test (AppTest runs in this process's config)."""
    before = st_config.get_option("server.maxUploadSize")

    def set_cap(megabytes: int) -> None:
        st_config.set_option("server.maxUploadSize", megabytes)

    yield set_cap
    st_config.set_option("server.maxUploadSize", before)


@pytest.mark.timeout(240)
def test_the_app_accepts_what_the_setting_allows_within_the_server_cap(
    over_25_mb, db_path, monkeypatch, server_cap
):
    monkeypatch.setenv("CITYTOOLS_UPLOAD_PASSWORD", PASSWORD)
    monkeypatch.setenv(settings.MAX_UPLOAD_MB, "26")
    server_cap(30)
    at = sign_in(new_visit())
    at.switch_page("pages/upload.py").run()
    uploader = at.get("file_uploader")[0]
    assert uploader.proto.max_upload_size_mb == 26, "the browser checks the same limit"
    uploader.set_value(("register.csv", over_25_mb, "text/csv")).run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.metric, "the file was read"


def test_the_server_cap_bounds_the_app(db_path, monkeypatch, server_cap):
    """Above server.maxUploadSize the server refuses a file before the app sees it, so the app
    says the smaller of the two."""
    monkeypatch.setenv("CITYTOOLS_UPLOAD_PASSWORD", PASSWORD)
    monkeypatch.setenv(settings.MAX_UPLOAD_MB, "40")
    server_cap(25)
    at = sign_in(new_visit())
    at.switch_page("pages/upload.py").run()
    assert at.get("file_uploader")[0].proto.max_upload_size_mb == 25


@pytest.mark.parametrize("given", ["abc", "nan", "inf", "0", "-5", "1e300", "1025"])
def test_a_limit_that_is_not_a_number_of_megabytes_is_named_by_the_import(
    given, db_path, tmp_path, monkeypatch
):
    """A value of "abc" used to take 25 MB in its place without a word; "nan" and "inf" ended
    the import as "something went wrong inside City Tools Explorer"; "0" and "-5" refused every
    file as larger than "0 MB" and said to split it. Each now names the setting and its value."""
    file = tmp_path / "register.csv"
    file.write_bytes(b"Borough,Service area,System,Supplier\nCamden,Housing,Northgate,NEC\n")
    monkeypatch.setenv(settings.MAX_UPLOAD_MB, given)
    done = command.run("import", str(file), "--dry-run", db=db_path, text=True)
    assert done.returncode != 0
    assert done.stderr.strip() == (
        f"refused: CITYTOOLS_MAX_UPLOAD_MB is “{given}”, but it must be a number of megabytes "
        "above 0, at most 1,024 (for example 25). Nothing was written."
    )


def test_a_limit_that_is_not_a_number_is_named_on_the_upload_page(db_path, monkeypatch):
    """A steward opening Upload under CITYTOOLS_MAX_UPLOAD_MB=abc was given the 25 MB default
    without a word (and under "nan" "a fault in the app, not in what you chose"): the page now
    says which setting to correct, as the app says of a region it cannot use."""
    import time

    from citydata.core import stewards

    monkeypatch.setenv("CITYTOOLS_UPLOAD_PASSWORD", PASSWORD)
    monkeypatch.setenv(settings.MAX_UPLOAD_MB, "abc")
    at = new_visit()
    # signed in as the sign-in page leaves it, so that this first run goes through app.py
    at.session_state["_steward_password_user"] = stewards.signed_in(
        "Ann Steward", PASSWORD, time.monotonic()
    )
    at.switch_page("pages/upload.py")
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "The app is set up wrongly. CITYTOOLS\\_MAX\\_UPLOAD\\_MB is “abc”, but it must be a "
        "number of megabytes above 0, at most 1,024 \\(for example 25\\)\\."
    ]
    assert not at.get("file_uploader"), "no upload box promising a limit nobody chose"
