"""The Market, Vendor profile and Adoption pages, run by AppTest: every figure shown equals
plain SQL (and arithmetic) on the same database file, under several filter combinations."""

from __future__ import annotations

import math
from fractions import Fraction
from urllib.parse import quote_plus

import pandas as pd
import pytest

from citydata.core.formatting import count
from citydata.store import vendors
from tests import apptest
from tests.apptest import metric, run_app, shown

# name, URL parameters, the same filters as SQL, the ranking measure, top N
SCENARIOS = [
    ("everything", {}, "TRUE", "records", 10),
    (
        "three boroughs ranked by value",
        {"borough": ["Camden", "Hackney", "Lambeth"], "market_by": "Value", "market_top": "5"},
        "borough IN ('Camden', 'Hackney', 'Lambeth')",
        "annual_value",
        5,
    ),
    (
        "two service areas ending from 2027, by boroughs served",
        {
            "service_area": ["Housing", "Parking"],
            "end_from": "2027-01-01",
            "market_by": "Boroughs served",
        },
        "service_area IN ('Housing', 'Parking') AND contract_end >= DATE '2027-01-01'",
        "boroughs",
        10,
    ),
    ("one vendor", {"vendor": "Civica"}, "vendor = 'Civica'", "records", 10),
]
IDS = [s[0] for s in SCENARIOS]


def per_vendor(db, where: str) -> pd.DataFrame:
    return db.df(
        "SELECT vendor, count(*) AS records, count(DISTINCT borough_code) AS boroughs,"
        f" sum(annual_value) AS annual_value FROM current_contracts WHERE {where} GROUP BY vendor"
    )


# A chart's table is built only when its tab is open: open the tables the tests read.
TABLES_OPEN = {"conc_view": "Table", "sat-borough_view": "Table", "areas_view": "Table"}


def table(at, first_column: str, second_column: str) -> pd.DataFrame:
    return next(
        d.value for d in at.dataframe if list(d.value.columns[:2]) == [first_column, second_column]
    )


