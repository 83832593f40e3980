"""Canonical contract fields and the service-area taxonomy.

One record is one system a borough uses under one contract. The field list here is the single
source for the database table, the embedded CSV, the upload template and the exports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from citydata.core.keys import fold_words


@dataclass(frozen=True)
class Field:
    name: str
    sql_type: str
    label: str
    help: str
    required: bool = False


# Order matters: it is the column order of the embedded CSV, the template and every export.
FIELDS: tuple[Field, ...] = (
    Field("borough_code", "VARCHAR", "Borough code", "GSS code, E09000001..E09000033", True),
    Field(
        "borough", "VARCHAR", "Borough", "Canonical short name, e.g. Kensington and Chelsea", True
    ),
    Field(
        "service_area", "VARCHAR", "Service area", "One of the service areas of the taxonomy", True
    ),
    Field("system", "VARCHAR", "System", "The product or system in use", True),
    Field("vendor", "VARCHAR", "Vendor", "Who holds the contract (the supplier)", True),
    Field("manufacturer", "VARCHAR", "Manufacturer", "Who makes the product, when not the vendor"),
    Field("contract_start", "DATE", "Contract start", "First day of the contract"),
    Field("contract_end", "DATE", "Contract end", "Last day; empty when unknown or rolling"),
    Field("annual_value", "DECIMAL(18,2)", "Annual value (£)", "Annual contract value in pounds"),
    Field("hosting", "VARCHAR", "Hosting", "Where the system runs"),
    Field(
        "satisfaction",
        "TINYINT",
        "Satisfaction (1-5)",
        "Supplier satisfaction, 1 (poor) to 5 (good)",
    ),
    Field("source_ref", "VARCHAR", "Reference", "The register's own reference for the contract"),
    # Skills to share (citydata.core.skills): optional, added in schema version 8.
    Field(
        "skill_level",
        "VARCHAR",
        "In-house skill level",
        "How much skill the borough has in house with the system: None, Basic, Intermediate "
        "or Expert",
    ),
    Field(
        "contact_role",
        "VARCHAR",
        "Contact role",
        "Who a peer should ask about the system, as a role (e.g. Systems manager), never a "
        "person's name or e-mail",
    ),
)
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
FIELD_BY_NAME = {f.name: f for f in FIELDS}

HOSTING_VALUES: tuple[str, ...] = ("Cloud (SaaS)", "Hosted by supplier", "On premises", "Hybrid")

_HOSTING_WORDS = {
    "Cloud (SaaS)": ("saas", "cloud", "software as a service", "public cloud", "azure", "aws"),
    "Hosted by supplier": (
        "hosted",
        "supplier hosted",
        "managed service",
        "vendor hosted",
        "off site",
    ),
    "On premises": (
        "on premises",
        "on premise",
        "on prem",
        "onprem",
        "on-site",
        "on site",
        "local",
    ),
    "Hybrid": ("hybrid", "mixed"),
}


@dataclass(frozen=True)
class ServiceArea:
    key: str
    label: str
    synonyms: tuple[str, ...] = ()


SERVICE_AREAS: tuple[ServiceArea, ...] = (
    ServiceArea(
        "adults_social_care",
        "Adults' social care",
        ("adult social care", "adults social care", "asc", "adult services", "adults"),
    ),
    ServiceArea(
        "childrens_social_care",
        "Children's social care",
        ("childrens social care", "children's services", "children services", "csc", "children"),
    ),
    ServiceArea("education", "Education", ("schools", "education services", "sen", "send")),
    ServiceArea(
        "revenues_benefits",
        "Revenues and benefits",
        (
            "r&b",
            "r and b",
            "revs & bens",
            "revs and bens",
            "revenues",
            "benefits",
            "council tax",
            "housing benefit",
            "housing benefits",
            "business rates",
        ),
    ),
    ServiceArea("housing", "Housing", ("housing management", "homelessness", "repairs")),
    ServiceArea(
        "planning_building_control",
        "Planning and building control",
        ("planning", "building control", "development management", "land charges"),
    ),
    ServiceArea(
        "environment_waste",
        "Environment and waste",
        (
            "waste",
            "refuse",
            "recycling",
            "street cleansing",
            "environment",
            "environmental services",
        ),
    ),
    ServiceArea(
        "highways_transport",
        "Highways and transport",
        ("highways", "transport", "streetworks", "street works", "fleet"),
    ),
    ServiceArea("parking", "Parking", ("parking enforcement", "pcn", "parking services")),
    ServiceArea(
        "libraries_culture",
        "Libraries and culture",
        ("libraries", "library", "culture", "leisure", "arts"),
    ),
    ServiceArea(
        "electoral_services",
        "Electoral services",
        ("elections", "electoral", "electoral registration", "ier"),
    ),
    ServiceArea(
        "customer_services_crm",
        "Customer services and CRM",
        ("crm", "customer services", "customer service", "contact centre", "customer relationship"),
    ),
    ServiceArea(
        "finance_procurement",
        "Finance and procurement",
        ("finance", "procurement", "erp", "accounts", "financials", "purchasing"),
    ),
    ServiceArea("hr_payroll", "HR and payroll", ("hr", "payroll", "human resources", "people")),
    ServiceArea("public_health", "Public health", ("health", "sexual health")),
    ServiceArea(
        "regulatory_services",
        "Regulatory services",
        ("licensing", "trading standards", "environmental health", "regulatory"),
    ),
    ServiceArea(
        "democratic_services",
        "Democratic services",
        ("committee management", "democracy", "member services", "governance"),
    ),
    ServiceArea(
        "corporate_it",
        "Corporate IT and infrastructure",
        ("it", "ict", "corporate it", "infrastructure", "digital", "technology", "network"),
    ),
    ServiceArea("other", "Other", ("miscellaneous", "misc", "general")),
)
SERVICE_AREA_LABELS: tuple[str, ...] = tuple(a.label for a in SERVICE_AREAS)
OTHER = "Other"  # the service area of what no other area fits


_AREA_LOOKUP: dict[str, str] = {}
for _area in SERVICE_AREAS:
    for _word in (_area.key.replace("_", " "), _area.label, *_area.synonyms):
        _AREA_LOOKUP[fold_words(_word)] = _area.label


def service_area_label(text: str | None) -> str | None:
    """The canonical service-area label for what people write, or None when unknown.

    >>> service_area_label("Revs & Bens")
    'Revenues and benefits'
    """
    if text is None:
        return None
    return _AREA_LOOKUP.get(fold_words(str(text)))


def hosting_label(text: str | None) -> str | None:
    """The canonical hosting value for a free-text hosting word, or None when blank or unknown."""
    if text is None:
        return None
    folded = fold_words(str(text))
    if not folded:
        return None
    for label in HOSTING_VALUES:
        if folded == fold_words(label):
            return label
    for label, words in _HOSTING_WORDS.items():
        if folded in words:
            return label
    for label, words in _HOSTING_WORDS.items():
        if any(re.search(rf"\b{re.escape(w)}\b", folded) for w in words):
            return label
    return None
