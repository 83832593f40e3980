"""The performance targets the results are judged against (RESULTS.md marks each met or missed).

Each applies at exactly one data-set size, given in records.
"""

from __future__ import annotations

GIB = 1024**3

# At 1M records: every page's warm script run, and the data layer next to raw DuckDB.
PAGE_WARM_P50_SECONDS = (1_000_000, 0.300)
QUERY_OVERHEAD_RATIO = (1_000_000, 1.5)

# At 10M records: every page still answers (warm and cold), and no step needs 3 GB.
PAGE_ANSWER_SECONDS = (10_000_000, 2.0)
PEAK_MEMORY_BYTES = (10_000_000, 3 * GIB)

# For a 100k- and a 1M-row register: the import at least half as fast as DuckDB's read_csv.
IMPORT_SPEED_SHARE = ((100_000, 1_000_000), 0.5)
# ... and at 1M rows the import's peak memory under 1 GiB.
IMPORT_PEAK_BYTES = (1_000_000, 1 * GIB)
