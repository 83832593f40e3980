"""The server's memory between runs of a page: what lives as long as the process is kept out of
the garbage collector's way.

After every run of a page Streamlit collects all of the process's garbage
(`runner.postScriptGC`), holding Python's GIL, so the server sends nothing meanwhile: the end of
the run (its last elements, and the word that it has finished) reaches the browser that much
later. The objects it walks are mostly the process's modules (Streamlit, pandas, DuckDB, Altair,
pydeck and the app's own, about 170,000 objects), which never become garbage. On this two-core
machine that walk took 50-266 ms after every run; with them frozen out of it (`gc.freeze`), 0-12
ms, and a filter change's last message reached the browser 45-100 ms sooner at 1M records
(benchmarks/RESULTS.md, "Garbage collection after every run").
"""

from __future__ import annotations

import atexit
import gc
import sys
import threading

_lock = threading.Lock()
_modules_frozen = 0
# At the process's end everything is given back to the collector, so that what the process
# frees as it ends (DuckDB's objects among them) is freed, not reported as leaked.
atexit.register(gc.unfreeze)


def keep_modules_out_of_collection() -> None:
    """After a run that imported modules (a process's first, a page's first that needs new
    ones): collect once, then freeze what is alive now (`gc.freeze`), so that later collections
    walk only what later runs make. Otherwise it costs a comparison.

    What is frozen is never collected as a cycle; freed by its reference count as usual. Beside
    the modules, that is what the sessions of the moment hold: a few times in a process's life,
    so the memory this can keep is bounded."""
    global _modules_frozen
    if len(sys.modules) == _modules_frozen:
        return
    with _lock:
        if len(sys.modules) == _modules_frozen:
            return
        gc.collect()
        gc.freeze()
        _modules_frozen = len(sys.modules)
