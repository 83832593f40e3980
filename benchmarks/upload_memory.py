"""What one steward's session keeps in memory while checking an upload, and after.

    python -m benchmarks.upload_memory [--rows 60000]

Drives the real upload page under Streamlit's AppTest (in this process, so Python's allocations
can be traced): sign in, upload a register of the demo generator's records (the app's own
export layout; 60,000 rows is about 8 MB), try three columns for the vendor (as a steward
correcting a mapping does), then cancel. Prints the Python memory held (tracemalloc, after a
garbage collection) at each step and the peak; the uploaded bytes Streamlit itself keeps are
included while the file is in the box.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import tempfile
import tracemalloc
from pathlib import Path

from benchmarks.ingest_prepare import _records, export_csv


def held() -> float:
    gc.collect()
    return tracemalloc.get_traced_memory()[0] / 1024**2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000)
    args = parser.parse_args()
    content = export_csv(_records(args.rows))
    tmp = Path(tempfile.mkdtemp())
    os.environ["CITYTOOLS_DB"] = str(tmp / "citytools.duckdb")
    os.environ["CITYTOOLS_UPLOAD_PASSWORD"] = "benchmark-password"
    os.environ["CITYTOOLS_MAX_UPLOAD_MB"] = "100"
    from streamlit.testing.v1 import AppTest

    from citydata import lifecycle

    lifecycle.build(Path(os.environ["CITYTOOLS_DB"]))
    root = Path(__file__).resolve().parents[1]
    at = AppTest.from_file(str(root / "app.py"), default_timeout=600).run()
    at.switch_page("pages/sign_in.py").run()
    inputs = {t.label: t for t in at.text_input}
    inputs["Your name or email"].set_value("Benchmark")
    inputs["Upload password"].set_value("benchmark-password")
    next(b for b in at.button if b.label == "Sign in").click().run()
    at.switch_page("pages/upload.py").run()
    tracemalloc.start()
    print(f"register: {args.rows:,} rows, {len(content) / 1024**2:.1f} MB")
    print(f"signed in, nothing uploaded: {held():8.1f} MB held")
    at.get("file_uploader")[0].set_value(("register.csv", content, "text/csv")).run()
    print(f"file checked:                {held():8.1f} MB held")
    for column in ("system", "manufacturer", "vendor"):
        next(s for s in at.selectbox if s.label == "Vendor").set_value(column).run()
        print(f"vendor column -> {column:<12} {held():8.1f} MB held")
    cancel = [b for b in at.button if b.label == "Cancel"]
    if cancel:
        cancel[0].click().run()
    else:  # before the Cancel button existed: the steward removes the file from the box
        at.get("file_uploader")[0].set_value(None).run()
    print(f"cancelled:                   {held():8.1f} MB held")
    print(f"peak:                        {tracemalloc.get_traced_memory()[1] / 1024**2:8.1f} MB")
    tracemalloc.stop()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
