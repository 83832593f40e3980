"""Councils named as they publish: a department after a Welsh or Gaelic council's name, and a
council's names in two languages."""

from __future__ import annotations

import pytest

from citydata.core import buyers, regions


@pytest.fixture
def region(monkeypatch):
    def choose(value: str) -> regions.Region:
        monkeypatch.setenv(regions.SETTING, value)
        return regions.current()

    return choose


PEMBROKESHIRE, HIGHLAND = "W06000009", "S12000017"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # a department after the name, in Welsh, Gaelic or English
        ("Cyngor Sir Benfro - Adran Addysg", PEMBROKESHIRE),
        ("Comhairle nan Eilean Siar - Foghlam", "S12000013"),
        # the same council's names in two languages
        ("Cyngor Sir Benfro - Pembrokeshire County Council", PEMBROKESHIRE),
        ("The City of Cardiff Council / Cyngor Dinas Caerdydd", "W06000015"),
        ("The Highland Council / Highland Council", HIGHLAND),
        # two councils: neither
        ("Cyngor Sir Benfro - Cyngor Sir Gaerfyrddin", None),
        ("The City of Cardiff Council / Cyngor Sir Benfro", None),
        ("Cyngor Sir Benfro / Pembroke Town Council", None),
    ],
)
def test_a_buyer_named_with_a_department_or_in_two_languages(region, text, code) -> None:
    region("united-kingdom")
    found = buyers.find(text)
    assert (found and found.authority.code) == code
