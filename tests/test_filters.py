"""Filters as data: state -> SQL fragment, parameters, summary and URL parameters."""

from __future__ import annotations

from datetime import date

import pytest

from citydata.query import corrections, filters, links, search, selection
from citydata.query.filters import FilterState
from citydata.store import vendors

SEARCHED_TEXT = ["vendor_as_written", "manufacturer", "source_ref"]
TEXT = "{c} ILIKE $flt_q{i} ESCAPE '\\'"
# (its braces doubled: the templates below are filled in with str.format)
ALIAS = vendors.canonical_sql("w.vendor", "a").replace("{", "{{").replace("}", "}}")
OWN = (
    "({listed}"
    + TEXT.format(c="system", i="{i}")
    + " OR vendor_as_written IN (SELECT w.vendor FROM (SELECT DISTINCT vendor FROM contracts)"
    + f" AS w {ALIAS} WHERE a.vendor ILIKE $flt_q{{i}} ESCAPE '\\')"
    + "".join(" OR " + TEXT.format(c=c, i="{i}") for c in SEARCHED_TEXT)
    + ")"
)
# The same word in the cells of the published notice a register record is matched to.
PARTNER = (
    OWN.replace("{listed}", "{partner_listed}")
    .replace("system ILIKE", "n.system ILIKE")
    .replace("vendor_as_written IN", "n.vendor IN")
    .replace("vendor_as_written ILIKE", "n.vendor ILIKE")
    .replace("manufacturer ILIKE", "n.manufacturer ILIKE")
    .replace("source_ref ILIKE", "n.source_ref ILIKE")
)
SEARCH = (
    f"({OWN} OR (matched AND source_kind = 'register'"
    " AND (snapshot_id, record_no, vendor_as_written) IN ("
    "SELECT m.register_snapshot_id, m.register_record_no, m.register_vendor"
    " FROM notice_matches AS m"
    " JOIN snapshots AS ns ON ns.id = m.notice_snapshot_id AND ns.status = 'active'"
    " JOIN contracts AS n ON n.snapshot_id = m.notice_snapshot_id"
    " AND n.record_no = m.notice_record_no AND coalesce(n.source_ref, '') = m.notice_ref"
    f" AND n.vendor IS NOT DISTINCT FROM m.notice_vendor WHERE {PARTNER})))"
)

CASES = [
    pytest.param(FilterState(), "TRUE", {}, "All contracts", {}, id="nothing chosen"),
    pytest.param(
        FilterState(borough=("Camden",)),
        "borough IN $flt_borough",
        {"borough": ["Camden"]},
        "Contracts where borough is Camden",
        {"borough": ["Camden"]},
        id="one borough",
    ),
    pytest.param(
        FilterState(borough=("Camden", "Hackney", "Islington"), service_area=("Housing",)),
        "borough IN $flt_borough AND service_area IN $flt_service_area",
        {"borough": ["Camden", "Hackney", "Islington"], "service_area": ["Housing"]},
        "Contracts where borough is Camden, Hackney or Islington and service area is Housing",
        {"borough": ["Camden", "Hackney", "Islington"], "service_area": ["Housing"]},
        id="boroughs and service area",
    ),
    pytest.param(
        FilterState(end_from=date(2026, 4, 1), end_to=date(2027, 3, 31)),
        "contract_end >= $flt_end_from AND contract_end <= $flt_end_to",
        {"end_from": date(2026, 4, 1), "end_to": date(2027, 3, 31)},
        "Contracts ending between 1 Apr 2026 and 31 Mar 2027"
        " (records with no end date are left out)",
        {"end_from": ["2026-04-01"], "end_to": ["2027-03-31"]},
        id="end date range",
    ),
    pytest.param(
        FilterState(end_to=date(2027, 3, 31)),
        "contract_end <= $flt_end_to",
        {"end_to": date(2027, 3, 31)},
        "Contracts ending on or before 31 Mar 2027 (records with no end date are left out)",
        {"end_to": ["2027-03-31"]},
        id="end date upper bound",
    ),
    pytest.param(
        FilterState(vendor=("Capita",), hosting=("Cloud (SaaS)",), q="  Revenues  Open "),
        "vendor IN $flt_vendor AND hosting IN $flt_hosting AND "
        + SEARCH.format(
            listed="service_area IN $flt_q0_service_area OR ",
            partner_listed="n.service_area IN $flt_q0_service_area OR ",
            i=0,
        )
        + " AND "
        + SEARCH.format(listed="", partner_listed="", i=1),
        {
            "vendor": ["Capita"],
            "hosting": ["Cloud (SaaS)"],
            "q0": "%revenues%",
            "q0_service_area": ["Revenues and benefits"],
            "q1": "%open%",
        },
        "Contracts where vendor is Capita and hosting is Cloud (SaaS), matching “revenues”"
        " and “open”",
        {"vendor": ["Capita"], "hosting": ["Cloud (SaaS)"], "q": ["Revenues  Open"]},
        id="vendor, hosting and search words",
    ),
]


