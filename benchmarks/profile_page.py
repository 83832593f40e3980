"""Where one page's rerun spends its time: a sampling profile of the script run.

    python -m benchmarks.profile_page pages/market.py [KEY=VALUE ...] [--db FILE] [--runs N]

Runs app.py under Streamlit's AppTest against `--db` (default: $CITYTOOLS_DB), switches to the
page with the given URL parameters (e.g. `borough=Camden market_by=Value`), reruns it `--runs`
times (the same selection: every query cached) and prints those times, then profiles one more
rerun with pyinstrument (`pip install -r benchmarks/requirements.txt`) and prints its call
tree: chart building, table serialising, queries. Only the script's thread is profiled; what
the browser does with the page is `python -m benchmarks.browser`'s part.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", help="the page's file, e.g. pages/market.py")
    parser.add_argument("params", nargs="*", help="URL parameters as KEY=VALUE")
    parser.add_argument("--db", default=os.environ.get("CITYTOOLS_DB", ""))
    parser.add_argument("--runs", type=int, default=4)
    args = parser.parse_args(argv)
    if args.db:
        os.environ["CITYTOOLS_DB"] = str(Path(args.db).resolve())

    from pyinstrument import Profiler
    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.testing.v1 import AppTest

    profiled: dict[str, Any] = {}
    run_script = script_runner.ScriptRunner._run_script

    def measured(self: Any, *a: Any, **k: Any) -> Any:
        if "profiler" not in profiled:
            return run_script(self, *a, **k)
        profiled["profiler"].start()  # in the script's own thread
        try:
            return run_script(self, *a, **k)
        finally:
            profiled["profiler"].stop()

    script_runner.ScriptRunner._run_script = measured
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    for pair in args.params:
        key, _, value = pair.partition("=")
        at.query_params[key] = value
    at.run()
    at.switch_page(args.page)
    at.run()
    if at.exception:
        print([e.value for e in at.exception])
        return 1
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
    print("Reruns of the same selection (ms):", ", ".join(f"{t * 1000:.0f}" for t in times))
    profiled["profiler"] = Profiler(interval=0.001)
    at.run()
    print(profiled["profiler"].output_text(color=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
