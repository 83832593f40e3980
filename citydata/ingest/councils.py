"""Which council a row is for: its borough code and borough cells read by one rule on every
path (`borough_outcome`), and why a name that is not one of the region's councils is refused
(`unknown_authority`, saying where it is when it is elsewhere). The rows' problems are gathered
by `citydata.ingest.validate`.
"""

from __future__ import annotations

from typing import Any

from citydata.core import boroughs, buyers, regions
from citydata.ingest import normalise, xlerrors


def _resolve(value: Any) -> normalise.Result:
    text = normalise.clean_text(value)
    if text is None:
        return None, None, None
    found = boroughs.resolve(text)
    return (found.code, None, None) if found else (None, text, None)


def unknown_authority(text: str, buyer: bool) -> str:
    """Why a row's authority is refused: not one of the region's, and where it is if elsewhere."""
    region = regions.current()
    elsewhere = boroughs.outside(text)
    named = buyers.joint(text) if buyer and elsewhere is None else ()
    if named:  # several councils, none of them the region's (citydata.ingest.joint)
        return (
            f"The buyer '{text}' is {len(named)} councils buying jointly, none of them one of "
            f"{region.describe()}: {'; '.join(regions.whereabouts(a) for a in named)}."
        )
    if elsewhere is not None:
        start = f"The buyer '{text}'" if buyer else f"'{text}'"
        return (
            f"{start} is {regions.whereabouts(elsewhere)}. Only the contracts of "
            f"{region.describe()} are imported."
        )
    if buyer:
        if region.is_london:
            return (
                f"The buyer '{text}' is not a London borough or the City of London; "
                "only the 33 London authorities' contracts are imported."
            )
        return (
            f"The buyer '{text}' is not one of {region.describe()}; only their contracts are "
            "imported."
        )
    near = boroughs.near(text)
    hint = f" Did you mean {' or '.join(near)}?" if near else ""
    return f"'{text}' is not one of {region.describe()}.{hint}"


def borough_outcome(
    code_cell: Any, name_cell: Any, fixed: boroughs.Borough | None, buyer: bool
) -> tuple[str | None, str | None, str | None, str | None]:
    """One row's borough: (code, why the code cell is refused, why the borough cell is refused,
    why the row is refused for its borough as a whole); each reason None when there is none.

    A cell of a column that is not mapped is None. The rule for every row of every path.
    """
    code = None
    reasons: list[str | None] = []
    for cell, what in ((code_cell, " code"), (name_cell, "")):
        if (error := xlerrors.error(normalise.clean_text(cell))) is not None:
            word = "buyer" if buyer else boroughs.noun()  # 'council' outside London
            reasons.append(xlerrors.reason(error, f"a {word}{what}"))
            continue
        found, unknown, _ = _resolve(cell)
        reason = None
        if unknown is not None:
            reason = unknown_authority(unknown, buyer)
        elif found is not None:
            if code is not None and code != found:
                word = boroughs.noun()  # 'council' outside London
                reason = (
                    f"The {word} code says {boroughs.BY_CODE[code].name} but the "
                    f"{word} says {boroughs.BY_CODE[found].name}."
                )
            code = code or found
        reasons.append(reason)
    final = None
    if code is None and fixed is not None:
        code = fixed.code
    elif code is None and not any(reasons):
        word = boroughs.noun()
        final = f"No {word} is given: fill in the {word}, or choose one for the whole file."
    elif fixed is not None and code not in (None, fixed.code):
        final = (
            f"This row is for {boroughs.BY_CODE[code].name}, but the file is being "
            f"imported for {fixed.name}."
        )
    return code, reasons[0], reasons[1], final
