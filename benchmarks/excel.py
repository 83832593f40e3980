"""Excel in and out: reading a register workbook, and the app's Excel download of records.

    python -m benchmarks.excel [--rows 20000,100000] [--repeat 3]

Each measurement runs in its own process (its peak resident memory is its own), the two ways
of one task interleaved, the order alternating each repeat, so load on a shared machine falls
on both alike: compare the ratios, not the seconds.

- **read**: the sheet's cells of the demo register written as an .xlsx (as Excel writes it:
  shared strings, real dates), with `citydata.ingest.workbook` (python-calamine) and with the
  openpyxl read-only loop it replaced (kept below as the reference).
- **write**: every record of a database of that many records as the Overview's Excel
  download: `exports.records_xlsx` (DuckDB rows streamed into xlsxwriter's constant-memory
  workbook) and the DataFrame-through-openpyxl writer it replaced (kept below).
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.datasets import DATA

ROOT = Path(__file__).resolve().parent.parent


def _openpyxl_rows(content: bytes) -> int:
    """The reader before python-calamine: openpyxl in read-only mode, cell by cell, then the
    same `layout.tabulate` as `workbook.read_xlsx`."""
    from openpyxl import load_workbook

    from citydata.ingest import layout
    from citydata.ingest.workbook import _cell

    wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    ws = wb[wb.sheetnames[0]]
    ws.reset_dimensions()
    rows = []
    for values in ws.iter_rows(values_only=True):
        row = [_cell(v) if v is not None else None for v in values]
        while row and row[-1] is None:
            row.pop()
        rows.append(row)
    wb.close()
    table = layout.tabulate(
        rows, list(range(1, len(rows) + 1)), ragged=False, unit="Row", max_rows=10_000_000
    )
    return len(table.rows)


def _openpyxl_download(df) -> bytes:
    """The Excel download before streaming: a DataFrame written through pandas and openpyxl."""
    import pandas as pd

    from citydata.output import exports

    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        safe = exports.neutralise(df)
        safe.to_excel(writer, index=False, sheet_name="Contracts")
        sheet = writer.sheets["Contracts"]
        for cells in sheet.iter_rows(min_row=2):
            for cell in cells:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    return buffer.getvalue()


def _workbook_file(rows: int) -> Path:
    path = DATA / f"register-{rows}.xlsx"
    if not path.exists():
        from benchmarks.ingest_prepare import _records, workbook

        DATA.mkdir(parents=True, exist_ok=True)
        path.write_bytes(workbook(_records(rows)))
    return path


def _database(rows: int) -> Path:
    path = DATA / f"excel-{rows}.duckdb"
    if not path.exists():
        from citydata.core import demo
        from citydata.lifecycle import build

        csv = DATA / f"excel-{rows}.csv"
        demo.write_csv(csv, rows=rows)
        build(path, csv=csv)
        csv.unlink()
    return path


def one(task: str, way: str, rows: int) -> dict:
    """Run one measurement in this process."""
    start = time.perf_counter()
    if task == "read":
        import openpyxl  # noqa: F401  (imports outside the clock)

        from citydata.ingest import layout  # noqa: F401
        from citydata.ingest.workbook import read_xlsx

        content = _workbook_file(rows).read_bytes()
        start = time.perf_counter()
        if way == "new":
            table = read_xlsx(content, None, max_rows=10_000_000, max_columns=500)
            out = len(table.rows)
        else:
            out = _openpyxl_rows(content)
        size = len(content)
    else:
        from citydata.output import exports
        from citydata.query import selection
        from citydata.query.filters import FilterState
        from citydata.store.db import Database

        db = Database(_database(rows), read_only=True)
        start = time.perf_counter()
        with db.read() as r:
            if way == "new":
                data = exports.records_xlsx(r, FilterState())
            else:
                data = _openpyxl_download(exports.with_labels(selection.records(r, FilterState())))
        out, size = rows, len(data)
        db.close()
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"seconds": seconds, "rows": out, "bytes": size, "peak": peak}


def _spawn(task: str, way: str, rows: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.excel", "--one", task, way, str(rows)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="20000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one", nargs=3, metavar=("TASK", "WAY", "ROWS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one[0], args.one[1], int(args.one[2]))))
        return 0
    print("| Task | Rows | n | New p50 | Old p50 | New / old (median paired) | New peak RSS "
          "| Old peak RSS | File |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for rows in [int(r) for r in args.rows.split(",")]:
        for task in ("read", "write"):
            _spawn(task, "new", rows)  # make the input files once, outside the clock
            new, old = [], []
            for i in range(args.repeat):
                pair = ("new", "old") if i % 2 == 0 else ("old", "new")
                got = {way: _spawn(task, way, rows) for way in pair}
                new.append(got["new"])
                old.append(got["old"])
            ratio = statistics.median(
                n["seconds"] / o["seconds"] for n, o in zip(new, old, strict=True)
            )
            mib = 1024 * 1024
            print(
                f"| {task} | {rows:,} | {args.repeat} "
                f"| {statistics.median(n['seconds'] for n in new):.2f} s "
                f"| {statistics.median(o['seconds'] for o in old):.2f} s | {ratio:.2f}x "
                f"| {max(n['peak'] for n in new) / mib:.0f} MiB "
                f"| {max(o['peak'] for o in old) / mib:.0f} MiB "
                f"| {new[0]['bytes'] / mib:.1f} MiB |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
