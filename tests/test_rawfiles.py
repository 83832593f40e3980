"""The bytes of every uploaded file are kept exactly, in compressed pieces (schema version 9)."""

from __future__ import annotations

import hashlib
import io
import random
import shutil
import zipfile

import pytest

from citydata import ingest, lifecycle
from citydata.cli import main
from citydata.output import backup, restores
from citydata.store import previews, rawfiles, snapshots, versions
from citydata.store.db import Database
from tests.snapshot_helpers import dump

CAMDEN = "E09000007"


def large_register(rows: int = 150_000) -> bytes:
    """A register of several pieces' worth of bytes, with a tail no compressor can shrink."""
    lines = ["borough,system,vendor,annual_value"]
    lines += [f"Camden,System {i % 997},Vendor {i % 311},{i * 7 % 100_000}.50" for i in range(rows)]
    noise = random.Random(3).randbytes(rawfiles.CHUNK + 123)  # not compressible at all
    return ("\r\n".join(lines) + "\r\n").encode("utf-8") + noise


def test_a_large_file_comes_back_byte_for_byte_from_compressed_pieces(db):
    content = large_register()
    assert len(content) > 2 * rawfiles.CHUNK
    with db.write() as w:
        file_hash = rawfiles.save(w, "register.csv", content)
    with db.read() as r:
        assert rawfiles.content(r, file_hash) == content
        assert rawfiles.verified(r, file_hash) == content
        pieces = r.rows(
            "SELECT compression, octet_length(content) FROM raw_file_chunks"
            " WHERE file_hash = $h ORDER BY chunk_no",
            {"h": file_hash},
        )
        listed = [f for f in rawfiles.listing(r) if f[0] == file_hash]
    assert file_hash == hashlib.sha256(content).hexdigest()
    assert len(pieces) == -(-len(content) // rawfiles.CHUNK) > 2
    assert {kind for kind, _ in pieces} == {rawfiles.ZSTD}
    assert sum(size for _, size in pieces) < len(content) * 0.6  # the text part shrinks
    assert listed == [(file_hash, "register.csv", len(content))]


def test_the_same_file_twice_is_kept_once_and_an_empty_file_is_kept_too(db):
    with db.write() as w:
        first = rawfiles.save(w, "a.csv", b"x,y\n1,2\n")
        again = rawfiles.save(w, "renamed.csv", b"x,y\n1,2\n")
        empty = rawfiles.save(w, "empty.csv", b"")
    with db.read() as r:
        assert first == again
        assert r.scalar("SELECT count(*) FROM raw_files WHERE file_hash = $h", {"h": first}) == 1
        assert r.scalar("SELECT file_name FROM raw_files WHERE file_hash = $h", {"h": first}) == (
            "a.csv"
        )
        assert rawfiles.content(r, first) == b"x,y\n1,2\n"
        assert rawfiles.content(r, empty) == b""
        assert rawfiles.content(r, "0" * 64) is None


def test_a_refused_commit_writes_no_bytes(db):
    content = large_register(20_000)
    before = dump(db)
    with db.read() as r:
        current = snapshots.active(r)[CAMDEN]
    records = db.df(
        "SELECT * FROM current_contracts WHERE borough_code = $c ORDER BY record_no",
        {"c": CAMDEN},
    )
    p = ingest.prepare(records.to_csv(index=False).encode("utf-8"), "camden.csv")
    # the same records as Camden's current data: nothing would change
    with pytest.raises(snapshots.NothingChanged):
        snapshots.commit(db, p, content, "ann")
    # someone else changed Camden since the preview
    with pytest.raises(previews.CommitRefused):
        snapshots.commit(db, p, content, "ann", expect={CAMDEN: current + 1000})
    # a write that fails after the bytes were saved is rolled back whole
    with pytest.raises(RuntimeError), db.write() as w:
        rawfiles.save(w, "camden.csv", content)
        raise RuntimeError("a later step failed")
    assert dump(db) == before


def test_files_stored_before_version_9_are_carried_over_and_stay_readable(tmp_path):
    path = tmp_path / "v8.duckdb"
    old_bytes = {
        "a" * 64: b"borough,system\nCamden,Open Housing\n",
        "b" * 64: bytes(range(256)) * 1000,  # any bytes at all, NULs included
    }
    db = Database(path)
    versions.migrate(db, target=8, data=lifecycle.DATA_LOADS)
    with db.write() as w:
        for file_hash, content in old_bytes.items():
            w.execute(
                "INSERT INTO raw_files VALUES ($h, 'old.csv', $n, $c, now())",
                {"h": file_hash, "n": len(content), "c": content},
            )
    db.close()

    db = lifecycle.open_store(path)  # migrates to the current version
    try:
        with db.read() as r:
            assert versions.schema_version(r) == versions.SCHEMA_VERSION >= 9
            columns = [c for (c, *_) in r.rows("DESCRIBE raw_files")]
            assert "content" not in columns
            for file_hash, content in old_bytes.items():
                assert rawfiles.content(r, file_hash) == content
            assert {k for (k,) in r.rows("SELECT DISTINCT compression FROM raw_file_chunks")} == {
                rawfiles.NONE
            }
        archive = backup.archive_bytes(db)  # a backup gives the exact bytes out
    finally:
        db.close()
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        for file_hash, content in old_bytes.items():
            assert zf.read(f"raw/{file_hash}") == content


def test_a_backup_of_a_large_file_restores_it_exactly(db, tmp_path, built_db):
    content = large_register()
    with db.write() as w:
        file_hash = rawfiles.save(w, "register.csv", content)
    archive = backup.archive_bytes(db)
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        assert zf.read(f"raw/{file_hash}") == content
        names = [n for n in zf.namelist() if n.startswith("tables/")]
    assert "tables/raw_file_chunks.parquet" not in names  # the bytes are under raw/ only
    shutil.copyfile(built_db, tmp_path / "fresh.duckdb")  # a fresh build, not built again
    fresh = lifecycle.open_store(tmp_path / "fresh.duckdb")
    try:
        restores.restore(fresh, archive)
        with fresh.read() as r:
            assert rawfiles.verified(r, file_hash) == content
        kept = {t: rows for t, rows in dump(db).items() if t != "meta"}  # (meta: data version)
        assert {t: rows for t, rows in dump(fresh).items() if t != "meta"} == kept
    finally:
        fresh.close()


def test_the_command_line_writes_a_snapshots_file_back_exactly(db_path, tmp_path, capsys):
    content = large_register(40_000)
    db = lifecycle.open_store(db_path)
    try:
        with db.read() as r:
            camden = snapshots.active(r)[CAMDEN]
        records = db.df("SELECT * FROM current_contracts WHERE borough_code = $c", {"c": CAMDEN})
        records.loc[0, "system"] = "Renamed system"
        p = ingest.prepare(records.to_csv(index=False).encode("utf-8"), "camden.csv")
        [new_id] = snapshots.commit(db, p, content, "ann", expect={CAMDEN: camden})
    finally:
        db.close()
    out = tmp_path / "original.csv"
    assert main(["original", str(new_id), "-o", str(out), "--db", str(db_path)]) == 0
    assert out.read_bytes() == content
    assert "camden.csv, as received" in capsys.readouterr().out
    missing = tmp_path / "none.csv"
    assert main(["original", "99999", "-o", str(missing), "--db", str(db_path)]) == 1
    assert "There is no snapshot 99999" in capsys.readouterr().err
    assert not missing.exists()
