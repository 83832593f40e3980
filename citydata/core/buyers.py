"""Which authority bought something, when the publisher's buyer name does not say so plainly.

Names go through the region's registry (`citydata.core.boroughs.resolve`: "THE LONDON BOROUGH OF
HAVERING", "LB Hackney", "Croydon"...). When the buyer is a publishing platform or a shared
service, the contact e-mail's domain (`ann@camden.gov.uk`) or a party identifier (a GSS code such
as E09000007, or an ISO 3166-2:GB code such as GB-CMD / `GB-LAE:CMD`) names the authority. The
domains and codes are data: `data/authority_identifiers.csv` (code, e-mail domains separated by
spaces, ISO 3166-2 code). Only authorities of the current region are ever returned, except by
`joint`, which names every council a jointly bought notice lists, in the region or not.
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
# '/': "Babergh and Mid Suffolk District Councils" names two councils (each's: `joint`).
_GOES_ON = re.compile(r"\s+[-\u2013\u2014]\s+|:\s+|,\s+|\s+(?:acting\s+)?on\s+behalf\s+of\s+", re.I)
# Welsh and Gaelic too: "Cyngor Sir Penfro - Adran Addysg", "Comhairle na Gàidhealtachd - ..."
_COUNCIL_WORD = re.compile(r"\b(council|borough|city|county|district|cyngor|comhairle)\b")
# Between a council's names in two languages: "The City of Cardiff Council / Cyngor Dinas Caerdydd"
_BILINGUAL = re.compile(r"\s+/\s+")
# Between the councils of a joint buyer: "Babergh and Mid Suffolk", "Adur & Worthing", "Camden,
# Islington and Haringey", several buyers of one notice as citydata.ingest.parties lists them
# ("London Borough of Camden; Hertfordshire County Council"), "Bath / North East Somerset".
_BETWEEN = re.compile(r"\s*[,;/|]\s*|\s+and\s+|\s*&\s*", re.I)
# One council's part of a joint buyer's name: "Babergh and Mid Suffolk District Councils"
_PLURAL = re.compile(r"\b(council|borough|district|authoritie)s\b", re.I)
# Where a joint buyer's name goes on past its councils: "Adur & Worthing Councils - Digital"
_DEPARTMENT = re.compile(r"\s+[-\u2013\u2014]\s+|:\s+|\s+(?:acting\s+)?on\s+behalf\s+of\s+", re.I)
_MOST_PARTS = 12  # pieces of a name split between councils tried (a longer name is no list)
# Between the councils a joint notice's record says it was bought with (`bought_with`:
# "Islington; Kensington and Chelsea"), written by citydata.ingest.joint, read by
# citydata.store.joint
SEPARATOR = "; "


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


def joint(name: str | None) -> tuple[Authority, ...]:
    """The councils a buyer's name lists when it names several and nothing else ("Babergh and
    Mid Suffolk District Councils", "Richmond and Wandsworth Councils", "City of Westminster,
    Royal Borough of Kensington and Chelsea", several buyers joined by "; "), each the region's
    authority or, when outside the region, the UK authority it is (`citydata.core.authorities`);
    () when the name is not such a list. A name that is one council's, in any of the ways
    `by_name` reads one ("Kensington and Chelsea", "Telford and Wrekin Council"), is never
    split, nor is one whose parts are not all councils ("Luton and Kent Commercial Services
    LLP", "Bristol, North Somerset and South Gloucestershire ICB"). The name must call itself a
    council, borough, city, county or district somewhere (in Welsh or Gaelic too): "Kent and
    Medway" alone may be a health body. Of the ways to split it, the one with fewest parts
    wins, so a council's own "and" stays inside its name ("Hammersmith and Fulham and
    Kensington and Chelsea Councils" is two councils, not four words)."""
    if not name or by_name(name) is not None:
        return ()
    bare = _BRACKETED.sub(" ", name).strip()
    for candidate in dict.fromkeys((bare, _DEPARTMENT.split(bare, maxsplit=1)[0])):
        text = _PLURAL.sub(lambda m: m.group(1), candidate)
        if not _COUNCIL_WORD.search(fold(text)):
            continue
        found = _split(text)
        if len(found) > 1:
            return found
    return ()


def council(name: str | None) -> Authority | None:
    """The council a buyer's name names (`by_name`), else the UK authority outside the region it
    is; None for a name that is no council's."""
    if not name:
        return None
    return by_name(name) or authorities.find(name) or authorities.find(_BRACKETED.sub(" ", name))


def _council(part: str) -> Authority | None:
    """The council a part of a joint name is: the region's (an abolished council's successor
    there), else any UK authority."""
    return boroughs.resolve(part) or authorities.find(part)


def _split(text: str) -> tuple[Authority, ...]:
    """The distinct councils `text` lists, split at `_BETWEEN` into as few parts as can each be
    read as a council; () when it cannot be."""
    pieces: list[tuple[int, int]] = []
    start = 0
    for match in _BETWEEN.finditer(text):
        if match.start() > start:
            pieces.append((start, match.start()))
        start = match.end()
    if start < len(text):
        pieces.append((start, len(text)))
    if len(pieces) < 2 or len(pieces) > _MOST_PARTS:
        return ()
    best: dict[int, list[Authority] | None] = {len(pieces): []}
    for i in range(len(pieces) - 1, -1, -1):  # the fewest parts from piece i to the end
        options = []
        for j in range(i + 1, len(pieces) + 1):
            rest = best[j]
            if rest is None:
                continue
            council = _council(text[pieces[i][0] : pieces[j - 1][1]])
            if council is not None:
                options.append([council, *rest])
        best[i] = min(options, key=len) if options else None
    return tuple(dict.fromkeys(best[0] or ()))
