"""A real `streamlit run` on a free loopback port, and Debian's Chromium driven by Playwright.

Without /usr/bin/chromium these tests are skipped locally, and fail when CI is set.
"""

from __future__ import annotations

import io
import os
import select
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.browser.runs import RUN_OPEN, watch_runs

# What a test says the page shows, it waits for, up to the pages' own 30 s, rather than reading
# the page at one moment: a loaded machine can be between two runs of the script when a test
# looks (tests/README.md, "Three processes").
expect.set_options(timeout=30_000)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CITYTOOLS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Nothing but the machine itself is reachable, as with no internet: every other address
    # goes to a proxy where nothing listens (Chromium never sends loopback addresses to a
    # proxy). Basemap tiles, fonts and the like cannot load; the app must not need them.
    # Not Playwright's `route`: a routed page has no HTTP cache, so it fetched the app's code
    # again on every load, each request through the driver and the test's own process.
    "--proxy-server=http://127.0.0.1:9",
]


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI is set but {CHROMIUM} is missing: apt-get install chromium")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Ports this process's stopped servers listened on. A new server takes one again if it is free:
# the browser caches the app's code by its address, port included, so a page of a server on a
# port used before loads that code from the cache, already compiled, instead of fetching and
# compiling it again (about 2 CPU s a server, tests/README.md "7 Dec, 06:35-09:30").
_ports_used: list[int] = []


def _port() -> int:
    while _ports_used:
        port = _ports_used.pop()
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue  # another process's server has it now
        return port
    return _free_port()


def _start(db: Path, env: dict[str, str]) -> tuple[str, subprocess.Popen, Output]:
    """Start streamlit on a free port; another port if someone took this one meanwhile.

    Waits for streamlit's own word that it listens (its welcome line, printed once the port is
    bound), read from its output as it comes, then checks the health address once. A port
    can be taken before streamlit binds it: streamlit then exits, and we try a new port
    rather than fail. The file watcher is off: editing the checkout while the tests run
    must not put a "source file changed" prompt on the page.
    """
    for _attempt in range(5):
        port = _port()
        process = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", "app.py",
                "--server.headless", "true",
                "--server.port", str(port),
                "--server.address", "127.0.0.1",
                "--server.fileWatcherType", "none",
                "--browser.gatherUsageStats", "false",
            ],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        output = Output(process, db.with_name(f"streamlit-{port}.log"))
        url = f"http://127.0.0.1:{port}"
        if output.wait_for(LISTENING, timeout=60):
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as r:
                assert r.status == 200
            return url, process, output
        text = output.text()
        if process.poll() is None:
            process.kill()
        elif "already in use" in text:
            continue
        pytest.fail(f"streamlit did not start: {text[-2000:]}")
    pytest.fail("streamlit found no free port in five tries")


LISTENING = "You can now view your Streamlit app"


class Output:
    """A server's output, copied to its log file as it comes (by a thread, so the pipe never
    fills and stops the server), and read up to the moment of asking: `text` first takes in
    whatever the server has written that the thread has not copied yet."""

    def __init__(self, process: subprocess.Popen, path: Path):
        self.path, self._fd = path, process.stdout.fileno()
        os.set_blocking(self._fd, False)
        self._file = path.open("wb")
        self._lock = threading.Lock()
        self._seen = threading.Condition(self._lock)
        self.ended = False
        self._copier = threading.Thread(target=self._copy, daemon=True)
        self._copier.start()

    def _copy(self) -> None:
        while not self.ended:
            select.select([self._fd], [], [])  # until the server writes or its output ends
            with self._lock:
                self._take()
                self._seen.notify_all()

    def _take(self) -> None:
        """What the pipe holds now, into the file (the caller holds the lock)."""
        while not self.ended:
            try:
                chunk = os.read(self._fd, 65536)
            except BlockingIOError:
                break
            if not chunk:
                self.ended = True
                self._file.close()
                break
            self._file.write(chunk)
            self._file.flush()

    def text(self) -> str:
        with self._lock:
            self._take()
        return self.path.read_text(errors="replace")

    def wait_for(self, line: str, timeout: float) -> bool:
        """Whether the server wrote `line` before its output ended or `timeout` s passed."""
        deadline = time.monotonic() + timeout
        with self._seen:
            while line not in self.path.read_text(errors="replace"):
                left = deadline - time.monotonic()
                if self.ended or left <= 0:
                    return False
                self._seen.wait(left)
        return True

    def close(self) -> None:
        """After the server has stopped: the last of its output copied."""
        self._copier.join(timeout=10)
        self.text()


class Server:
    def __init__(self, url: str, process: subprocess.Popen, output: Output, db: Path):
        self.url, self.process, self.output, self.db = url, process, output, db
        self.log = output.path

    def log_text(self) -> str:
        return self.output.text()


