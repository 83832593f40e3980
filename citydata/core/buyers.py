"""Which authority bought something, when the publisher's buyer name does not say so plainly.

Names go through the region's registry (`citydata.core.boroughs.resolve`: "THE LONDON BOROUGH OF
HAVERING", "LB Hackney", "Croydon"...). When the buyer is a publishing platform or a shared
service, the contact e-mail's domain (`ann@camden.gov.uk`) or a party identifier (a GSS code such
as E09000007, or an ISO 3166-2:GB code such as GB-CMD / `GB-LAE:CMD`) names the authority. The
domains and codes are data: `data/authority_identifiers.csv` (code, e-mail domains separated by
spaces, ISO 3166-2 code). Only authorities of the current region are ever returned.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache

from citydata.core import authorities, boroughs, settings
from citydata.core.authorities import Authority, fold

IDENTIFIERS_PATH = settings.DATA_DIR / "authority_identifiers.csv"
_EMAIL = re.compile(r"[\w.+'-]+@([\w-]+(?:\.[\w-]+)+)")
_GSS = re.compile(r"\b([EWSN]\d{8})\b")
_ISO = re.compile(r"(?:^|[\s:/-])([A-Z]{3})$")
_BRACKETED = re.compile(r"\s*[(\[][^)\]]*[)\]]\s*")
# Where a buyer's name goes on past the council's own: "Hertfordshire County Council -
# Environment", "Wyre Forest District Council on Behalf of WFDC / RBC / BDC". Never ' and ' or
# '/': "Babergh and Mid Suffolk District Councils" names two councils.
_GOES_ON = re.compile(r"\s+[-\u2013\u2014]\s+|:\s+|,\s+|\s+(?:acting\s+)?on\s+behalf\s+of\s+", re.I)
# Welsh and Gaelic too: "Cyngor Sir Penfro - Adran Addysg", "Comhairle na Gàidhealtachd - ..."
_COUNCIL_WORD = re.compile(r"\b(council|borough|city|county|district|cyngor|comhairle)\b")
# Between a council's names in two languages: "The City of Cardiff Council / Cyngor Dinas Caerdydd"
_BILINGUAL = re.compile(r"\s+/\s+")


@dataclass(frozen=True)
class Found:
    authority: Authority
    how: str  # "name" | "e-mail" | "identifier"
    evidence: str


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, str], dict[str, str]]:
    domains: dict[str, str] = {}
    iso: dict[str, str] = {}
    with IDENTIFIERS_PATH.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            for domain in (row.get("email_domains") or "").split():
                domains[domain.lower()] = row["code"]
            if row.get("iso_3166_2"):
                iso[row["iso_3166_2"].upper()] = row["code"]
    return domains, iso


def by_email(text: str | None) -> Found | None:
    """The region's authority whose e-mail domain an address (or text holding one) uses."""
    domains, _ = _tables()
    for match in _EMAIL.finditer(text or ""):
        host = match.group(1).lower()
        parts = host.split(".")
        for i in range(len(parts) - 1):  # ann@social.camden.gov.uk counts as camden.gov.uk
            code = domains.get(".".join(parts[i:]))
            authority = boroughs.BY_CODE.get(code) if code else None
            if authority:
                return Found(authority, "e-mail", ".".join(parts[i:]))
    return None


def by_identifier(text: str | None) -> Found | None:
    """The region's authority a party identifier names: a GSS code or an ISO 3166-2:GB code."""
    if not text:
        return None
    text = str(text).strip()
    gss = _GSS.search(text)
    if gss and gss.group(1) in boroughs.BY_CODE:
        return Found(boroughs.BY_CODE[gss.group(1)], "identifier", text)
    iso = _ISO.search(text.upper())
    if iso and ("GB" in text.upper() or "LA" in text.upper()):
        code = _tables()[1].get(iso.group(1))
        if code and code in boroughs.BY_CODE:
            return Found(boroughs.BY_CODE[code], "identifier", text)
    return None


def by_name(name: str) -> Authority | None:
    """The region's authority a buyer's name names: the whole name; else without a bracketed
    note or code ("Coventry City Council (COV)"); else its names in two languages, each the
    same council's ("The City of Cardiff Council / Cyngor Dinas Caerdydd"); else the part before
    a department or an "on behalf of" ("Hertfordshire County Council - Environment"), when that
    part calls itself a council, borough, city, county or district, in Welsh or Gaelic too
    ("Bristol, North Somerset and South Gloucestershire ICB" is a health body, not Bristol's
    council) and the rest names no other council ("City of Westminster, Royal Borough of
    Kensington and Chelsea" is both; "Cyngor Sir Penfro - Pembrokeshire County Council" is
    one)."""
    bare = _BRACKETED.sub(" ", name)
    found = boroughs.resolve(name) or boroughs.resolve(bare)
    if found is not None:
        return found
    names = _BILINGUAL.split(bare)
    if len(names) > 1:
        each = {boroughs.resolve(n) for n in names}
        if len(each) == 1 and None not in each:
            return each.pop()
    first, *rest = _GOES_ON.split(bare, maxsplit=1)
    if not rest or not _COUNCIL_WORD.search(fold(first)):
        return None
    found = boroughs.resolve(first)
    if found is None:
        return None
    others = [rest[0], *_GOES_ON.split(rest[0]), *re.split(r"\s*/\s*", rest[0])]
    if any(_another(authorities.find(part), found) for part in others):
        return None
    return found


def _another(named: Authority | None, council: Authority) -> bool:
    """Whether a name found in a buyer's name is another council than the one it starts with:
    not its other language ("Pembrokeshire County Council") nor its initials ("WFDC")."""
    return named is not None and council not in authorities.holders(named)


def find(
    name: str | None, emails: str | None = None, identifiers: str | None = None
) -> Found | None:
    """The buyer's authority from its name (`by_name`), else its identifiers, else its contact
    e-mail."""
    if name:
        authority = by_name(name)
        if authority is not None:
            return Found(authority, "name", name)
    for part in re.split(r"[\s;|,]+", identifiers or ""):
        found = by_identifier(part)
        if found:
            return found
    return by_email(emails)