@pytest.mark.parametrize(("name", "params", "where", "by", "top_n"), SCENARIOS, ids=IDS)
def test_market_figures_equal_sql(db, name, params, where, by, top_n):
    at = run_app(params | TABLES_OPEN, "pages/market.py")
    assert not at.exception and not at.error
    v = per_vendor(db, where)
    total = int(v.records.sum())
    by_records = v.sort_values(["records", "vendor"], ascending=[False, True])
    top = by_records.head(top_n)
    n = len(top)
    share = round(100 * top.records.sum() / total, 1)
    cumulative = by_records.records.cumsum().tolist()
    half = next(i + 1 for i, c in enumerate(cumulative) if 2 * c > total)
    by_value = v.sort_values(
        ["annual_value", "records", "vendor"], ascending=[False, False, True], na_position="last"
    )
    value_share = round(100 * by_value.head(top_n).annual_value.sum() / v.annual_value.sum(), 1)

    # the headline speaks of what the vendors are ranked by ("1 vendor holds" for one)
    hold = f"{count(n, 'vendor')} {'holds' if n == 1 else 'hold'}"
    if by == "records":
        assert apptest.shown(at.header[0].value) == f"{hold} {share:.1f}% of records"
    elif by == "annual_value":
        assert apptest.shown(at.header[0].value) == f"{hold} {value_share:.1f}% of annual value"
    else:
        leader = v.sort_values(["boroughs", "records", "vendor"], ascending=[False, False, True])
        b = int(leader.boroughs.iloc[0])
        assert apptest.shown(at.header[0].value).endswith(
            f"lead by authorities served: {b} of 33 ({round(100 * b / 33, 1):.1f}%)"
        ) or apptest.shown(at.header[0].value) == (
            f"{leader.vendor.iloc[0]} leads by authorities served: {b} of 33"
            f" ({round(100 * b / 33, 1):.1f}%)"
        )
        assert any("out of all 33 authorities" in c.value for c in at.caption)
    assert metric(at, "Vendors") == f"{len(v):,}"
    top = n  # "Top 10 share of records": the vendors are in its help
    assert metric(at, f"Top {top} share of records") == f"{share:.1f}%"
    assert metric(at, "Vendors holding half") == f"{half:,}"
    assert metric(at, f"Top {top} share of value") == f"{value_share:.1f}%"

    # the ranking: the top N by the chosen measure, then the others together
    ranked = v.sort_values(
        [by, "records", "vendor"], ascending=[False, False, True], na_position="last"
    )
    shown = table(at, "Rank", "Vendor")
    expected = ranked.head(top_n)
    assert shown["Vendor"].tolist()[:n] == expected.vendor.tolist()
    assert shown["Records"].tolist()[:n] == expected.records.tolist()
    if len(v) > top_n:
        others = shown.iloc[-1]
        assert others["Vendor"] == f"Others ({count(len(v) - top_n, 'vendor')})"
        assert others["Records"] == total - expected.records.sum()
    assert shown["Records"].sum() == total
    assert "Vendors" not in shown.columns  # 1 on every named row said nothing
    areas = table(at, "Service area", "Rank")
    others = areas[areas["Rank"].isna()]
    assert others["Vendor"].tolist() == [
        f"Others ({count(k, 'vendor')})" for k in others["Vendors"]
    ]
    if name == "everything":
        assert "Others (1 vendor)" in others["Vendor"].tolist()  # Education: 4 vendors, top 3
    reach = shown.set_index("Vendor")["Share of all authorities (%)"][:n]
    per = v.set_index("vendor").boroughs
    assert reach.to_dict() == {k: round(100 * per[k] / 33, 1) for k in reach.index}

    # concentration per service area, worked out again from plain counts
    measure = "annual_value" if by == "annual_value" else "records"
    counts = db.df(
        "SELECT service_area, vendor, count(*) AS records, sum(annual_value) AS annual_value"
        f" FROM current_contracts WHERE {where} GROUP BY ALL"
    )
    hhi = {}
    for area, group in counts.groupby("service_area"):
        m = [Fraction(str(x)) for x in group[measure].dropna()]
        exact = 10_000 * sum(x * x for x in m) / sum(m) ** 2
        hhi[area] = math.floor(exact + Fraction(1, 2))  # half away from zero, as SQL rounds
    conc = table(at, "Service area", "Records").set_index("Service area")
    if "HHI" not in conc.columns:
        conc = next(d.value for d in at.dataframe if "HHI" in d.value.columns).set_index(
            "Service area"
        )
    assert conc["HHI"].to_dict() == hhi
    above = sum(h > 2000 for h in hhi.values())
    areas = f"service area{'' if len(hhi) == 1 else 's'} {'is' if above == 1 else 'are'}"
    assert any(m.value.startswith(f"**{above} of {len(hhi)}** {areas} above 2,000")
               for m in at.markdown), [m.value for m in at.markdown]  # fmt: skip

    # satisfaction, with its counts
    s = db.rows(
        "SELECT count(*), count(satisfaction), round(avg(satisfaction), 2),"
        " count(DISTINCT borough) FILTER (WHERE satisfaction IS NOT NULL)"
        f" FROM current_contracts WHERE {where}"
    )[0]
    if s[1]:
        assert metric(at, "Scored records") == f"{s[1]:,} of {s[0]:,}"
        assert metric(at, "Average satisfaction (1-5)") == f"{float(s[2]):.2f}"
        assert metric(at, "Boroughs with scores") == f"{s[3]:,}"
        per_borough = table(at, "Borough", "Suppliers").set_index("Borough")
        suppliers = db.df(
            "SELECT borough, count(DISTINCT vendor) AS n FROM current_contracts"
            f" WHERE {where} GROUP BY borough"
        ).set_index("borough")["n"]
        assert per_borough["Suppliers"].to_dict() == suppliers.to_dict()
    assert len(at.get("download_button")) >= 2 * 4


def test_market_counts_one_borough_in_the_singular(db_path):
    at = run_app({"borough": "Camden"}, "pages/market.py")
    assert not at.exception and not at.error
    scored = [m.value for m in at.markdown if m.value.startswith("Suppliers and satisfaction")]
    assert scored and scored[0].startswith("Suppliers and satisfaction across the one borough with")