@contextmanager
def run_server(db: Path, extra_env: dict[str, str] | None = None) -> Iterator[Server]:
    """`streamlit run app.py` over `db` on a free loopback port; stopped on exit.

    On exit the server log must hold no traceback.
    """
    env = os.environ | {"CITYTOOLS_DB": str(db), "PYTHONUNBUFFERED": "1"} | (extra_env or {})
    url, process, output = _start(db, env)
    srv = Server(url, process, output, db)
    try:
        yield srv
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        output.close()
        _ports_used.append(int(url.rsplit(":", 1)[1]))
    assert "Traceback" not in srv.log_text(), srv.log_text()[-3000:]


@pytest.fixture(scope="session")
def server(built_db, tmp_path_factory, kept_context) -> Iterator[Server]:
    """The app served from this checkout over a private copy of the built database.

    One server for the whole run: the tests that use it only read, and each opens its own
    browser context (its own Streamlit session). Tests that change data start their own with
    `run_server`. The home page is opened once first: a fresh server's first request takes a
    recovery path of its own (see `ui.sidebar.sidebar_filters`; test_upload_browser.py tests
    it), which the tests sharing this server should not each meet by chance of their order.
    """
    db = tmp_path_factory.mktemp("server") / "citytools.duckdb"
    shutil.copyfile(built_db, db)
    with run_server(db) as srv:
        first = kept_context.new_page()
        first.goto(srv.url)
        settle(first, timeout=120_000)
        forget(kept_context)
        yield srv


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


# What a browser context keeps between its pages, and how `forget` clears it: cookies,
# permissions and every origin's storage. The HTTP cache stays: the app's code is then loaded
# and compiled once per process rather than once per test (about 0.8 CPU s a page here).
STORAGE = "cookies,local_storage,indexeddb,websql,file_systems,cache_storage,service_workers"


@pytest.fixture(scope="session")
def kept_context(browser):
    """One browser context per test process, for the `page` fixture (see `forget`)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    watch_runs(context)
    yield context
    context.close()


def forget(context) -> None:
    """Close the context's pages and clear what a page could leave for the next test.

    Each page is its own Streamlit session (its own websocket), so what the server knows of
    a test's visitor goes with its page; what the browser keeps (cookies such as the sign-in
    form's XSRF token, localStorage, permissions) is cleared here, and checked to be gone.
    """
    # Read and cleared through the test's page while it is open: reading an origin no page
    # is on costs Playwright a hidden page (a renderer process).
    probe = context.pages[0] if context.pages else context.new_page()
    origins = [o["origin"] for o in context.storage_state(indexed_db=True)["origins"]]
    if origins:
        cdp = context.new_cdp_session(probe)
        for origin in origins:
            cdp.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": STORAGE})
        cdp.detach()
        left = context.storage_state(indexed_db=True)["origins"]
        assert left == [], f"a test left this in the browser: {left}"
    for pg in context.pages:
        pg.close()
    context.clear_cookies()
    context.clear_permissions()
    context.set_offline(False)
    assert context.cookies() == []


@pytest.fixture
def page(kept_context, artifacts):
    """A new tab (a new Streamlit session) in this process's browser context, 1400 x 1000,
    with nothing left by an earlier test (`forget`)."""
    pg = kept_context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    forget(kept_context)


@pytest.fixture(scope="session")
def colleague_context(browser):
    """A second browser context per test process, for the `colleague` fixture."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    watch_runs(context)
    yield context
    context.close()


@pytest.fixture
def colleague(colleague_context):
    """A colleague's browser: a new tab, 1400 x 1000, in a second context that shares nothing
    with `page`'s (no cookies, no session, no storage), for opening a link the test's visitor
    shared. Kept per process and cleared after each test as `page`'s is (`forget`): a browser
    that has loaded the app before, as a colleague's would have (about 0.8 CPU s a page less
    than a new context)."""
    pg = colleague_context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    forget(colleague_context)


# The page has no run asked for and unfinished (tests/browser/runs.py: the app root says
# `notRunning` from a click until the server starts the run), the script is not running
# (`data-test-script-state`), Streamlit's running indicator is gone, no element of the previous
# run is still shown faded (`data-stale`), and no element is a grey placeholder waiting for its
# code (element code loads lazily).
SETTLED = f"""() => {{
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && !{RUN_OPEN} && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-testid="stStatusWidget"], [data-stale="true"],'
      + ' [data-testid="stSkeleton"], [data-testid="stSkeletonElement"],'
      + ' [data-testid="stAppSkeleton"]');
}}"""
# ... and the page has not changed for QUIET_MS. A run can end and the server start the next
# at once (a page's `st.rerun()`, a fresh server's first request, a "Page not found" sent to
# the home page): between the two the app root says `notRunning` for a moment. A watcher on
# the page's DOM restarts the quiet period at every change, so this waits for the page to be
# still, however long that takes, rather than for a fixed time.
QUIET_MS = 250
QUIET = f"""() => {{
  const w = window;
  if (!w.__quiet) {{
    w.__quiet = {{since: performance.now()}};
    new MutationObserver(() => {{ w.__quiet.since = performance.now(); }}).observe(
      document.documentElement,
      {{subtree: true, childList: true, attributes: true, characterData: true}});
  }}
  if (!({SETTLED})()) {{ w.__quiet.since = performance.now(); return false; }}
  return performance.now() - w.__quiet.since >= {QUIET_MS};
}}"""


