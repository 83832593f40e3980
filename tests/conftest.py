"""Fixtures: every test gets its own database file; the developer's machine stays out."""

from __future__ import annotations

import functools
import os
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from citydata import lifecycle
from citydata.core import regions

# The app's modules compiled once and kept (__pycache__, which git ignores), by this process and
# every process it starts (the test processes, `streamlit run`, `python -m citydata`), even where
# the machine says not to write them: each process compiled them again (about 0.3 CPU s for all
# of them), 5-8% of the CPU of the files that start commands.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

# A fault of the program shows its traceback in the tests (a user sees one line instead: see
# citydata.cli), so a test that a command says no traceback cannot pass on a hidden fault.
os.environ.setdefault("CITYTOOLS_DEBUG", "1")

# The property tests (Hypothesis) try new examples on every run on a developer's machine, where
# a newly found failure is a bug to fix; under CI, the same examples on every run, so the gate
# of a change is that change and not the luck of the draw. (A failure found on a machine is
# written into the test as an example, or into a test of its own.)
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
ARTIFACTS = ROOT / "test-artifacts"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """With `-n` (the README's command runs on three processes): one test file per unit of work,
    the longest first, a browser file beside a plain one (tests/scheduling.py)."""
    from tests import scheduling

    return scheduling.make_scheduler(config, log)


@pytest.fixture(scope="session")
def built_db(tmp_path_factory) -> Path:
    """The embedded default data built once per test run (read it, do not write it)."""
    return lifecycle.build(tmp_path_factory.mktemp("built") / "citytools.duckdb")


@pytest.fixture
def db_path(built_db, tmp_path, monkeypatch) -> Path:
    """A private copy of the built database, also set as $CITYTOOLS_DB."""
    path = tmp_path / "citytools.duckdb"
    shutil.copyfile(built_db, path)
    monkeypatch.setenv(lifecycle.ENV_VAR, str(path))
    return path


@pytest.fixture
def db(db_path):
    database = lifecycle.open_store(db_path)
    yield database
    database.close()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path, request):
    """No test touches data/citytools.duckdb or sees a previous test's cached results.

    The app under AppTest checks uploads in the session's own thread (CITYTOOLS_UPLOAD_WORKERS
    0): a worker process for each check, which imports pandas and DuckDB anew, was half the CPU
    of the upload tests (25 of 50 s). The worker is tested in test_preparing.py and by every
    browser test that uploads, against a `streamlit run` that keeps the default."""
    monkeypatch.setenv(lifecycle.ENV_VAR, str(tmp_path / "unset.duckdb"))
    monkeypatch.setenv("CITYTOOLS_FEEDS_DIR", str(tmp_path / "feeds"))
    if "browser" not in request.keywords:
        monkeypatch.setenv("CITYTOOLS_UPLOAD_WORKERS", "0")
    yield
    import streamlit as st

    forget_cached_data()
    st.cache_resource.clear()


# A chart's shape (`ui.charting._shape_spec`) is made of its name, its parameters and the
# region, which are its cache's key, and of no data: a test cannot see another's through it.
# Kept between tests, as a server keeps it between visitors, it is built once per test process
# instead of once per test (about a fifth of the CPU of the tests running the app's pages).
KEPT_BETWEEN_TESTS = {"ui.charting._shape_spec"}


def forget_cached_data() -> None:
    """`st.cache_data.clear()`, but for the caches in KEPT_BETWEEN_TESTS: every function's
    cache of data is emptied, found in Streamlit's own list of them (so a cache added to the
    app later is emptied too)."""
    from streamlit.runtime.caching.cache_data_api import _data_caches

    with _data_caches._caches_lock:
        caches = [c for per in _data_caches._function_caches.values() for c in per.values()]
    for cache in caches:
        if cache.display_name not in KEPT_BETWEEN_TESTS:
            cache.clear()


@pytest.fixture(autouse=True, scope="session")
def _one_component_scan():
    """Scan the installed packages for Streamlit components once per test process.

    Each new AppTest (a new visitor's session, in the tests that run the app in-process) has
    Streamlit read the metadata of every installed package, looking for custom components:
    0.2-0.3 s of CPU each time, about as long as running one of the app's pages, and the same
    answer every time, since nothing is installed during a run. The first AppTest's registry
    serves the rest. (A `streamlit run` scans once when it starts, as before.)
    """
    from streamlit.components.v2.component_manager import BidiComponentManager
    from streamlit.testing.v1 import AppTest

    scanned: list[BidiComponentManager] = []
    new_app_test = AppTest.__init__

    def init(self, *args, **kwargs):
        new_app_test(self, *args, **kwargs)
        if not scanned:
            scanned.append(BidiComponentManager())
            scanned[0].discover_and_register_components(start_file_watching=False)
        self._bidi_component_manager = scanned[0]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(AppTest, "__init__", init)
        yield


@pytest.fixture(autouse=True, scope="session")
def _apptest_runs_through_the_app_as_a_server_does():
    """Every run of an AppTest after the first goes through app.py, as on a server.

    AppTest sets Streamlit's legacy `pages/` mode afresh for each run (`uses_pages_directory =
    None`, then True: the folder is there), so from a session's second run (a click, a value
    set) the page file ran on its own: no app.py, no sidebar filters, no navigation or sign-in
    check, the filters of the run before. A server leaves the mode off for good once app.py's
    `st.navigation` has run (ui/pagesdir.py), and so do the tests now: a session whose run went
    through app.py keeps it off for its next runs. Its first run is as a server's first request
    (a page opened by its address runs on its own and asks to run through app.py)."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    new_pages_manager, run = PagesManager.__init__, AppTest._run
    navigated: list[bool] = [False]  # (this run's session has been through app.py)

    @functools.wraps(new_pages_manager)  # (tests/test_pagesdir.py reads Streamlit's source)
    def init(self, *args, **kwargs):
        new_pages_manager(self, *args, **kwargs)
        if navigated[0]:
            PagesManager.uses_pages_directory = False

    def run_app(self, *args, **kwargs):
        navigated[0] = getattr(self, "_went_through_app", False)
        try:
            return run(self, *args, **kwargs)
        finally:
            navigated[0] = False
            if PagesManager.uses_pages_directory is False:  # st.navigation ran
                self._went_through_app = True

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PagesManager, "__init__", init)
        patch.setattr(AppTest, "_run", run_app)
        yield


@pytest.fixture
def short_busy_waits(monkeypatch):
    """For a test of what a command does once it finds the database file held by another
    process (refuses to write, reads a copy), not of how long it waits first
    (tests/test_lifecycle.py checks the waiting): `lifecycle.open_store` in this process tries
    again once after 0.05 s instead of after 0.25, 0.5, 1 and 2 s (BUSY_WAITS, 3.75 s a
    command). A `streamlit run` or `python -m citydata` the test starts still waits in full."""
    monkeypatch.setattr(lifecycle, "BUSY_WAITS", (0.05,))


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def region(monkeypatch):
    """Choose the region for this test: region('wales') sets it and gives it back.
    (tests/test_regions_app.py has its own `region`: each of its tests runs in every region.)"""

    def choose(value: str) -> regions.Region:
        monkeypatch.setenv(regions.SETTING, value)
        return regions.current()

    return choose
