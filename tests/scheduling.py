"""How `python -m pytest -n 3` shares the test files between its processes.

A test file is one unit of work: its module-scoped fixtures (test_faults.py's generated 300,000
records, say) are built once, in the process that runs it. The units go out longest first, so
the processes finish close together (a long file started last would run alone at the end);
and a process is given a browser file while no other is in one, and another file while one
is, as long as there are both: a browser test keeps a Chromium and a `streamlit run` busy beside
its own process, so two at once would crowd the two cores, while a browser test beside a plain
one leaves each enough. Each process that runs browser tests starts its own shared server and
Chromium (session fixtures are per process, tests/browser/conftest.py).

COST holds each slow file's seconds on this 2-core machine (measured 5 Dec, tests/README.md "How
long the suite takes"); a file not listed is estimated from its number of tests. The costs only
order the work: a wrong one makes the run a little less even, never wrong.
"""

from __future__ import annotations

BROWSER = "tests/browser/"

# Seconds per file, the slow ones: wall seconds of each file run alone, browser files at load
# 3-10 (tests/README.md), the others their CPU seconds (measured 5 Dec 02:40-06:30; the load,
# map, accessibility, calendar and security files after their cuts of 5 Dec, test_links_browser.py's
# two tests left to the estimate by number of tests). Only their
# order matters; a slow file left out would be estimated from its tests (test_upload_memory.py's
# one test at 0.3 s, test_market_aggregate.py's 23 at 7 s) and could come last, alone.
COST: dict[str, float] = {
    "tests/browser/test_load_browser.py": 100,
    "tests/browser/test_map_browser.py": 85,
    "tests/browser/test_accessibility_browser.py": 130,
    "tests/test_faults.py": 60,
    "tests/browser/test_regions_browser.py": 60,
    "tests/browser/test_upload_browser.py": 60,
    "tests/browser/test_faults_browser.py": 20,
    "tests/browser/test_lifecycle_browser.py": 25,
    "tests/browser/test_security_browser.py": 20,
    "tests/browser/test_calendar_browser.py": 30,
    "tests/test_ingest_bulk.py": 30,
    "tests/test_market_aggregate.py": 28,
    "tests/test_security.py": 27,
    "tests/test_hostile.py": 23,
    "tests/test_region_words.py": 17,
    "tests/test_regions_app.py": 17,
    "tests/test_app.py": 15,
    "tests/test_upload_app.py": 15,
    "tests/test_snapshot_cli.py": 14,
    "tests/test_alerts.py": 13,
    "tests/test_collaboration.py": 13,
    "tests/test_backup.py": 12,
    "tests/test_fetch_inbox.py": 12,
    "tests/test_upload_memory.py": 12,
    "tests/test_ingest_properties.py": 11,
    "tests/test_alerts_ledger.py": 10,
    "tests/test_cli.py": 10,
}
PER_BROWSER_TEST = 8.0  # a file not listed above: seconds per test
PER_TEST = 0.3


def unit_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def is_browser(unit: str) -> bool:
    return unit.startswith(BROWSER)


def cost(unit: str, tests: int) -> float:
    return COST.get(unit, tests * (PER_BROWSER_TEST if is_browser(unit) else PER_TEST))


def make_scheduler(config, log):
    """The scheduler for `--dist load` (what `-n` uses); None leaves other modes to xdist."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByFile(LoadScopeScheduling):
        """pytest-xdist's scheduler by scope, with a file as the scope and our own order.

        (xdist's own `--dist loadfile` cannot order the files, and `--dist loadgroup` cannot
        group under pytest 9.2: it rewrites an attribute that pytest no longer reads.)
        """

        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

        def _in_browser(self, node) -> bool:
            """Has `node` a browser file still running or waiting?"""
            return any(
                is_browser(unit) and not all(tests.values())
                for unit, tests in self.assigned_work.get(node, {}).items()
            )

        def _assign_work_unit(self, node) -> None:
            others = [n for n in self.nodes if n is not node]
            busy = sum(self._in_browser(n) for n in others)
            browser_turn = busy < max(1, len(self.nodes) // 2)
            units = list(self.workqueue)
            same_kind = [u for u in units if is_browser(u) == browser_turn] or units
            unit = max(same_kind, key=lambda u: cost(u, len(self.workqueue[u])))
            self.workqueue.move_to_end(unit, last=False)  # the base class takes the first
            super()._assign_work_unit(node)

    return ByFile(config, log)
