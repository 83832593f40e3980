"""The region a database file holds, and its illustrative data: which region the file was built
for (`region_of`; refused when CITYTOOLS_REGION chooses another, followed when councils recorded
as a list were replaced by the councils that hold their areas now), the embedded illustrative
records stored as one 'demo' snapshot per council (`load_demo`), and those records kept in step
when councils are reorganised (`follow_reorganisations`).

`citydata.lifecycle` builds and opens the file with these.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from citydata.core import authorities, dates, demo, regions, settings
from citydata.core.formatting import count
from citydata.core.schema import FIELD_NAMES, FIELDS
from citydata.store.db import Database, StoreError
from citydata.store.history import ACTIVE_SOURCES
from citydata.store.snapshots import save_raw_file

REGION_KEY = regions.META_KEY  # meta key: the region (Region.key) the database was built for


def region_of(db: Database) -> str:
    """The region a database was built for (a file from before regions existed is London's)."""
    value = db.scalar("SELECT value FROM meta WHERE key = ?", [REGION_KEY])
    return value or regions.DEFAULT


def check_region(db: Database, shown: Path | None = None) -> None:
    """Refuse a database built for another region than CITYTOOLS_REGION chooses (`shown`: the
    file to name, when `db` is a copy of it).

    A list of councils recorded before some of them were replaced (Craven, now North
    Yorkshire) is the same region as the list of the councils that hold their areas now: the
    database is then recorded under the new list."""
    region = regions.current()
    recorded = region_of(db)
    if recorded == region.key:
        return
    followed = followed_region(recorded)
    if followed == region.key:
        with db.write() as w:
            w.execute("UPDATE meta SET value = ? WHERE key = ?", [region.key, REGION_KEY])
        return
    try:
        label = regions.parse(recorded).label
    except settings.SettingError:
        label = recorded
    setting = (followed or recorded).removeprefix(regions.CUSTOM_PREFIX)
    raise settings.SettingError(
        f"The database {shown or db.path} holds the records of {label} "
        f"({regions.SETTING} = {recorded}), "
        f"but this app is set up for {region.label} ({regions.SETTING} = {region.key}). "
        f"Set {regions.SETTING} to {setting}, or point CITYTOOLS_DB at another file (a new "
        "one is built for the region)."
    )


def followed_region(recorded: str) -> str | None:
    """A list of councils, recorded as a region, with each council replaced since by the one
    council that holds its area now; None when that is not a list or a council was split."""
    if not recorded.startswith(regions.CUSTOM_PREFIX):
        return None
    known, now = authorities.by_code(), set()
    for code in recorded.removeprefix(regions.CUSTOM_PREFIX).split(","):
        authority = known.get(code)
        if authority is None:
            return None
        heirs = authorities.holders(authority)
        if len(heirs) != 1:
            return None
        now.add(heirs[0].code)
    return regions.CUSTOM_PREFIX + ",".join(sorted(now))


def outside_demo(db: Database) -> list[tuple[int, str]]:
    """(snapshot id, council code) of each current snapshot holding illustrative data (stored
    so, or rolled back to) of a council no longer in the region: none, most often, found
    without reading the records (this runs whenever the app opens the file)."""
    region = regions.current()
    held = {c for (c,) in db.rows("SELECT borough_code FROM snapshots WHERE status = 'active'")}
    if held <= set(region.by_code):
        return []
    return db.rows(
        f"SELECT id, borough_code FROM ({ACTIVE_SOURCES}) WHERE source = 'demo'"
        " AND borough_code NOT IN (SELECT unnest($codes)) ORDER BY id",
        {"codes": list(region.by_code)},
    )


def follow_reorganisations(db: Database) -> None:
    """Keep the illustrative data in step with the councils of the region when councils are
    replaced (Harrogate and six other districts by North Yorkshire in 2023,
    data/reorganisations.csv): a database built before holds demo records of the old councils.
    Their demo data is superseded (kept, no longer current) and each council that took their
    area and has no data yet gets its own illustrative records. A register or notices stored
    for a council that has since ended are kept as they are, under its old name."""
    region = regions.current()
    gone = outside_demo(db)
    old = sorted({c for _, c in gone})
    if not old:
        return
    held = {c for (c,) in db.rows("SELECT borough_code FROM snapshots WHERE status = 'active'")}
    known = authorities.by_code()
    heirs = {a.code: a for c in old if c in known for a in authorities.holders(known[c])}
    new = [a for code, a in sorted(heirs.items()) if code in region.by_code and code not in held]
    with db.write() as w:
        w.execute(
            "UPDATE snapshots SET status = 'superseded' WHERE status = 'active'"
            " AND id IN (SELECT unnest($ids))",
            {"ids": [i for i, _ in gone]},
        )
    if new:
        with tempfile.TemporaryDirectory(prefix="citytools-demo-") as folder:
            made = Path(folder) / "demo_contracts_reorganised.csv"
            demo.write_csv(made, rows=demo.rows_for(new), authorities=new)
            load_demo(db, made)


# A file bigger than this (a generated benchmark set, never an upload) keeps only its hash:
# `python -m citydata demo --rows N --seed S` makes the same bytes again.
RAW_FILE_MAX_BYTES = 64 * 1024 * 1024


def load_demo(db: Database, csv: Path) -> None:
    """Store the embedded CSV as one active 'demo' snapshot per borough.

    DuckDB streams the file twice (counts per borough, then one INSERT); it is never held whole
    in memory, so a 10-million-record set builds in well under 1 GB. Its bytes go to raw_files
    when it is at most RAW_FILE_MAX_BYTES.
    """
    with csv.open("rb") as handle:
        file_hash = hashlib.file_digest(handle, "sha256").hexdigest()
    columns = {f.name: f.sql_type for f in FIELDS} | {"source": "VARCHAR"}
    source = "read_csv($csv, header = true, delim = ',', quote = '\"', columns = $columns)"
    params = {"csv": str(csv), "columns": columns}
    now = dates.now()
    with db.write() as w:
        if csv.stat().st_size <= RAW_FILE_MAX_BYTES:
            save_raw_file(w, csv.name, csv.read_bytes())
        counts = w.rows(
            f"SELECT borough_code, count(*) FROM {source} GROUP BY ALL ORDER BY 1", params
        )
        region = regions.current()
        strangers = [code for code, _ in counts if code not in region.by_code]
        if strangers:
            raise StoreError(
                f"{csv.name} holds records of {count(len(strangers), 'authority', 'authorities')}"
                f" outside {region.label} (for example {strangers[0]}). Nothing was changed."
            )
        ids = []
        for code, n in counts:
            snapshot_id = w.scalar("SELECT nextval('snapshot_ids')")
            w.execute(
                "INSERT INTO snapshots (id, borough_code, created_at, file_name, file_hash,"
                " rows_imported, rows_rejected, status, source, created_by, note)"
                " VALUES (?, ?, ?, ?, ?, ?, 0, 'active', 'demo', 'City Tools Explorer', ?)",
                [snapshot_id, code, now, csv.name, file_hash, n, "Illustrative default data"],
            )
            ids.append(snapshot_id)
        w.execute(
            f"INSERT INTO contracts (snapshot_id, record_no, {', '.join(FIELD_NAMES)}, source)"
            " SELECT s.id, c.record_no, "
            f"{', '.join(f'c.{name}' for name in FIELD_NAMES)}, c.source"
            f" FROM (SELECT *, row_number() OVER () AS record_no FROM {source}) AS c"
            " JOIN (SELECT unnest($codes) AS code, unnest($ids) AS id) AS s"
            " ON s.code = c.borough_code",
            params | {"codes": [code for code, _ in counts], "ids": ids},
        )