def test_boroughs_with_one_supplier_each_have_no_link_to_measure_not_too_few(db):
    """In the illustrative data's "Other" service area, every borough with a score has one
    supplier: enough boroughs, but no correlation to work out."""
    with db.read() as r:
        found = r.df(
            "SELECT borough, count(DISTINCT vendor) AS suppliers FROM current_contracts"
            " WHERE service_area = 'Other' GROUP BY borough HAVING count(satisfaction) > 0"
        )
    assert len(found) >= 3 and set(found["suppliers"]) == {1}
    at = run_app({"service_area": "Other"}, "pages/market.py")
    said = [shown(m.value) for m in at.markdown if m.value.startswith("Suppliers and")]
    assert said == [
        f"Suppliers and satisfaction across the {len(found)} boroughs with scores: "
        "no link to measure: each has 1 supplier."
    ]


def test_market_with_no_matching_records_says_so(db_path):
    at = run_app({"q": "no such system anywhere"}, "pages/market.py")
    assert not at.exception and not at.error
    assert any("No contracts match these filters" in i.value for i in at.info)
    assert not at.metric and not at.dataframe


def test_concentration_threshold_comes_from_the_url(db):
    at = run_app({"hhi_threshold": "3000", "conc_view": "Table"}, "pages/market.py")
    conc = next(d.value for d in at.dataframe if "HHI" in d.value.columns)
    assert (conc["Above threshold"] == "Yes").tolist() == (conc["HHI"] > 3000).tolist()


PROFILES = [
    ("Softcat", {}, "TRUE"),
    ("Capita", {"borough": ["Camden", "Hackney", "Lambeth", "Ealing"]}, "borough IN "
     "('Camden', 'Hackney', 'Lambeth', 'Ealing')"),
    ("Civica", {"service_area": "Libraries and culture"}, "service_area = 'Libraries and culture'"),
]  # fmt: skip


@pytest.mark.parametrize(("vendor", "params", "where"), PROFILES, ids=[p[0] for p in PROFILES])
def test_vendor_profile_figures_equal_sql(db, vendor, params, where):
    at = run_app(params | {"vendor_profile": vendor}, "pages/vendor.py")
    assert not at.exception and not at.error
    assert at.selectbox(key="vendor_profile").value == vendor
    held, boroughs, systems, value, resale = db.rows(
        f"""SELECT count(*), count(DISTINCT borough), count(DISTINCT system),
            round(sum(annual_value), 2),
            count(*) FILTER (WHERE coalesce(a.vendor, c.manufacturer, c.vendor) <> c.vendor)
        FROM current_contracts AS c {vendors.canonical_sql("c.manufacturer", "a")}
        WHERE {where} AND c.vendor = $v""",
        {"v": vendor},
    )[0]
    assert metric(at, "Contracts held") == f"{held:,}"
    assert metric(at, "Boroughs served") == f"{boroughs} of 33"
    assert metric(at, "Systems") == f"{systems:,}"
    assert metric(at, "Annual value") == f"£{float(value or 0):,.0f}"
    assert metric(at, "Of which another maker's product") == f"{resale:,}"
    served = table(at, "Borough", "Records")
    assert served["Records"].sum() == held and len(served) == boroughs
    # The page ends with its link to share: the same vendor and filters, as a plain link.
    shared = [c.value for c in at.caption if "[this link](" in c.value]
    assert len(shared) == 1 and f"vendor_profile={quote_plus(vendor)}" in shared[0], shared


def test_a_reseller_and_a_maker_are_shown_apart(db):
    at = run_app({"vendor_profile": "Microsoft"}, "pages/vendor.py")
    made = db.scalar(
        f"""SELECT count(*) FROM current_contracts AS c
        {vendors.canonical_sql("c.manufacturer", "a")} WHERE a.vendor = 'Microsoft'"""
    )
    assert made > 0
    assert not at.metric
    assert any("Microsoft holds no contracts in this selection" in i.value for i in at.info)
    said = f"**{count(made, 'contract')}** held by other vendors"
    assert any(said in m.value for m in at.markdown)
    records = table(at, "Role", "Borough")
    assert set(records["Role"]) == {"Its product, sold by another vendor"}
    assert "Microsoft" not in set(records["Vendor"])


def test_a_maker_in_one_contract_in_one_borough_says_so_in_the_singular(db_path):
    at = run_app({"vendor_profile": "Google"}, "pages/vendor.py")  # its product in one contract
    assert not at.exception and not at.error
    assert any(
        "Its products are in **1 contract** held by other vendors, in **1 borough** " in m.value
        for m in at.markdown
    ), [m.value for m in at.markdown]


