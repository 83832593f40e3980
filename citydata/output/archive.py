"""Reading a backup archive without trusting it.

A restore replaces everything, so the archive is checked in full before the live database is
touched:
- its size: at most MAX_ARCHIVE_BYTES, known from the file system before anything is read;
- the zip itself: no encrypted member, only stored or deflated ones, and what it unpacks to
  within a byte budget (a multiple of the archive's own size), counted while each member is
  streamed to a temporary file: a member is never read whole into memory;
- the manifest: at most MANIFEST_MAX_BYTES, plain JSON (too deep a nesting is refused);
- every table: exactly the columns the schema had at the backup's version, values of the
  right types, required values present, and the records' values the ones an upload could have
  stored (the same normalisers as `citydata.ingest`: a stored value must come out of its
  normaliser unchanged), snapshots and records agreeing, no empty backup.

Whatever goes wrong, the caller gets one BackupError with a plain reason.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from citydata.core import boroughs
from citydata.core.formatting import count
from citydata.ingest import dates, normalise
from citydata.store import subscriptions, vendors, versions
from citydata.store.db import Reader

MAX_UNPACKED_BYTES = 4 * 1024**3  # whatever the archive's size
# The largest backup file restored: what it unpacks to is at least about its size, and at most
# MAX_UNPACKED_BYTES, so a bigger one could never be restored (refused before it is read).
MAX_ARCHIVE_BYTES = MAX_UNPACKED_BYTES
MIN_BUDGET_BYTES = 64 * 1024**2  # a small archive may still unpack to this much
BUDGET_RATIO = 50  # an archive may unpack to this many times its own size (our own: about 3)
MANIFEST_MAX_BYTES = 16 * 1024**2
MAX_MEMBERS = 200_000
CHUNK = 1024**2
DAMAGED = "This backup is damaged or was not made by City Tools Explorer"


class ArchiveError(Exception):
    """Why an archive cannot be restored (restores.restore turns it into a BackupError)."""


def refuse(reason: str) -> ArchiveError:
    return ArchiveError(f"{DAMAGED}: {reason}.")


def too_big(size: int) -> str:
    """Why a backup file of `size` bytes, more than MAX_ARCHIVE_BYTES, is refused."""
    return (
        f"This backup is {_mb(size)}; the largest backup this app restores is "
        f"{_mb(MAX_ARCHIVE_BYTES)}."
    )


def _mb(size: int) -> str:
    return f"{size / 1024**2:,.0f} MB"


@contextmanager
def reading() -> Iterator[None]:
    """Turn every way a hostile zip can fail (corrupt data, bad CRC, encryption, unknown
    compression, deep JSON) into one plain refusal."""
    try:
        yield
    except ArchiveError:
        raise
    except (zlib.error, zipfile.BadZipFile, EOFError) as exc:
        raise refuse("its compressed data is corrupt") from exc
    except NotImplementedError as exc:
        raise refuse("it uses a kind of compression this app does not read") from exc
    except RecursionError as exc:  # before RuntimeError, of which it is a kind
        raise refuse("its manifest is nested too deeply") from exc
    except RuntimeError as exc:  # zipfile: "File ... is encrypted, password required"
        raise refuse("part of it is encrypted") from exc
    except (OSError, ValueError, OverflowError, zipfile.LargeZipFile) as exc:
        raise refuse("it cannot be read") from exc


class Budget:
    """Bytes an archive may still unpack to; spending past it refuses the archive."""

    def __init__(self, archive_size: int):
        for_its_size = max(MIN_BUDGET_BYTES, BUDGET_RATIO * archive_size)
        self.left = min(MAX_UNPACKED_BYTES, for_its_size)
        self.total = self.left
        self.capped = for_its_size > MAX_UNPACKED_BYTES  # the most any restore unpacks

    def spend(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise self.exceeded(None)

    def exceeded(self, declared: int | None) -> ArchiveError:
        """An archive that unpacks to more than the budget (`declared` bytes, as its directory
        says; None: found while unpacking): too big for any restore (a large archive), or far
        more than its size can honestly hold (a small one)."""
        if declared is None:
            unpacks = f"it unpacks to more than {_mb(self.total)}"
        else:
            unpacks = f"it says it unpacks to {_mb(declared)}"
        if not self.capped:
            return refuse(f"{unpacks}, far more than a backup of its size holds")
        if declared is None:
            return ArchiveError(
                f"This backup is too big to restore: {unpacks}, the most a restore unpacks."
            )
        return ArchiveError(
            f"This backup is too big to restore: {unpacks}, and the most a restore unpacks "
            f"is {_mb(MAX_UNPACKED_BYTES)}."
        )


def check_members(zf: zipfile.ZipFile, budget: Budget) -> None:
    """Refuse, before unpacking anything, what the zip's directory already gives away."""
    members = zf.infolist()
    if len(members) > MAX_MEMBERS:
        raise refuse(f"it holds {len(members):,} files")
    for info in members:
        if info.flag_bits & 0x1:
            raise refuse("part of it is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise refuse("it uses a kind of compression this app does not read")
    declared = sum(i.file_size for i in members)
    if declared > budget.total:
        raise budget.exceeded(declared)


def extract(zf: zipfile.ZipFile, name: str, target: Path, budget: Budget) -> str:
    """Stream member `name` to `target` in chunks, within the budget; its SHA-256."""
    try:
        info = zf.getinfo(name)
    except KeyError as exc:
        raise refuse(f"{name} is missing") from exc
    digest = hashlib.sha256()
    with reading(), zf.open(info) as source, target.open("wb") as out:
        while chunk := source.read(CHUNK):
            budget.spend(len(chunk))
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def manifest_json(zf: zipfile.ZipFile, budget: Budget) -> Any:
    """The manifest's JSON, read within MANIFEST_MAX_BYTES; None when there is none."""
    try:
        info = zf.getinfo("manifest.json")
    except KeyError:
        return None
    data = bytearray()
    with reading(), zf.open(info) as source:
        while chunk := source.read(CHUNK):
            budget.spend(len(chunk))
            data += chunk
            if len(data) > MANIFEST_MAX_BYTES:
                raise refuse("its manifest is far too large")
    with reading():
        try:
            return json.loads(bytes(data))
        except (ValueError, UnicodeDecodeError) as exc:
            raise refuse("its manifest is not readable") from exc


# ---- the tables ---------------------------------------------------------------------------------


def schema_at(version: int) -> dict[str, dict[str, tuple[str, bool]]]:
    """{table: {column: (type, required)}} as the schema was at `version` (the frozen
    migrations, run in a throwaway in-memory database)."""
    con = duckdb.connect(":memory:")
    try:
        r = Reader(con.cursor())
        for step in versions.MIGRATIONS[:version]:
            step(r)
        out: dict[str, dict[str, tuple[str, bool]]] = {}
        for table, column, kind, nullable in r.rows(
            "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns"
            " WHERE table_schema = 'main' AND table_name IN (SELECT table_name FROM"
            " information_schema.tables WHERE table_type = 'BASE TABLE') ORDER BY ordinal_position"
        ):
            out.setdefault(table, {})[column] = (kind, nullable == "NO")
        return out
    finally:
        con.close()


def check_table(r: Reader, name: str, path: Path, expected: dict[str, tuple[str, bool]]) -> None:
    """The parquet file of table `name` has the schema's columns, types and required values."""
    try:
        described = r.rows("DESCRIBE SELECT * FROM read_parquet($p)", {"p": str(path)})
        found = [c for (c, *_) in described]
    except duckdb.Error as exc:
        raise refuse(f"its table {name} cannot be read") from exc
    if name == "raw_files":
        expected = {c: v for c, v in expected.items() if c != "content"}
    missing = [c for c in expected if c not in found]
    extra = [c for c in found if c not in expected]
    if missing:
        raise refuse(f"its table {name} has no column {', '.join(missing)}")
    if extra:
        unknown = ", ".join(extra)
        raise refuse(f"its table {name} has columns this version does not know ({unknown})")
    for column, (kind, required) in expected.items():
        q = '"' + column.replace('"', '""') + '"'
        bad = r.scalar(
            f"SELECT count(*) FROM read_parquet($p) WHERE ({q} IS NOT NULL AND"
            f" TRY_CAST({q} AS {kind}) IS NULL)" + (f" OR {q} IS NULL" if required else ""),
            {"p": str(path)},
        )
        if bad:
            what = "blank or of the wrong kind" if required else "of the wrong kind"
            raise refuse(f"its table {name} has {count(bad, 'value')} in {column} {what}")


def _stored_text(value: Any) -> normalise.Result:
    """Text as an upload stores it: trimmed, not blank, no control character. (Not run
    through clean_text again: text stored by an earlier version need not be a fixed point of
    today's cleaning, e.g. an apostrophe before '=' that a second pass would take off.)"""
    text = str(value)
    if not text.strip() or text != text.strip() or _CONTROL.search(text):
        return None, "blank, untrimmed or holding control characters", None
    return value, None, None


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Each records column and the upload's normaliser its stored values must pass unchanged.
_RULES: dict[str, Callable[[Any], normalise.Result]] = {
    "service_area": normalise.area_result,
    "system": _stored_text,
    "vendor": _stored_text,
    "manufacturer": _stored_text,
    "hosting": normalise.hosting_result,
    "satisfaction": normalise.satisfaction_result,
    "source_ref": _stored_text,
    # since schema 8 (a backup made before has neither column)
    "skill_level": normalise.skill_result,
    "contact_role": normalise.role_result,
}


def check_records(r: Reader, path: Path) -> None:
    """The records hold only what an upload could have stored."""
    src = {"p": str(path)}
    present = {c for (c, *_) in r.rows("DESCRIBE SELECT * FROM read_parquet($p)", src)}
    for column, rule in _RULES.items():
        if column not in present:
            continue
        # (streamed: a million records may hold a million different references)
        for (value,) in r.stream(f"SELECT DISTINCT {column} FROM read_parquet($p)", src):
            if value is None and column != "service_area":
                continue
            stored, refused, _ = rule(value)
            if refused or stored != value:
                raise refuse(f"its records hold {column} {_show(value)}, which an upload refuses")
    for (value,) in r.stream(
        "SELECT DISTINCT annual_value FROM read_parquet($p) WHERE annual_value IS NOT NULL", src
    ):
        if normalise.money_result(str(value))[1]:
            raise refuse(f"its records hold the annual value {value}, which an upload refuses")
    low, high = dates.MIN_YEAR, dates.MAX_YEAR
    for column in ("contract_start", "contract_end"):
        bad = r.scalar(
            f"SELECT min({column}) FROM read_parquet($p) WHERE year({column}) NOT BETWEEN"
            f" {low} AND {high}",
            src,
        )
        if bad is not None:
            raise refuse(f"its records hold the date {bad} in {column} (years {low} to {high})")
    backwards = r.scalar(
        "SELECT count(*) FROM read_parquet($p) WHERE contract_end < contract_start", src
    )
    if backwards:
        ends = "ends before it starts" if backwards == 1 else "end before they start"
        raise refuse(f"{backwards:,} of its records {ends}")
    neither = r.scalar(
        "SELECT count(*) FROM read_parquet($p) WHERE system IS NULL AND vendor IS NULL", src
    )
    if neither:
        names = "names" if neither == 1 else "name"
        raise refuse(f"{neither:,} of its records {names} neither a system nor a vendor")
    for code, name in r.rows("SELECT DISTINCT borough_code, borough FROM read_parquet($p)", src):
        known = boroughs.BY_CODE.get(code)
        if known is None or known.name != name:
            raise refuse(f"its records hold the {boroughs.noun()} {_show(name)} ({_show(code)})")


def check_snapshots(r: Reader, snapshots_path: Path, records_path: Path) -> None:
    """Snapshots and records agree, and there is something to restore."""
    p = {"s": str(snapshots_path), "c": str(records_path)}
    if not r.scalar("SELECT count(*) FROM read_parquet($s) WHERE status = 'active'", {"s": p["s"]}):
        raise refuse("it holds no current snapshot: it would leave the app with no data")
    empty = r.scalar(
        "SELECT count(*) FROM read_parquet($s) AS s WHERE s.status = 'active' AND NOT EXISTS"
        " (SELECT 1 FROM read_parquet($c) AS c WHERE c.snapshot_id = s.id)",
        p,
    )
    if empty:
        raise refuse(f"{empty:,} of its current snapshots hold no records")
    unknown = [
        code
        for (code,) in r.rows("SELECT DISTINCT borough_code FROM read_parquet($s)", {"s": p["s"]})
        if code not in boroughs.BY_CODE
    ]
    if unknown:
        raise refuse(
            f"its snapshots are for {boroughs.noun(2)} this app does not know ({_show(unknown[0])})"
        )


def check_aliases(r: Reader, path: Path) -> None:
    """Every vendor grouping as the Vendor names page could have stored it: the spelling's key
    as spellings are folded (another key groups nothing), under a vendor's name as a record
    stores one (not blank, trimmed, no control character, at most 200 characters), and never
    in a chain or a loop (a vendor's own spelling grouped under another vendor), which the
    page resolves to the final vendor as it stores a grouping."""
    src = {"p": str(path)}
    for alias, vendor in r.stream("SELECT alias, vendor FROM read_parquet($p)", src):
        if not alias or vendors.fold(alias) != alias:
            raise refuse(f"its vendor aliases hold the key {_show(alias)}, which no name gives")
        if _stored_text(vendor)[1] or len(vendor) > vendors.MAX_NAME:
            raise refuse(f"its vendor aliases group spellings under {_show(vendor)}")
    if found := vendors.chain(r, path):
        alias, vendor, further = found
        raise refuse(
            f"its vendor aliases group {_show(alias)} under {_show(vendor)}, itself grouped "
            f"under {_show(further)}: a chain or loop of groupings the Vendor names page "
            "never stores"
        )


def check_subscriptions(r: Reader, path: Path) -> None:
    """Every alert as the Alerts page or `alerts add` could have stored it: a webhook only at
    an https address, a calendar feed named as the app names one (its name becomes a file's:
    `../x` would write outside the feeds' folder)."""
    columns = {c for (c, *_) in r.rows("DESCRIBE SELECT * FROM read_parquet($p)", {"p": str(path)})}
    if not set(subscriptions.COLUMNS) <= columns:
        return  # (check_table names what is missing)
    fields = ", ".join(subscriptions.COLUMNS)
    for row in r.stream(f"SELECT {fields} FROM read_parquet($p)", {"p": str(path)}):
        sub = subscriptions.Subscription(**dict(zip(subscriptions.COLUMNS, row, strict=True)))
        try:
            subscriptions.check_stored(sub)
        except subscriptions.SubscriptionError as exc:
            why = str(exc).rstrip(".")
            why = why[:1].lower() + why[1:]
            raise refuse(f"its alert {sub.id} ({_show(sub.name)}) cannot be used: {why}") from exc


def _show(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