def steady_image(locator, *, colours: int = 2, timeout: float = 30.0) -> bytes:
    """A screenshot of `locator` once two in a row are the same and not of one colour.

    For what draws on a canvas over several animation frames (deck.gl, Glide's tables):
    the condition is the picture itself, not a pause.
    """
    from PIL import Image

    deadline = time.monotonic() + timeout
    last = b""
    while True:
        shot = locator.screenshot(animations="disabled")
        if shot == last:
            found = Image.open(io.BytesIO(shot)).convert("RGB").getcolors(maxcolors=colours)
            if found is None:  # more than `colours` colours: something is drawn
                return shot
        if time.monotonic() > deadline:
            raise AssertionError(f"{locator} did not finish drawing in {timeout:.0f} s")
        last = shot


# How often a condition is looked at in the page (milliseconds). Playwright's default looks at
# every animation frame, which costs Chromium's renderer about five times the CPU over a wait
# (measured: 0.18-0.28 CPU s against 0.03-0.06 over a 3 s wait); on a busy machine that CPU is
# taken from the page being waited for. The quiet period is still QUIET_MS of no change, seen
# by the DOM watcher: looking less often only ends the wait up to POLL_MS later.
POLL_MS = 100


# The quiet period starts again when a wait starts. Without this, a page that had been still
# before an action passed at once: a click's handler has run when Playwright's click returns,
# but React draws what it changed in a later task of the page, so the first look could come
# before any change (a loaded machine clicked the sidebar's Upload link and found the old page).
RESTART_QUIET = "() => { if (window.__quiet) window.__quiet.since = performance.now(); }"


def settle(page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished running the script and drawing, and the page has been
    still for QUIET_MS since this wait began."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.evaluate(RESTART_QUIET)
    page.wait_for_function(QUIET, timeout=timeout, polling=POLL_MS)


# Press and release in one task of the page, as a person's click (about 100 ms) reaches it.
# deck.gl counts a press as a click only if it is released within 250 ms (its tap
# recognizer's `time`, fixed in Streamlit's bundle). Playwright's `mouse.click` sends the press
# and the release as two messages through the browser process; on a loaded machine the page
# has been seen to handle them 267 ms apart, and the map then saw a long press, not a click.
QUICK_CLICK = """([x, y]) => {
  const target = document.elementFromPoint(x, y);
  if (!target.closest('[data-testid="stDeckGlJsonChart"]')) return null;
  const at = {clientX: x, clientY: y, screenX: x, screenY: y, bubbles: true, cancelable: true,
              composed: true, view: window, pointerId: 1, pointerType: 'mouse',
              isPrimary: true, button: 0};
  target.dispatchEvent(new PointerEvent('pointermove', {...at, buttons: 0}));
  const pressed = Date.now();
  target.dispatchEvent(new PointerEvent('pointerdown', {...at, buttons: 1}));
  target.dispatchEvent(new MouseEvent('mousedown', {...at, buttons: 1}));
  const released = Date.now();
  target.dispatchEvent(new PointerEvent('pointerup', {...at, buttons: 0}));
  target.dispatchEvent(new MouseEvent('mouseup', {...at, buttons: 0}));
  target.dispatchEvent(new MouseEvent('click', {...at, buttons: 0}));
  return released - pressed;
}"""


def quick_click(page, x: float, y: float) -> int:
    """Click at (x, y) with a press as short as a person's, however busy the machine is; returns
    the milliseconds the page took to handle the press (deck.gl counts no click past 250).

    For deck.gl maps only; everywhere else Playwright's own click is the right one. Move the
    pointer there first, as a person does: deck.gl's first pick of a new map is slow (1.5 s
    measured at load 25, against 5 ms once the pointer has been over the map).
    """
    held = page.evaluate(QUICK_CLICK, [x, y])
    assert held is not None, f"({x:.0f}, {y:.0f}) is not on the map"
    return held


def click_to_open(page, x: float, y: float, missed: Path, what: str) -> None:
    """`quick_click` at (x, y) on a map, then wait for the profile it opens. A press the page
    took longer than deck.gl's 250 ms to handle is a long press, not a click, as it would be for
    a person on a machine that busy, who would click again: so does this, once (stress run 103:
    a press on Powys handled in 299 ms under `stress --cpu 2`). A quick press that opens nothing,
    or two slow ones, fail with a screenshot saved at `missed`."""
    for again in (False, True):
        held = quick_click(page, x, y)
        try:
            page.wait_for_url("**/borough?**", timeout=60_000 if held <= 250 else 30_000)
            return
        except PlaywrightTimeout:
            if held <= 250 or again:
                page.screenshot(path=missed)
                raise AssertionError(
                    f"{what} opened nothing: {page.url} (press handled in {held} ms; deck.gl "
                    "counts no click past 250)"
                ) from None
