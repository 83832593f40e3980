"""How long `citydata.ingest.prepare` takes on a large register, in the shapes people upload.

    python -m benchmarks.ingest_prepare [--rows 100000] [--repeat 3]

The register is the demo generator's, written three ways: the app's own export (canonical names,
ISO dates, plain amounts); a council's own spreadsheet saved as CSV (labels, a title line,
UK dates, '£1,234.00' amounts, Windows-1252); and an XLSX workbook of the same rows. Target: a
100,000-row register prepared in a few seconds (CSV), every value checked.
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import time

from openpyxl import Workbook

from citydata.core import demo
from citydata.core.schema import FIELDS
from citydata.ingest import prepare

TARGET_SECONDS = 5.0


def _records(rows: int) -> list[dict]:
    return list(demo.iter_records(rows=rows, seed=demo.DEFAULT_SEED))


def export_csv(records: list[dict]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=[f.name for f in FIELDS], extrasaction="ignore")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue().encode("utf-8")


def council_csv(records: list[dict]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["ICT contracts register", "", "", ""])
    writer.writerow([f.label for f in FIELDS])
    for r in records:
        row = []
        for f in FIELDS:
            value = r.get(f.name)
            if f.sql_type == "DATE" and value:
                value = f"{value:%d/%m/%Y}" if hasattr(value, "day") else value
            elif f.name == "annual_value" and value:
                value = f"£{float(value):,.2f}"
            row.append("" if value is None else value)
        writer.writerow(row)
    return out.getvalue().encode("cp1252", errors="replace")


def workbook(records: list[dict]) -> bytes:
    wb = Workbook()  # not write_only: that writes inline strings, which Excel never does
    ws = wb.active
    ws.title = "Contracts"
    ws.append([f.label for f in FIELDS])
    for r in records:
        ws.append([r.get(f.name) for f in FIELDS])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def measure(content: bytes, name: str, repeat: int) -> tuple[float, float, int, int]:
    """(median wall seconds, median CPU seconds, rows accepted, rows refused)."""
    wall, cpu, prepared = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        prepared = prepare(content, name)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    assert prepared is not None and prepared.refused is None, prepared and prepared.refused
    return (
        statistics.median(wall),
        statistics.median(cpu),
        len(prepared.records),
        prepared.rows_refused,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    records = _records(args.rows)
    shapes = [
        ("export.csv", export_csv(records)),
        ("council.csv", council_csv(records)),
        ("register.xlsx", workbook(records)),
    ]
    print(f"prepare() on {args.rows:,} records (median of {args.repeat})")
    worst_csv = 0.0
    for name, content in shapes:
        seconds, cpu, accepted, refused = measure(content, name, args.repeat)
        if name.endswith(".csv"):
            worst_csv = max(worst_csv, seconds)
        print(
            f"  {name:14} {len(content) / 1e6:6.1f} MB  {seconds:6.2f} s ({cpu:.2f} s CPU)  "
            f"{accepted:,} accepted, {refused:,} refused"
        )
    met = worst_csv <= TARGET_SECONDS
    print(f"target: CSV <= {TARGET_SECONDS:.0f} s at 100,000 rows: {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
