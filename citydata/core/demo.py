"""The embedded demo data: a seeded, deterministic generator of illustrative contract records.

Every borough gets about one main system per service area (with a few gaps), then extra records
(modules, secondary systems) up to the requested row count. Dates are spread around the fixed
ANCHOR, never today, so the same rows and seed always give the same bytes. Only arithmetic on
`random.Random` draws is used (no libm), so the output is the same on every platform.
"""

from __future__ import annotations

import csv
import itertools
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from random import Random

from citydata.core import regions, settings
from citydata.core.boroughs import Borough
from citydata.core.catalogue import AREAS, Area, Product
from citydata.core.schema import FIELD_NAMES, HOSTING_VALUES
from citydata.core.skills import SKILL_LEVELS

DEFAULT_SEED = 2015
DEFAULT_ROWS = 800
ANCHOR = date(2026, 10, 1)
SOURCE = "demo"
COLUMNS: tuple[str, ...] = (*FIELD_NAMES, "source")
EMBEDDED_CSV = settings.DATA_DIR / "demo_contracts.csv"

_CITY = "E09000001"
_CLOUD, _HOSTED, _ON_PREMISES, _HYBRID = HOSTING_VALUES
_ANCHOR_ORD = ANCHOR.toordinal()
_EARLIEST_ORD = date(2012, 1, 1).toordinal()
_DAY = timedelta(days=1)
_TERMS = (3, 4, 5, 7)
# Contract values relative to a London borough: a county council buys big, a district small.
_TIER_SIZE = {"county": 1.6, "district": 0.45}
_TERM_CUM = (25, 55, 85, 100)
_MAIN_CUM = {a.label: list(itertools.accumulate(p.share for p in a.mains)) for a in AREAS}
# Share of end dates: rolling (none), expired, within three years of ANCHOR, later.
_P_ROLLING, _P_EXPIRED, _P_SOON = 0.065, 0.125, 0.50


@dataclass
class _Borough:
    """One borough's plan: its main systems and how its extra records are drawn."""

    borough: Borough
    prefix: str
    size: float  # value multiplier, about 1 for an average borough
    consolidation: float  # 0..1: how strongly it reuses vendors it already has
    sat_mean: float
    sat_rate: float
    mains: list[tuple[Area, Product, str]] = field(default_factory=list)
    extra_areas: list[Area] = field(default_factory=list)
    extra_area_cum: list[float] = field(default_factory=list)
    extra_products: dict[str, tuple[list[Product], list[float]]] = field(default_factory=dict)
    main_by_area: dict[str, str] = field(default_factory=dict)
    vendors: set[str] = field(default_factory=set)
    seen: set[tuple[str, str]] = field(default_factory=set)
    capacity: int = 0  # extras drawn avoiding repeats, before repeats are simply allowed
    drawn: int = 0
    vendor_cum: dict[int, tuple[list[str], list[float]]] = field(default_factory=dict)
    extras: int = 0


def rows_for(authorities: Sequence[Borough]) -> int:
    """The embedded data's size for these authorities (a region's): 800 records for London's
    33, in proportion."""
    return round(DEFAULT_ROWS * len(authorities) / 33)


def ref_prefix(borough: Borough) -> str:
    """The register prefix of a borough, e.g. LBC for Camden, RBKC, LBBD, WCC, COL; elsewhere the
    official name's initials (BMBC for Bolton Metropolitan Borough Council, MCC)."""
    if not borough.code.startswith("E09"):
        skip = {"of", "and", "upon", "the", "on", "in", "nan"}
        words = [
            w for w in borough.official_name.replace("-", " ").split() if w.lower() not in skip
        ]
        return "".join(w[0].upper() for w in words if w[0].isalpha())[:6] or "LA"
    if borough.code == _CITY:
        return "COL"
    if borough.official_name.startswith("City of "):
        return borough.name[0] + "CC"
    head = "RB" if borough.official_name.startswith("Royal ") else "LB"
    words = [w for w in borough.name.split() if w not in ("and", "upon")]
    return head + "".join(w[0].upper() for w in words)


