"""What a file was recognised as is said in words, for every format the app tells apart: the
upload's "Recognised as ..." and `import`'s "recognised as ...", never an internal key such as
"ocds_flat" (which `import` printed as "recognised as a ocds_flat file")."""

from __future__ import annotations

import pytest

from citydata import ingest, lifecycle
from citydata.ingest.report import format_label
from tests import command
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data"
SAMPLES = [
    DATA / "notices" / "cf_api_search.json",
    DATA / "notices" / "fts_release_package.json",
    DATA / "notices" / "ocds_flattened.csv",
    DATA / "notices" / "ocds_record_package_1_0.json",
    DATA / "real" / "cf_export_notices_2025-11.csv",
]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_recognised_format_has_a_name_in_words(path) -> None:
    fmt = ingest.prepare(path.read_bytes(), path.name).format
    said = format_label(fmt)
    assert said != fmt and " " in said, (fmt, said)


def test_import_says_what_a_flattened_ocds_file_was_recognised_as(db_path) -> None:
    path = DATA / "notices" / "ocds_flattened.csv"
    done = command.run("import", str(path), "--dry-run", db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first == (
        "ocds_flattened.csv: recognised as Open Contracting Data Standard (OCDS) notices, "
        "flattened into a table."
    ), first


def test_a_snapshots_note_says_what_its_file_was_recognised_as_in_words(db_path) -> None:
    """History's Note and `snapshots` said "Recognised as a ocds_flat file"."""
    path = DATA / "notices" / "ocds_flattened.csv"
    assert command.run("import", str(path), db=db_path).returncode == 0
    db = lifecycle.open_store(db_path)
    with db.read() as r:
        notes = [
            n
            for (n,) in r.rows("SELECT note FROM snapshots WHERE file_name = $f", {"f": path.name})
        ]
    db.close()
    assert notes and set(notes) == {
        "Recognised as Open Contracting Data Standard (OCDS) notices, flattened into a table."
    }