@pytest.mark.parametrize(("state", "sql", "params", "text", "url"), CASES)
def test_filter_state_gives_sql_params_summary_and_url(state, sql, params, text, url):
    w = filters.where(state)
    assert w.sql == sql
    assert w.params == {filters.param_name(k): v for k, v in params.items()}
    assert filters.summary(state) == text
    assert links.to_query_params(state) == url


@pytest.mark.parametrize(("state", "url"), [(c.values[0], c.values[4]) for c in CASES])
def test_url_parameters_round_trip(state, url):
    back, notes = links.from_query_params(url)
    assert notes == []
    assert filters.where(back) == filters.where(state)


def test_a_bound_parameter_name_cannot_be_given_twice():
    params = filters.Params(flt_system=["Mosaic"])
    for bind in (
        lambda: params.__setitem__("flt_system", "Liquidlogic LAS"),
        lambda: params.add(flt_system="Liquidlogic LAS"),
        lambda: params.update({"flt_system": "Liquidlogic LAS"}),
        lambda: params | {"flt_system": "Liquidlogic LAS"},
    ):
        with pytest.raises(filters.ParamCollision):
            bind()
    params |= {"system": "Liquidlogic LAS"}
    assert params == {"flt_system": ["Mosaic"], "system": "Liquidlogic LAS"}


def test_filter_parameters_are_never_named_after_a_column():
    every = FilterState(
        borough=("Camden",),
        service_area=("Housing",),
        vendor=("Capita",),
        system=("Mosaic",),
        hosting=("Cloud (SaaS)",),
        end_from=date(2026, 1, 1),
        end_to=date(2027, 1, 1),
        q="housing",
    )
    names = set(filters.where(every).params)
    assert names and all(n.startswith(filters.PARAM_PREFIX) for n in names)
    _sql, params = selection.base(every)
    assert isinstance(params, filters.Params)


def test_a_page_question_cannot_overwrite_the_system_filter(db):
    """Adoption with the System filter on Mosaic: nobody in the selection uses Liquidlogic LAS
    (a parameter named after its column once let the page's $system replace the filter's)."""
    from citydata.query import adoption

    mosaic = FilterState(system=("Mosaic",))
    with db.read() as r:
        assert adoption.system_summary(r, FilterState(), "Liquidlogic LAS")["boroughs"] > 0
        assert adoption.system_summary(r, mosaic, "Liquidlogic LAS")["boroughs"] == 0
        assert adoption.system_users(r, mosaic, "Liquidlogic LAS").empty
        assert adoption.system_summary(r, mosaic, "Mosaic")["boroughs"] > 0


def test_invalid_url_values_are_dropped_with_a_note():
    state, notes = links.from_query_params(
        {"borough": ["Camden", "Gotham"], "vendor": ["Capita"], "end_to": ["31/03/2027"]},
        options={"borough": ["Camden", "Hackney"], "vendor": ["Capita"]},
    )
    assert state.borough == ("Camden",)
    assert state.vendor == ("Capita",)
    assert state.end_to is None
    assert notes == [
        "No borough called “Gotham” in the data.",
        "“31/03/2027” is not a date (use YYYY-MM-DD); ignored.",
    ]


def test_sql_in_filter_values_is_only_ever_a_value(db):
    hostile = "Camden') OR 1=1 --"
    state = FilterState(borough=(hostile,), q="'; DROP TABLE contracts; --")
    with db.read() as r:
        assert selection.headline(r, state)["records"] == 0
        assert r.scalar("SELECT count(*) FROM contracts") > 0


@pytest.mark.parametrize(
    ("state", "sql_where"),
    [
        (FilterState(borough=("Camden", "Hackney")), "borough IN ('Camden', 'Hackney')"),
        (FilterState(service_area=("Housing",)), "service_area = 'Housing'"),
        (FilterState(end_to=date(2027, 3, 31)), "contract_end <= DATE '2027-03-31'"),
        (
            FilterState(q="mosaic"),
            "lower(system) LIKE '%mosaic%' OR lower(vendor) LIKE '%mosaic%'"
            " OR lower(manufacturer) LIKE '%mosaic%'",
        ),
    ],
)
def test_filtered_counts_equal_hand_written_sql(db, state, sql_where):
    with db.read() as r:
        expected = r.scalar(f"SELECT count(*) FROM current_contracts WHERE {sql_where}")
        assert expected > 0
        assert selection.headline(r, state)["records"] == expected


def test_state_from_widget_values_ignores_blanks():
    state = filters.state_from_widgets(
        {"borough": ["Camden"], "vendor": [], "end_from": None, "q": "  ", "other": 1}
    )
    assert state == FilterState(borough=("Camden",))


