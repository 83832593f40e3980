"""python -m citydata keeps what its documentation promises scripts: JSON any parser reads, the
documented keys whatever happens, a dry run or a refusal that writes nothing, one way of saying
a name is not a borough. Each test here failed before the fix it names."""

from __future__ import annotations

import json

from tests import command

cli = command.run

# A register for Ealing whose records give no annual value and no satisfaction at all.
NO_VALUES = b"""Borough,Service area,System,Vendor,Contract start,Contract end
Ealing,Housing,Mosaic,Servelec,01/04/2020,31/03/2027
Ealing,Housing,Northgate Housing,Northgate,01/04/2020,30/06/2027
"""


def strict_json(text: str):
    """JSON as a strict parser reads it: NaN and Infinity are not JSON."""

    def refuse(constant: str):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_json_says_null_for_a_missing_number_never_nan(db_path, tmp_path):
    register = tmp_path / "ealing.csv"
    register.write_bytes(NO_VALUES)
    assert cli("import", str(register), db=db_path).returncode == 0
    coming = cli("coming", "--borough", "Ealing", "--today", "2026-12-01", "--json", db=db_path)
    assert coming.returncode == 0, coming.stderr
    [housing] = strict_json(coming.stdout)
    assert housing["ending"] == 2 and housing["value_ending"] is None

    helped = cli("who-can-help", "Mosaic", "--json", db=db_path)
    assert helped.returncode == 0, helped.stderr
    [ealing] = [b for b in strict_json(helped.stdout)["boroughs"] if b["borough"] == "Ealing"]
    assert ealing["satisfaction"] is None and ealing["skill_level"] is None
