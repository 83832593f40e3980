"""The server's modules kept out of the garbage collection Streamlit makes after every run of a
page (ui/memory.py): that collection holds the GIL, so the server sends nothing while it walks
the objects, and the end of every run reached the browser 50-270 ms later."""

from __future__ import annotations

import gc
import importlib
import sys

import pytest

from tests.apptest import run_app
from ui import memory


@pytest.fixture
def unfrozen(monkeypatch):
    """Nothing frozen before the test, and nothing left frozen after it."""
    gc.unfreeze()
    monkeypatch.setattr(memory, "_modules_frozen", 0)
    yield
    gc.unfreeze()


@pytest.mark.parametrize(
    "page, ends_early",
    [
        ("pages/overview.py", False),
        ("pages/borough.py", True),  # no profile chosen yet: the page says so and stops there
    ],
)
def test_a_run_of_the_app_leaves_the_collection_only_what_later_runs_make(
    db_path, unfrozen, page, ends_early
):
    at = run_app(page=page)
    assert not at.exception
    stopped = any("to see its profile" in info.value for info in at.info)
    assert stopped == ends_early
    frozen = gc.get_freeze_count()
    # The modules (Streamlit, pandas, DuckDB, Altair and the app's) are out of the collection's
    # way: what a full collection walks now is a small part of what the process holds.
    assert frozen > 100_000, frozen
    assert len(gc.get_objects()) < frozen / 5, (len(gc.get_objects()), frozen)
    assert memory._modules_frozen == len(sys.modules)


def test_only_a_run_that_imported_modules_freezes_again(unfrozen):
    # (A thread of an earlier test in this process may import a module between the two calls,
    # and then the second one freezes rightly: the check counts only a try in which none did.)
    for _ in range(10):
        memory.keep_modules_out_of_collection()
        frozen, modules = gc.get_freeze_count(), len(sys.modules)
        made = [[n] for n in range(10_000)]  # what a run makes and drops: not frozen
        memory.keep_modules_out_of_collection()
        if len(sys.modules) == modules:
            break
    else:
        pytest.fail("modules were imported beside every try")
    # Not frozen again: a freeze would take in `made`. (The count can fall: a frozen object
    # that another thread lets go of leaves the frozen set.)
    assert gc.get_freeze_count() <= frozen and made
    name = next(m for m in ("tabnanny", "wave", "mailbox", "netrc") if m not in sys.modules)
    importlib.import_module(name)  # a page's first run, bringing a module of its own
    memory.keep_modules_out_of_collection()
    assert gc.get_freeze_count() > frozen + len(made)