@pytest.mark.parametrize("word", ["50%", "a_b", "back\\slash"])
def test_search_words_with_wildcard_characters_match_only_literally(db, word):
    with db.write() as w:
        w.execute(
            "UPDATE contracts SET system = 'Tool ' || $word WHERE record_no = 1", {"word": word}
        )
        w.execute("UPDATE contracts SET system = 'Tool 50 and aXb' WHERE record_no = 2")
    with db.read() as r:
        found = selection.headline(r, FilterState(q=word.upper()))["records"]
        expected = r.scalar(
            "SELECT count(*) FROM current_contracts WHERE contains(lower(system), $w)",
            {"w": word},
        )
    assert found == expected >= 1


def test_the_sidebar_offers_every_current_value_once_in_order_without_blanks(db):
    with db.write() as w:
        w.execute("UPDATE contracts SET hosting = NULL WHERE record_no = 1")
    with db.read() as r:
        offered = selection.options(r)
        for choice in [c for c in filters.CHOICES if c.fixed_options() is None]:
            expected = r.rows(
                f"SELECT DISTINCT {choice.column} FROM current_contracts"
                f" WHERE {choice.column} IS NOT NULL ORDER BY 1"
            )
            assert offered[choice.key] == [v for (v,) in expected]
    assert len(offered["borough"]) == 33 and None not in offered["hosting"]


WORDS = ["camden", "hous", "cloud", "premises", "oracle", "capita", "ltd", "e", "and", "zebra"]
WORDS += ["kensington", "revenues and", "50%", "other", "x_y", "CAPITA", "é"]


def test_search_finds_exactly_the_records_holding_every_word_in_any_searched_column(db):
    from citydata.store import vendors as vendor_names

    with db.read() as r:
        written = r.scalar("SELECT vendor FROM contracts WHERE vendor IS NOT NULL LIMIT 1")
    vendor_names.accept_alias(db, written, "Zebra Systems Group", "test")  # only the alias says it
    with db.read() as r:
        for q in WORDS:
            naive = " AND ".join(
                "(" + " OR ".join(f"contains(lower({c}), $w{i})" for c in search.COLUMNS) + ")"
                for i in range(len(search.terms(q)))
            )
            words = {f"w{i}": t for i, t in enumerate(search.terms(q))}
            expected = r.scalar(f"SELECT count(*) FROM current_contracts WHERE {naive}", words)
            assert selection.headline(r, FilterState(q=q))["records"] == expected, q
        assert selection.headline(r, FilterState(q="zebra"))["records"] > 0


def test_normalise_drops_unknown_values_naming_the_closest_and_swaps_dates():
    options = {"borough": ["Camden", "Hackney"], "hosting": ["Cloud (SaaS)", "On premises"]}
    state, notes = corrections.normalise(
        FilterState(
            borough=("Camdem", "Hackney"),
            hosting=("cloud",),
            end_from=date(2027, 12, 31),
            end_to=date(2026, 1, 1),
        ),
        options,
    )
    assert state == FilterState(
        borough=("Hackney",), end_from=date(2026, 1, 1), end_to=date(2027, 12, 31)
    )
    assert notes == [
        "No borough called “Camdem” in the data (did you mean Camden?).",
        "No hosting called “cloud” in the data (did you mean Cloud (SaaS)?).",
        "The end-date range was back to front (31 Dec 2027 to 1 Jan 2026); it has been swapped.",
    ]


def test_a_link_naming_a_real_council_or_service_area_the_data_lacks_says_why(monkeypatch):
    """A council of another region, one of the region's with no records, and a service area
    with none were each "No borough called … in the data", as if there were no such thing."""
    from citydata.core import regions

    options = {"borough": ["Camden", "Hackney"], "service_area": ["Housing", "Parking"]}
    given = {
        "borough": ["Camden", "Bolton", "Islington", "Gotham"],
        "service_area": ["Libraries and culture", "Hosuing"],
    }
    state, notes = links.from_query_params(given, options)
    assert state.borough == ("Camden",) and state.service_area == ()
    assert notes == [
        "“Bolton” is outside London (Bolton Metropolitan Borough Council): this app is set up "
        "for the 33 London authorities (32 boroughs and the City of London).",
        "“Islington” has no records in the data.",
        "No borough called “Gotham” in the data.",
        "The service area “Libraries and culture” has no records in the data.",
        "No service area called “Hosuing” in the data (did you mean Housing?).",
    ]
    monkeypatch.setenv(regions.SETTING, "greater-manchester")
    _, notes = links.from_query_params({"borough": ["Camden"]}, {"borough": ["Bolton"]})
    assert notes == [
        "“Camden” is outside Greater Manchester (London Borough of Camden): this app is set up "
        "for the 10 councils of Greater Manchester."
    ]
