"""The sections of a benchmark run, in the order they run and appear in RESULTS.md.

To add a section, write a module here defining `SECTION = Section(...)` (see
benchmarks/section.py) and append it to `SECTIONS`.
`ctx.csv` is the size's generated CSV (the same records as `ctx.db`), ready to be imported.
"""

from __future__ import annotations

from benchmarks.section import Section
from benchmarks.sections import imports, pages, queries

SECTIONS: list[Section] = [queries.SECTION, pages.SECTION, imports.SECTION]


def by_name(name: str) -> Section:
    for section in SECTIONS:
        if section.name == name:
            return section
    raise KeyError(f"No benchmark section called {name!r}")
