"""One benchmark step in its own process, so its peak memory is its own.

python -m benchmarks.worker SECTION STEP CONTEXT_JSON RESULT_FILE

Writes {"seconds", "data"} (or {"error"}) as JSON to RESULT_FILE. Run by benchmarks.run.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

from benchmarks.section import Context


def main(argv: list[str]) -> int:
    section_name, step, ctx_json, result_file = argv
    ctx = Context(**json.loads(ctx_json))
    out = Path(result_file)
    try:
        if section_name == "dataset":
            from benchmarks import datasets

            run = datasets.run
        else:
            from benchmarks.sections import by_name

            run = by_name(section_name).run
        start = time.perf_counter()
        data = run(ctx, step)
        seconds = time.perf_counter() - start
    except Exception as exc:
        traceback.print_exc()
        out.write_text(json.dumps({"error": f"{type(exc).__name__}: {exc}"[:500]}))
        return 1
    out.write_text(json.dumps({"seconds": seconds, "data": data}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
