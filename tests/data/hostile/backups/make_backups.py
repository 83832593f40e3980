"""Write the hostile backups the restore tests read (run from the repository root).

    python tests/data/hostile/backups/make_backups.py

Each file is a backup made by the app from the embedded data, then changed in one way: a zip
built to exhaust memory or break the reader, a manifest built to break the parser, or tables
whose columns or values an upload would never have stored. Every one must be refused with one
plain message and change nothing (tests/test_hostile_backups.py). The base backup holds a
creation time and parquet files, so a rebuilt file differs byte for byte; what it attacks does
not. This script lists them in ../README.md through `BACKUPS` (make_files.py reads it).
"""

from __future__ import annotations

import io
import json
import struct
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
Builder = Callable[[bytes, Path], bytes]
BACKUPS: dict[str, tuple[Builder, str]] = {}  # name -> (builder(base, tmp), what it attacks)
DECLARED_BYTES = 2 * 1024**3  # the bomb's one member unpacks to 2 GiB of zeros


def backup(name: str, what: str) -> Callable[[Builder], Builder]:
    def register(fn: Builder) -> Builder:
        BACKUPS[name] = (fn, what)
        return fn

    return register


# ---- building blocks ----------------------------------------------------------------------------


def base_backup(tmp: Path) -> bytes:
    """A backup of a database built from the embedded data, as 'Download a backup' makes it."""
    sys.path.insert(0, str(ROOT))
    from citydata import lifecycle
    from citydata.output import backup as backups

    db = lifecycle.open_store(lifecycle.build(tmp / "base.duckdb"))
    try:
        return backups.archive_bytes(db)
    finally:
        db.close()