def _exp(x: float) -> float:
    """e**x to within about 1% for |x| <= 4, by squaring: plain IEEE arithmetic, no libm."""
    y = 1.0 + x / 1024.0
    for _ in range(10):
        y *= y
    return y


def _normal(rng: Random) -> float:
    """An approximately standard normal draw in [-3, 3] from three uniforms."""
    return (rng.random() + rng.random() + rng.random() - 1.5) * 2.0


def _index(cum: Sequence[float], x: float) -> int:
    """The slot of x in cumulative weights cum."""
    return min(bisect_right(cum, x), len(cum) - 1)


def _vendor_names(product: Product) -> list[str]:
    return [v for v, _ in product.vendors] or [product.maker]


def _pick_vendor(rng: Random, product: Product, plan: _Borough) -> str:
    """Who holds the contract; vendors the borough already has are favoured (cached weights)."""
    cached = plan.vendor_cum.get(id(product))
    if cached is None:
        names = _vendor_names(product)
        boost = 1.0 + 4.0 * plan.consolidation
        weights = [w * boost if v in plan.vendors else w for v, w in product.vendors or ()]
        cached = plan.vendor_cum[id(product)] = (names, list(itertools.accumulate(weights)))
    names, cum = cached
    return names[0] if len(names) == 1 else names[_index(cum, rng.random() * cum[-1])]


def _boost(product: Product, plan: _Borough, strength: float) -> float:
    """The weight factor for a product whose vendor the borough already uses."""
    if any(v in plan.vendors for v in _vendor_names(product)):
        return 1.0 + strength * plan.consolidation
    return 1.0


def _plan_borough(rng: Random, borough: Borough) -> _Borough:
    """Pick a borough's main systems and the weights of its extra records."""
    city = borough.code == _CITY
    spread = rng.random()  # 0: few suppliers, 1: many
    plan = _Borough(
        borough=borough,
        prefix=ref_prefix(borough),
        size=0.35 if city else (0.7 + 0.6 * rng.random()) * _TIER_SIZE.get(borough.tier, 1.0),
        consolidation=1.0 - spread,
        sat_mean=4.0 - 1.1 * spread + 0.3 * (rng.random() - 0.5),
        sat_rate=0.25 + 0.2 * rng.random(),
    )
    main_by_area = plan.main_by_area
    for area in AREAS:
        gap = min(1.0, area.gap * 3 + 0.1) if city else area.gap
        if not area.mains or rng.random() < gap:
            continue
        weights = [p.share * _boost(p, plan, 4.0) for p in area.mains]
        product = rng.choices(area.mains, weights)[0]
        vendor = _pick_vendor(rng, product, plan)
        if vendor not in plan.vendors:
            plan.vendors.add(vendor)
            plan.vendor_cum.clear()
        plan.mains.append((area, product, vendor))
        main_by_area[area.label] = product.system
    for area in AREAS:
        if area.mains and area.label not in main_by_area:
            continue
        main = main_by_area.get(area.label)
        products = [p for p in area.extras if not p.requires or main in p.requires]
        if not products:
            continue
        # Few-supplier boroughs buy extras from vendors they have; many-supplier ones shop around.
        weights = [p.share * _boost(p, plan, 2.0) for p in products]
        plan.extra_products[area.label] = (products, list(itertools.accumulate(weights)))
        plan.extra_areas.append(area)
    plan.extra_area_cum = list(itertools.accumulate(a.extra_weight for a in plan.extra_areas))
    plan.capacity = sum(len(plan.extra_products[a.label][0]) for a in plan.extra_areas) // 2
    return plan


