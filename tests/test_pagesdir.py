"""Streamlit internals that ui/pagesdir.py relies on: fails loudly when an upgrade changes them.

If this fails after upgrading Streamlit, read ui/pagesdir.py: the legacy `pages/` mode may have
gone (then delete the workaround) or moved (then follow it), and run
tests/browser/test_pagesdir_browser.py, which opens a page as a fresh server's first request.
"""

from __future__ import annotations

import inspect
import re

from streamlit.runtime import pages_manager
from streamlit.runtime.scriptrunner import script_runner

from tests.conftest import ROOT


def test_streamlit_still_decides_the_legacy_pages_mode_on_the_class_attribute():
    assert hasattr(pages_manager.PagesManager, "uses_pages_directory")
    init = inspect.getsource(pages_manager.PagesManager.__init__)
    assert "uses_pages_directory" in init and '"pages"' in init, (
        "Streamlit no longer sets the legacy pages mode from a pages/ folder: see ui/pagesdir.py"
    )


def test_the_legacy_runner_still_runs_page_files_on_their_own():
    runner = inspect.getsource(script_runner)
    assert "if PagesManager.uses_pages_directory:" in runner
    assert hasattr(script_runner, "_mpa_v1"), "the legacy runner is gone: see ui/pagesdir.py"


GUARDS = ("ui.page_filters()", "steward.require()", "steward.inside_app()")
DRAWS = re.compile(
    r"\bst\.(title|header|subheader|markdown|write|caption|info|warning|error|"
    r"success|dataframe|columns|tabs|button|metric|download_button)\("
)


def test_every_page_file_asks_to_run_inside_the_app_before_drawing():
    """A page file reached by the legacy runner must rerun through app.py before it draws."""
    for page in sorted((ROOT / "pages").glob("*.py")):
        code = page.read_text(encoding="utf-8")
        guards = [code.index(g) for g in GUARDS if g in code]
        assert guards, f"{page.name} never asks to run inside the app"
        first_draw = DRAWS.search(code)
        assert first_draw is None or min(guards) < first_draw.start(), page.name


def test_a_sessions_later_runs_go_through_the_app_as_on_a_server():
    """The tests' AppTest keeps the legacy mode off once app.py has run, as a server does
    (conftest.py): a session's second run drew the page file alone, without the sidebar's
    filters, the navigation or the stewards' gate."""
    from tests.apptest import run_app

    at = run_app(page="pages/market.py")
    filters = [w.label for w in at.sidebar.multiselect]
    at.run()  # a click's run
    assert filters and [w.label for w in at.sidebar.multiselect] == filters
