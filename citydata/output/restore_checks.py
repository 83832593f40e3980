"""The checks a restore makes of a backup beyond the archive's own (citydata.output.archive):
its manifest, its stored files' hashes, the region it was made for, every table as the schema
had it at its version, and the restored data making a working database. Each refusal is a
BackupError saying why; nothing is changed.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import duckdb

from citydata.core import authorities, boroughs, regions, settings
from citydata.output import archive
from citydata.output.backup import FORMAT, FORMAT_VERSION, PRODUCT, TABLE_NAME, BackupError
from citydata.store import snapshots, versions
from citydata.store.db import Database, Reader

_HASH = re.compile(r"^[0-9a-f]{64}$")
_REGION_KEY = re.compile(r"^[a-z0-9-]{1,60}$")  # a regions.toml key this version may not know
_REGION_MAX = 10_000  # characters of a manifest's region: a list of every UK council fits
NOT_OURS = (
    "This file is not a City Tools Explorer backup. Choose a .zip file made by 'Download a "
    "backup' or `python -m citydata backup`."
)


def check_region(db: Database, manifest: dict[str, Any], paths: dict[str, Path]) -> None:
    """Refuse a backup of another region's councils as such, before its records are checked:
    it is not damaged, it belongs to an app set up for that region. The region is the
    manifest's, or for a backup made before manifests named it, the smallest region holding
    its councils. Councils no app knows are left to the checks of the records."""
    here = regions.current()
    codes = _codes(db, paths)
    known = authorities.by_code()
    strangers = sorted(codes - here.by_code.keys())
    if not strangers or not all(c in known for c in strangers):
        return
    made_for = _made_for(manifest, codes)
    if made_for is not None and made_for[0] == here.key:
        return  # its records are not its region's: the checks of the records refuse it
    restore = (
        "point CITYTOOLS_DB at a new file (a database is built for that region), then restore "
        "the backup there."
    )
    if made_for is None:
        raise BackupError(
            f"This backup was made for another region: it holds the records of councils "
            f"outside {here.label}, such as {known[strangers[0]].name}. To restore it, set "
            f"{regions.SETTING} to the region it was made for and {restore}"
        )
    key, label = made_for
    raise BackupError(
        f"This backup was made for {label} ({regions.SETTING} = {key}), but this app is set "
        f"up for {here.label} ({regions.SETTING} = {here.key}). To restore it, set "
        f"{regions.SETTING} to {key.removeprefix(regions.CUSTOM_PREFIX)} and {restore}"
    )


def _codes(db: Database, paths: dict[str, Path]) -> set[str]:
    """The councils' codes of the backup's snapshots and records; none when they cannot be
    read (the checks of the tables then say why)."""
    try:
        with db.read() as r:
            found = r.rows(
                "SELECT borough_code FROM read_parquet($s) UNION"
                " SELECT borough_code FROM read_parquet($c)",
                {"s": str(paths["snapshots"]), "c": str(paths["contracts"])},
            )
    except duckdb.Error:
        return set()
    return {c for (c,) in found if isinstance(c, str)}


def _made_for(manifest: dict[str, Any], codes: set[str]) -> tuple[str, str] | None:
    """(key, label) of the region the backup was made for: its manifest's, else the smallest
    region holding its councils; None when neither says."""
    key = manifest.get("region")
    if isinstance(key, str) and len(key) <= _REGION_MAX:
        try:
            region = regions.parse(key)
        except settings.SettingError:  # a region this version does not know, or none at all
            label = manifest.get("region_label")
            if _REGION_KEY.match(key) and isinstance(label, str) and 0 < len(label) <= 60:
                return key, " ".join(label.split())
        else:
            return region.key, region.label
    region = regions.holding(codes)
    return None if region is None else (region.key, region.label)


def check_tables(db: Database, manifest: dict[str, Any], paths: dict[str, Path]) -> None:
    """Every table as the schema had it at the backup's version, the records as an upload
    could have stored them, snapshots and records agreeing; read from the unpacked files."""
    schema = archive.schema_at(manifest["schema_version"])
    with db.read() as r:
        for name, path in paths.items():
            if name not in schema:
                raise BackupError(
                    f"This backup is damaged: its table {name} did not exist in its version."
                )
            archive.check_table(r, name, path, schema[name])
        archive.check_records(r, paths["contracts"])
        if "alert_subscriptions" in paths:
            archive.check_subscriptions(r, paths["alert_subscriptions"])
        if "vendor_aliases" in paths:
            archive.check_aliases(r, paths["vendor_aliases"])
        archive.check_snapshots(r, paths["snapshots"], paths["contracts"])


def read_manifest(zf: zipfile.ZipFile, budget: archive.Budget) -> dict[str, Any]:
    manifest = archive.manifest_json(zf, budget)
    if not isinstance(manifest, dict) or (manifest.get("product"), manifest.get("format")) != (
        PRODUCT,
        FORMAT,
    ):
        raise BackupError(NOT_OURS)
    stated = (manifest.get("format_version"), manifest.get("schema_version"))
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in stated):
        raise BackupError("This backup is damaged: its manifest has no version.")
    if stated[0] > FORMAT_VERSION or stated[1] > versions.SCHEMA_VERSION:
        raise BackupError(
            "This backup was made by a newer version of City Tools Explorer; update the app "
            "before restoring it."
        )
    names = manifest.get("tables")
    if not isinstance(names, dict) or not {"snapshots", "contracts"} <= set(names):
        raise BackupError("This backup is damaged: its list of tables is missing.")
    for name, entry in names.items():
        if not (isinstance(name, str) and TABLE_NAME.match(name)) or not isinstance(entry, dict):
            raise BackupError("This backup is damaged: its list of tables is wrong.")
        if not isinstance(entry.get("rows"), int):
            raise BackupError(f"This backup is damaged: the size of table {name} is missing.")
    if not isinstance(manifest.get("raw_files", []), list):
        raise BackupError("This backup is damaged: its list of stored files is wrong.")
    return manifest


def raw_files(
    zf: zipfile.ZipFile, manifest: dict[str, Any], tmp: Path, budget: archive.Budget
) -> dict[str, Path]:
    """The stored files (hash -> where their bytes were unpacked), each streamed within the
    budget and checked by its SHA-256."""
    files = {}
    for entry in manifest.get("raw_files", []):
        file_hash = str(entry.get("file_hash", "")) if isinstance(entry, dict) else ""
        if not _HASH.match(file_hash):
            raise BackupError("This backup is damaged: a stored file is named wrongly.")
        path = tmp / f"raw-{file_hash}"
        if archive.extract(zf, f"raw/{file_hash}", path, budget) != file_hash:
            raise BackupError(f"This backup is damaged: the stored file {file_hash[:12]}… differs.")
        files[file_hash] = path
    return files


def check_consistent(w: Reader) -> None:
    """Refuse (and so roll back) a restore whose data would not make a working database."""
    orphans = w.scalar(
        "SELECT count(*) FROM contracts WHERE snapshot_id NOT IN (SELECT id FROM snapshots)"
    )
    twice = w.scalar(
        "SELECT count(*) FROM (SELECT borough_code FROM snapshots WHERE status = 'active'"
        " GROUP BY borough_code, kind HAVING count(*) > 1)"
    )
    codes = {c for (c,) in w.rows("SELECT DISTINCT borough_code FROM snapshots")}
    if orphans or twice or codes - set(boroughs.BY_CODE):
        raise BackupError("This backup is damaged: its snapshots and records do not agree.")
    # Each snapshot a register or published notices (an active one of another kind would add
    # its records to the data, beside the register); each record in its own borough's snapshot
    # (one filed under another's stays in the data whatever that borough uploads).
    kinds = w.scalar(
        "SELECT count(*) FROM snapshots WHERE kind IS NULL OR kind NOT IN ($r, $p)",
        {"r": snapshots.REGISTER, "p": snapshots.PUBLISHED},
    )
    if kinds:
        raise BackupError(
            f"This backup is damaged: {kinds:,} of its snapshots "
            f"{'is' if kinds == 1 else 'are'} neither a register nor published notices."
        )
    strays = w.scalar(
        "SELECT count(*) FROM contracts AS c JOIN snapshots AS s ON s.id = c.snapshot_id"
        " WHERE c.borough_code IS DISTINCT FROM s.borough_code"
    )
    if strays:
        raise BackupError(
            f"This backup is damaged: {strays:,} of its records {'is' if strays == 1 else 'are'}"
            f" filed under another {boroughs.noun()}'s snapshot."
        )