def test_vendor_profile_without_a_vendor_or_without_matches_explains(db_path):
    at = run_app({}, "pages/vendor.py")
    assert any("Choose a vendor" in i.value for i in at.info) and not at.exception
    at = run_app({"vendor_profile": "Civica", "vendor": "Softcat"}, "pages/vendor.py")
    assert any("No contracts of Civica match these filters" in i.value for i in at.info)
    assert not at.exception and not at.error


ADOPTION = [
    ("Mosaic", {}, "TRUE"),
    ("Microsoft 365", {"borough": ["Camden", "Hackney", "Barnet"]}, "borough IN "
     "('Camden', 'Hackney', 'Barnet')"),
    ("Uniform", {"end_to": "2028-12-31"}, "contract_end <= DATE '2028-12-31'"),
]  # fmt: skip


@pytest.mark.parametrize(("system", "params", "where"), ADOPTION, ids=[a[0] for a in ADOPTION])
def test_adoption_figures_equal_sql(db, system, params, where):
    at = run_app(params | {"adoption_system": system, "systems_view": "Table"}, "pages/adoption.py")
    assert not at.exception and not at.error
    boroughs, records, vendor_count = db.rows(
        "SELECT count(DISTINCT borough), count(*), count(DISTINCT vendor) FROM current_contracts"
        f" WHERE {where} AND system = $s",
        {"s": system},
    )[0]
    assert metric(at, "Boroughs using it") == f"{boroughs} of 33"
    assert metric(at, "Records") == f"{records:,}"
    assert metric(at, "Vendors holding the contracts") == f"{vendor_count:,}"
    users = table(at, "Borough", "Service area")
    assert len(users) == records
    # the matrix names, for each borough and service area, every system and its vendor
    matrix = next(d.value for d in at.dataframe if d.value.index.name == "Borough")
    cells = db.rows(
        "SELECT borough, service_area, system, vendor FROM current_contracts"
        f" WHERE {where} ORDER BY random() LIMIT 40"
    )
    for borough, area, name, vendor in cells:
        assert f"{name} ({vendor})" in matrix.loc[borough, area]
    shown = db.scalar(f"SELECT count(DISTINCT system) FROM current_contracts WHERE {where}")
    assert len(table(at, "System", "Boroughs")) == shown


def test_adoption_with_no_matching_records_says_so(db_path):
    at = run_app({"q": "no such system anywhere", "adoption_system": "Mosaic"}, "pages/adoption.py")
    assert any("No contracts match these filters" in i.value for i in at.info)
    assert not at.exception and not at.error


def test_records_naming_no_vendor_are_not_a_vendor_on_the_page(tmp_path, monkeypatch):
    """A borough whose published notices named no supplier once showed one vendor more than
    the Overview and ranked "(vendor not given)" first; a selection of such records only
    says there is no market to show."""
    from citydata import lifecycle
    from tests import market_data

    db = market_data.build(tmp_path, market_data.EDGE_ROWS)
    with db.read() as r:
        named = r.scalar("SELECT count(DISTINCT vendor) FROM current_contracts")
    db.close()
    monkeypatch.setenv(lifecycle.ENV_VAR, str(tmp_path / "market.duckdb"))
    at = run_app(page="pages/market.py")
    assert metric(at, "Vendors") == f"{named:,}"
    ranking = next(t.value for t in at.dataframe if "Rank" in t.value.columns)
    unnamed = ranking[ranking["Vendor"] == "(vendor not given)"]
    assert len(unnamed) == 1 and pd.isna(unnamed["Rank"].iloc[0])
    assert ranking.index[ranking["Vendor"] == "(vendor not given)"][0] == ranking.index[-1]
    overview = run_app()
    assert metric(overview, "Vendors") == f"{named:,}"
    at = run_app({"system": "Mystery Permits"}, page="pages/market.py")
    assert any("No vendor is named in the 1 contract" in i.value for i in at.info), at.info


def test_one_service_area_above_the_threshold_is_said_in_the_singular(db_path):
    at = run_app({"service_area": "Parking", "hhi_threshold": "500"}, page="pages/market.py")
    said = [m.value for m in at.markdown if " above 500" in m.value]
    assert said == ["**1 of 1** service area is above 500: Parking"], said
