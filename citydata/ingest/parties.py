"""A release's buyer, from the release's `buyer` and its `parties`.

The buyer comes with its contact e-mail and identifiers (a platform publishing for a council is
recognised by them); a notice naming several councils as its buyers (`buyer` and the `parties`
whose roles say buyer or procuring entity) gives their names joined by "; ", a joint buyer
(citydata.ingest.joint).
"""

from __future__ import annotations

from typing import Any

from citydata.core import buyers
from citydata.ingest.packages import as_list, at

BUYER_ROLES = ("buyer", "procuringEntity")
JOINT = "; "  # between the names of a notice's several buyers (citydata.core.buyers.joint)


def buyer(release: dict[str, Any]) -> Any:
    """The buyer's name; when the notice names several councils as its buyers (the `buyer` and
    `parties` whose roles say buyer or procuring entity: a notice bought jointly), their names
    joined by `JOINT`, each council once."""
    name = at(release, "buyer", "name")
    parties = [p for p in as_list(release.get("parties")) if isinstance(p, dict)]
    named = [p.get("name") for p in parties if set(as_list(p.get("roles"))) & set(BUYER_ROLES)]
    names = [n for n in dict.fromkeys([name, *named]) if isinstance(n, str) and n.strip()]
    councils: dict[str, str] = {}  # code -> the first name of each council among them
    for each in names if len(names) > 1 else ():
        council = buyers.council(each)
        if council is not None:
            councils.setdefault(council.code, each)
    if len(councils) > 1:
        return JOINT.join(councils.values())
    if name:
        return name
    for party in parties:
        if "buyer" in as_list(party.get("roles")):
            return party.get("name")
    return None


def _buyer_party(release: dict[str, Any]) -> dict[str, Any]:
    buyer_id = at(release, "buyer", "id")
    parties = [p for p in as_list(release.get("parties")) if isinstance(p, dict)]
    buyer_name = at(release, "buyer", "name")
    for party in parties:
        if buyer_id is not None and party.get("id") == buyer_id:
            return party
    for party in parties:
        if "buyer" in as_list(party.get("roles")) or "procuringEntity" in as_list(
            party.get("roles")
        ):
            return party
    for party in parties:
        if buyer_name and party.get("name") == buyer_name:
            return party
    if len(parties) == 1 and not parties[0].get("roles"):  # a flattened file's one party
        return parties[0]
    return release.get("buyer") if isinstance(release.get("buyer"), dict) else {}


def spaced(values: list[Any]) -> str | None:
    """The distinct texts (and whole numbers) among `values`, space-separated; None for none."""
    kept = [str(v).strip() for v in values if isinstance(v, str | int) and str(v).strip()]
    return " ".join(dict.fromkeys(kept)) or None


def contacts(release: dict[str, Any]) -> tuple[str | None, str | None]:
    """(e-mail addresses, identifiers) of the buyer, each space-separated, or None."""
    party = _buyer_party(release)
    emails = [at(party, "contactPoint", "email")]
    identifiers = [party.get("id"), at(release, "buyer", "id")]
    for ident in [party.get("identifier"), *as_list(party.get("additionalIdentifiers"))]:
        if isinstance(ident, dict) and ident.get("id"):
            scheme = ident.get("scheme")
            identifiers.append(f"{scheme}:{ident['id']}" if scheme else ident["id"])
    return spaced(emails), spaced(identifiers)