def rewrite(archive: bytes, change: Callable[[str, bytes], bytes | None]) -> bytes:
    """A copy of `archive` with members changed by change(name, data) -> data | None (drop)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = change(info.filename, src.read(info.filename))
            if data is not None:
                dst.writestr(info, data)
    return out.getvalue()


def edit_table(archive: bytes, tmp: Path, table: str, select: str) -> bytes:
    """`archive` with `table` replaced by `select` over it (FROM t), manifest counts updated."""
    import duckdb

    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        source = tmp / f"{table}.in.parquet"
        source.write_bytes(z.read(f"tables/{table}.parquet"))
    target = tmp / f"{table}.out.parquet"
    con = duckdb.connect()
    con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet('{source}')")
    con.execute(f"COPY ({select}) TO '{target}' (FORMAT parquet)")
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{target}')").fetchone()[0]
    columns = [
        c for (c, *_) in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{target}')").fetchall()
    ]
    con.close()

    def change(name: str, data: bytes) -> bytes:
        if name == f"tables/{table}.parquet":
            return target.read_bytes()
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["tables"][table] = {"rows": rows, "columns": columns}
            return json.dumps(manifest, indent=2).encode()
        return data

    return rewrite(archive, change)


def patch_member(archive: bytes, name: str, patch: Callable[[bytearray, int, bool], None]) -> bytes:
    """`archive` with the local header and central directory entry of `name` patched in place:
    patch(content, header offset, is_central)."""
    content = bytearray(archive)
    for signature, name_at, length_at, central in (
        (b"PK\x03\x04", 30, 26, False),
        (b"PK\x01\x02", 46, 28, True),
    ):
        at = content.find(signature)
        while at != -1:
            length = struct.unpack_from("<H", content, at + length_at)[0]
            if content[at + name_at : at + name_at + length] == name.encode():
                patch(content, at, central)
            at = content.find(signature, at + 4)
    return bytes(content)


def zeros_member(name: str, size: int) -> tuple[bytes, bytes, int]:
    """(local header + data, central entry, data length) of a deflated member of `size` zero
    bytes, made from one repeated full-flush block (fast: the zeros are never all in memory)."""
    chunk = 1 << 20
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(bytes(chunk)) + c.flush(zlib.Z_FULL_FLUSH)
    data = block * (size // chunk) + b"\x03\x00"  # and a final, empty, fixed-Huffman block
    crc = 0
    for _ in range(size // chunk):
        crc = zlib.crc32(bytes(chunk), crc)
    raw = name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size,
                        len(raw), 0) + raw  # fmt: skip
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc,
                          len(data), size, len(raw), 0, 0, 0, 0, 0, 0) + raw  # fmt: skip
    return local + data, central, len(data)


def with_extra_member(archive: bytes, name: str, size: int) -> bytes:
    """`archive` plus a member of `size` zero bytes, built by hand (zipfile would inflate it)."""
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        end = archive.rfind(b"PK\x05\x06")
        count, cd_size, cd_offset = struct.unpack_from("<HII", archive, end + 10)
    body, central, _ = zeros_member(name, size)
    head = archive[:cd_offset]
    directory = archive[cd_offset : cd_offset + cd_size]
    # the new entry's header offset goes at byte 42 of its central entry
    central = central[:42] + struct.pack("<I", len(head)) + central[46:]
    new_cd_offset = len(head) + len(body)
    record = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count + 1, count + 1,
                         cd_size + len(central), new_cd_offset, 0)  # fmt: skip
    del z
    return head + body + directory + central + record


# ---- the backups --------------------------------------------------------------------------------


@backup("backup_declares_2gib.zip", "a member of 2 GiB of zeros in about 2 MB (a zip bomb)")
def _bomb(base: bytes, tmp: Path) -> bytes:
    return with_extra_member(base, "raw/padding", DECLARED_BYTES)


@backup("backup_lying_sizes.zip", "a table that inflates to 64 MB but claims to be 2 KB")
def _lying(base: bytes, tmp: Path) -> bytes:
    out = rewrite(
        base,
        lambda n, d: d + bytes(64 << 20) if n == "tables/vendor_aliases.parquet" else d,
    )

    def claim(content: bytearray, at: int, central: bool) -> None:
        struct.pack_into("<I", content, at + (24 if central else 22), 2048)

    return patch_member(out, "tables/vendor_aliases.parquet", claim)


@backup("backup_corrupt_deflate.zip", "the records table's compressed bytes overwritten half way")
def _corrupt(base: bytes, tmp: Path) -> bytes:
    content = bytearray(base)
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        info = z.getinfo("tables/contracts.parquet")
    length = struct.unpack_from("<H", content, info.header_offset + 26)[0]
    extra = struct.unpack_from("<H", content, info.header_offset + 28)[0]
    start = info.header_offset + 30 + length + extra
    middle = start + info.compress_size // 2
    content[middle : middle + 64] = bytes(range(64))
    return bytes(content)


@backup("backup_deep_manifest.zip", "a manifest of arrays nested 100,000 deep")
def _deep(base: bytes, tmp: Path) -> bytes:
    deep = b"[" * 100_000 + b"]" * 100_000
    return rewrite(base, lambda n, d: deep if n == "manifest.json" else d)


@backup("backup_encrypted_member.zip", "the records table marked as encrypted")
def _encrypted(base: bytes, tmp: Path) -> bytes:
    def encrypt(content: bytearray, at: int, central: bool) -> None:
        offset = at + (8 if central else 6)
        flags = struct.unpack_from("<H", content, offset)[0]
        struct.pack_into("<H", content, offset, flags | 0x1)

    return patch_member(base, "tables/contracts.parquet", encrypt)


@backup("backup_unknown_compression.zip", "the records table in compression method 97 (WavPack)")
def _unknown_compression(base: bytes, tmp: Path) -> bytes:
    def method(content: bytearray, at: int, central: bool) -> None:
        struct.pack_into("<H", content, at + (10 if central else 8), 97)

    return patch_member(base, "tables/contracts.parquet", method)


@backup(
    "backup_records_without_service_area.zip", "the records table lacks its service_area column"
)
def _missing_column(base: bytes, tmp: Path) -> bytes:
    return edit_table(base, tmp, "contracts", "SELECT * EXCLUDE (service_area) FROM t")


@backup("backup_satisfaction_99.zip", "a record with satisfaction 99 (scores run 1 to 5)")
def _satisfaction(base: bytes, tmp: Path) -> bytes:
    return edit_table(base, tmp, "contracts",
                      "SELECT * REPLACE (CASE WHEN record_no = 1 THEN 99 ELSE satisfaction END"
                      " AS satisfaction) FROM t")  # fmt: skip


@backup("backup_negative_value.zip", "a record with an annual value of -5,000")
def _negative(base: bytes, tmp: Path) -> bytes:
    return edit_table(base, tmp, "contracts",
                      "SELECT * REPLACE (CASE WHEN record_no = 1 THEN -5000 ELSE annual_value END"
                      " AS annual_value) FROM t")  # fmt: skip


@backup("backup_unknown_service_area.zip", "a record in the service area 'Moon Base'")
def _area(base: bytes, tmp: Path) -> bytes:
    return edit_table(base, tmp, "contracts",
                      "SELECT * REPLACE (CASE WHEN record_no = 1 THEN 'Moon Base' ELSE service_area"
                      " END AS service_area) FROM t")  # fmt: skip


@backup("backup_end_in_1700.zip", "a record whose contract ends on 31 March 1700")
def _ancient(base: bytes, tmp: Path) -> bytes:
    return edit_table(base, tmp, "contracts",
                      "SELECT * REPLACE (CASE WHEN record_no = 1 THEN DATE '1700-03-31' ELSE"
                      " contract_end END AS contract_end) FROM t")  # fmt: skip


@backup("backup_empty.zip", "no snapshots and no records at all")
def _empty(base: bytes, tmp: Path) -> bytes:
    emptied = edit_table(base, tmp, "contracts", "SELECT * FROM t LIMIT 0")
    return edit_table(emptied, tmp, "snapshots", "SELECT * FROM t LIMIT 0")


@backup("backup_value_as_text.zip", "the annual value column holding words")
def _typed(base: bytes, tmp: Path) -> bytes:
    return edit_table(base, tmp, "contracts",
                      "SELECT * REPLACE (CASE WHEN record_no = 1 THEN 'lots' ELSE"
                      " CAST(annual_value AS VARCHAR) END AS annual_value) FROM t")  # fmt: skip


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = base_backup(Path(tmp))
        for name, (build, _) in BACKUPS.items():
            (HERE / name).write_bytes(build(base, Path(tmp)))


if __name__ == "__main__":
    main()
