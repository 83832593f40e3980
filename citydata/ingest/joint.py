"""Published notices bought jointly by several councils: a record for each council.

A notice whose buyer's name lists several councils ("Babergh and Mid Suffolk District
Councils", "Richmond and Wandsworth Councils", or several buyers of an OCDS notice, which
citydata.ingest.parties joins by "; "), read by `citydata.core.buyers.joint`, gives each of the
region's councils among them a record: the row is repeated, one copy for each council, with the
same row number, reference, supplier, dates and status, so that everything after (the newest
release of each notice, withdrawals, the store's snapshots of each council's notices, matching
to its register) treats each council's copy as that council's notice. A withdrawal of the
notice takes it out of every council it was recorded for.

The value. A joint notice's value is the whole contract's, bought by all the councils named:
each council's record keeps it as the whole contract value, as the notice says, and its annual
value is the council's equal share of the yearly figure (councils outside the region included,
so the region's total never counts another's share: citydata.ingest.published `finish`), so
that summing a market counts the contract once. Each row says so in a warning.
Councils named that are outside the region are left out, and said so.

Who else bought it. Each council's record names the other councils the notice names
(`bought_with`, "Wandsworth" for Richmond's record): the region's by their canonical names,
those outside it by theirs, several joined by "; ", so that a council reading its record sees
that the contract is joint, why its annual value is a share, and whom to ask about buying
together.
"""

from __future__ import annotations

import html

from citydata.core import boroughs, buyers, regions
from citydata.core.authorities import Authority
from citydata.core.text import join_words
from citydata.ingest.report import Problem, warning
from citydata.ingest.table import Table


def expand(table: Table, buyer_column: str | None, fixed: Authority | None) -> list[Problem]:
    """Repeat each row of `table` whose buyer is a joint one, once for each council of the
    region it names (only `fixed`, when the file is imported for one council that is among
    them), its buyer cell that council's code; `table.shares` says how many councils share each
    row's notice. A warning for each such row. A row naming none of the region's councils is
    left as it is (refused as another's, citydata.ingest.councils.unknown_authority)."""
    if buyer_column is None or buyer_column not in table.data.columns:
        return []
    cells = table.data[buyer_column].tolist()
    take: list[int] = []
    written: list[object] = []
    shares: list[int] = []
    others: list[str | None] = []
    problems: list[Problem] = []
    seen: dict[str, tuple[tuple[Authority, ...], tuple[Authority, ...]]] = {}
    for i, cell in enumerate(cells):
        name = html.unescape(cell) if isinstance(cell, str) else None
        if name is not None and name not in seen:
            named = buyers.joint(name)
            inside = tuple(a for a in named if a.code in boroughs.BY_CODE)
            seen[name] = (named, inside)
        named, inside = seen[name] if name is not None else ((), ())
        if not inside:
            take.append(i)
            written.append(cell)
            shares.append(1)
            others.append(None)
            continue
        kept = (fixed,) if fixed is not None and fixed in inside else inside
        if len(kept) > 1:
            table.joint[table.rows[i]] = table.joint.get(table.rows[i], 0) + len(kept)
        take += [i] * len(kept)
        written += [a.code for a in kept]
        shares += [len(named)] * len(kept)
        others += [bought_with(named, a) for a in kept]
        problems.append(warning(table.rows[i], buyer_column, cell, said(name or "", named, kept)))
    if not problems:
        return []
    table.data = table.data.iloc[take].reset_index(drop=True)
    table.data[buyer_column] = written
    table.rows = [table.rows[i] for i in take]
    if table.releases:
        table.releases = [table.releases[i] for i in take]
    table.shares = shares
    table.bought_with = others
    return problems


def bought_with(named: tuple[Authority, ...], council: Authority) -> str:
    """The councils of `named` other than `council`, in the notice's order, as its record names
    them: the region's by their canonical names, the others by their own."""
    return buyers.SEPARATOR.join(
        boroughs.BY_CODE[a.code].name if a.code in boroughs.BY_CODE else a.name
        for a in named
        if a.code != council.code
    )


def said(name: str, named: tuple[Authority, ...], kept: tuple[Authority, ...]) -> str:
    """What a joint buyer's row says: whose record it is, the value shared, who is left out."""
    n = len(named)
    text = (
        f"The buyer '{name}' is {n} councils buying jointly: the notice is recorded for "
        f"{join_words([a.name for a in kept])} as a joint contract, with the whole contract's "
        f"value and an equal share of its annual value (divided by {n})."
    )
    outside = [a for a in named if a.code not in boroughs.BY_CODE]
    if outside:
        text += f" Not recorded for {'; '.join(regions.whereabouts(a) for a in outside)}."
    return text