def _allocate(total: int, weights: list[float]) -> list[int]:
    """Split total into integer parts proportional to weights (largest remainder)."""
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    parts = [int(s) for s in shares]
    order = sorted(range(len(weights)), key=lambda i: (parts[i] - shares[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _dates(rng: Random) -> tuple[date | None, date | None]:
    """Contract start and end: the end drawn around ANCHOR first, the start a term before it."""
    r = rng.random()
    if r < _P_ROLLING:
        start_ord = _EARLIEST_ORD + int(rng.random() * (_ANCHOR_ORD - 730 - _EARLIEST_ORD))
        start = date.fromordinal(start_ord).replace(day=1)
        return (None if rng.random() < 0.1 else start), None
    r -= _P_ROLLING
    if r < _P_EXPIRED:
        end_ord = _ANCHOR_ORD - 1 - int(rng.random() * 900)
    elif r < _P_EXPIRED + _P_SOON:
        end_ord = _ANCHOR_ORD + int(rng.random() * 1096)
    else:
        end_ord = _ANCHOR_ORD + 1096 + int(rng.random() * rng.random() * 2000)
    term = _TERMS[_index(_TERM_CUM, rng.random() * 100)]
    if rng.random() < 0.3:
        term += 1 + (rng.random() < 0.4)  # extensions taken
    renewal = date.fromordinal(end_ord + 1)  # the day after the end
    month = 4 if rng.random() < 0.3 and abs(renewal.month - 4) <= 2 else renewal.month
    year = renewal.year - term
    if year > ANCHOR.year or (year == ANCHOR.year and month > ANCHOR.month):
        year = ANCHOR.year - 1 - int(rng.random() * 3)
    start = date(year, month, 1)
    end = date(renewal.year, month, 1) - _DAY
    return (None if rng.random() < 0.02 else start), end


def _hosting(rng: Random, product: Product, start: date | None) -> str | None:
    """Where it runs: newer contracts are more often in the cloud."""
    r = rng.random()
    if r < 0.02:
        return None
    if product.saas:
        return _CLOUD if r < 0.9 else (_HYBRID if r < 0.95 else _HOSTED)
    if product.onprem:
        return _ON_PREMISES if r < 0.85 else (_HYBRID if r < 0.95 else _HOSTED)
    t = ((start.year if start else 2018) - 2012) / 15.0
    cloud = 0.05 + 0.35 * t
    hosted = cloud + 0.3
    hybrid = hosted + 0.1
    if r < cloud:
        return _CLOUD
    if r < hosted:
        return _HOSTED
    return _HYBRID if r < hybrid else _ON_PREMISES


def _value(rng: Random, area: Area, product: Product, plan: _Borough) -> str | None:
    """Annual value in pounds as a 2-decimal string, lognormal around the area's median."""
    if rng.random() < 0.03:
        return None
    value = area.median * product.scale * plan.size * _exp(area.sigma * _normal(rng))
    if rng.random() < 0.6:
        return f"{max(50, round(value / 50) * 50)}.00"
    return f"{max(value, 50.0):.2f}"


def _satisfaction(rng: Random, plan: _Borough) -> int | None:
    if rng.random() >= plan.sat_rate:
        return None
    return min(5, max(1, round(plan.sat_mean + 0.9 * _normal(rng))))


_SKILL_CUM = (10, 35, 75, 100)  # None, Basic, Intermediate, Expert
_ROLES = (
    "Systems manager",
    "Application support lead",
    "Business systems team",
    "Product owner",
    "ICT service desk",
    "Head of digital services",
)


def _skills(rng: Random, area: Area) -> tuple[str | None, str | None]:
    """The in-house skill level and contact role, for about half the records. Drawn from their
    own generator, so the other columns are the same with or without them."""
    if rng.random() >= 0.5:
        return None, None
    level = SKILL_LEVELS[_index(_SKILL_CUM, rng.random() * _SKILL_CUM[-1])]
    pick = rng.random()
    if pick < 0.25:
        return level, None
    if pick < 0.55:
        return level, f"{area.label} systems lead"
    return level, _ROLES[int(rng.random() * len(_ROLES))]


class _Refs:
    """A borough's register references: increasing numbers with the odd gap."""

    def __init__(self, rng: Random, prefix: str) -> None:
        self.rng, self.prefix, self.n = rng, prefix, 100 + int(rng.random() * 800)

    def next(self) -> str:
        self.n += 1 if self.rng.random() < 0.7 else 2 + int(self.rng.random() * 4)
        return f"{self.prefix}-IT-{self.n:04d}"


def _row(
    rng: Random,
    plan: _Borough,
    refs: _Refs,
    area: Area,
    product: Product,
    vendor: str,
    skills_rng: Random,
) -> tuple:
    start, end = _dates(rng)
    b = plan.borough
    return (
        b.code,
        b.name,
        area.label,
        product.system,
        vendor,
        product.maker,
        start,
        end,
        _value(rng, area, product, plan),
        _hosting(rng, product, start),
        _satisfaction(rng, plan),
        refs.next(),
        *_skills(skills_rng, area),
        SOURCE,
    )


def _extra(rng: Random, plan: _Borough) -> tuple[Area, Product]:
    """An extra record's area and product; avoids repeating a borough's systems while it can."""
    plan.drawn += 1
    for _ in range(4 if plan.drawn <= plan.capacity else 1):
        area = plan.extra_areas[_index(plan.extra_area_cum, rng.random() * plan.extra_area_cum[-1])]
        products, cum = plan.extra_products[area.label]
        product = products[_index(cum, rng.random() * cum[-1])]
        if area.mains and rng.random() < 0.12:  # a second system beside the main one
            cum = _MAIN_CUM[area.label]
            second = area.mains[_index(cum, rng.random() * cum[-1])]
            if second.system != plan.main_by_area.get(area.label):
                product = second
        key = (area.label, product.system)
        if key not in plan.seen:
            plan.seen.add(key)
            break
    return area, product


def _iter_rows(
    rows: int, seed: int, authorities: Sequence[Borough] | None = None
) -> Iterator[tuple]:
    """Rows as tuples in COLUMNS order; annual value as a string, dates as dates."""
    if rows < 0:
        raise ValueError(f"rows must be >= 0, not {rows}")
    rng = Random(seed)
    skills_rng = Random(seed * 7919 + 17)
    chosen = regions.current().authorities if authorities is None else authorities
    plans = [_plan_borough(rng, b) for b in chosen]
    core = sum(len(p.mains) for p in plans)
    keep = set(rng.sample(range(core), rows)) if rows < core else None
    weights = [p.size * (0.6 + 0.8 * (1.0 - p.consolidation)) for p in plans]
    for plan, n in zip(plans, _allocate(max(0, rows - core), weights), strict=True):
        plan.extras = n
    index = 0
    for plan in plans:
        refs = _Refs(rng, plan.prefix)
        for area, product, vendor in plan.mains:
            if keep is None or index in keep:
                yield _row(rng, plan, refs, area, product, vendor, skills_rng)
            index += 1
        for _ in range(plan.extras):
            area, product = _extra(rng, plan)
            vendor = _pick_vendor(rng, product, plan)
            yield _row(rng, plan, refs, area, product, vendor, skills_rng)


def iter_records(
    rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED, authorities: Sequence[Borough] | None = None
) -> Iterator[dict]:
    """Yield `rows` demo records as dicts keyed by schema.FIELD_NAMES plus "source", streaming,
    for `authorities` (default: the current region's).

    Dates are `datetime.date` or None, annual_value a `Decimal` or None, satisfaction an int or
    None. The same rows and seed always give the same records.
    """
    value_at = COLUMNS.index("annual_value")
    for row in _iter_rows(rows, seed, authorities):
        record = dict(zip(COLUMNS, row, strict=True))
        value = row[value_at]
        record["annual_value"] = None if value is None else Decimal(value)
        yield record


def write_csv(
    path: str | Path,
    rows: int = DEFAULT_ROWS,
    seed: int = DEFAULT_SEED,
    authorities: Sequence[Borough] | None = None,
) -> int:
    """Write the demo records to a UTF-8 CSV (ISO dates, empty for None), streaming; return rows.
    `authorities`: whose records (default: the current region's)."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        records = _iter_rows(rows, seed, authorities)
        while chunk := list(itertools.islice(records, 4096)):
            writer.writerows(chunk)
            count += len(chunk)
    return count
