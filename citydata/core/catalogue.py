"""The product catalogue behind the demo data: real product and vendor names per service area.

Data only. Shares are relative weights within one list; values are medians for an average borough
in pounds a year. Where the contract usually runs through a reseller or partner, `vendors` lists
who holds it; otherwise the maker is the vendor.
"""

from __future__ import annotations

from dataclasses import dataclass

Vendors = tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Product:
    system: str
    maker: str
    share: float  # relative market weight within its list
    vendors: Vendors = ()  # who holds the contract, weighted; empty: the maker itself
    saas: bool = False  # sold as software as a service only
    onprem: bool = False  # runs on the council's own kit (hardware, infrastructure)
    scale: float = 1.0  # annual value relative to the area's median
    requires: tuple[str, ...] = ()  # extras: only beside one of these main systems


@dataclass(frozen=True)
class Area:
    label: str  # exactly a schema.SERVICE_AREAS label
    median: float  # median annual value of the main system, pounds
    sigma: float  # spread of the value (log scale)
    gap: float  # chance a borough records no main system for the area
    extra_weight: float  # share of the extra (module, secondary) records
    mains: tuple[Product, ...]
    extras: tuple[Product, ...]


def _x(system: str, maker: str, share: float, scale: float = 0.2, **kw: object) -> Product:
    """An extra product (module or secondary system), by default a fifth of the main's value."""
    return Product(system, maker, share, scale=scale, **kw)  # type: ignore[arg-type]


_RESELLERS: Vendors = (
    ("Softcat", 30),
    ("Bytes Software Services", 22),
    ("CDW", 15),
    ("Phoenix Software", 13),
    ("Computacenter", 12),
    ("Insight", 8),
)
_NETWORK: Vendors = (("Computacenter", 35), ("CDW", 25), ("Softcat", 25), ("Insight", 15))
_DYNAMICS: Vendors = (
    ("Agilisys", 30),
    ("Hitachi Solutions", 20),
    ("Avanade", 15),
    ("Softcat", 20),
    ("Bytes Software Services", 15),
)
_ORACLE: Vendors = (("Oracle", 45), ("Mastek", 25), ("Namos Solutions", 15), ("Infosys", 15))
_SAP: Vendors = (("SAP", 50), ("Capgemini", 25), ("NTT DATA", 25))
_SERVICENOW: Vendors = (("ServiceNow", 40), ("Softcat", 20), ("Bytes Software Services", 20))
_CONTROCC: Vendors = (("OLM Systems", 60), ("System C", 40))

# Each area: label, median value, sigma, gap, extra weight; then (main systems), (extras).
# fmt: off
AREAS: tuple[Area, ...] = (
    Area("Adults' social care", 320_000, 0.55, 0.0, 1.0, (
        Product("Mosaic", "Servelec", 34),
        Product("Liquidlogic LAS", "System C", 30),
        Product("Eclipse", "OLM Systems", 8),
        Product("CareFirst", "OLM Systems", 8),
        Product("Azeus Care", "Azeus Systems", 6, saas=True),
        Product("Paris", "Civica", 5),
        Product("CareDirector", "Civica", 5),
    ), (
        _x("ContrOCC", "OLM Systems", 4, 0.3, vendors=_CONTROCC,
           requires=("Liquidlogic LAS", "Mosaic")),
        _x("Liquidlogic Adults' Portal", "System C", 2, 0.1, requires=("Liquidlogic LAS",)),
        _x("PNC", "Tunstall Healthcare", 2, 0.15),
        _x("CareCubed", "iESE", 1, 0.05, saas=True),
        _x("SProc.Net", "Adam HTT", 1, 0.1, saas=True),
    )),
    Area("Children's social care", 300_000, 0.55, 0.0, 1.0, (
        Product("Liquidlogic LCS", "System C", 45),
        Product("Mosaic", "Servelec", 30),
        Product("Eclipse", "OLM Systems", 10),
        Product("Azeus Care", "Azeus Systems", 5, saas=True),
        Product("CareFirst", "OLM Systems", 5),
        Product("Paris", "Civica", 5),
    ), (
        _x("Liquidlogic EHM", "System C", 4, 0.25, requires=("Liquidlogic LCS",)),
        _x("ContrOCC", "OLM Systems", 2, 0.3, vendors=_CONTROCC,
           requires=("Liquidlogic LCS", "Mosaic")),
        _x("Mind of My Own", "Mind Of My Own", 2, 0.03, saas=True),
        _x("Open Objects Family Services Directory", "Idox", 1, 0.04, saas=True),
    )),
    Area("Education", 120_000, 0.6, 0.04, 0.7, (
        Product("ESS One", "Education Software Solutions", 60),
        Product("Synergy", "Servelec", 40),
    ), (
        _x("SIMS", "Education Software Solutions", 3, 0.2),
        _x("EHC Hub", "Invatech Health", 2, 0.1, saas=True),
        _x("Arbor", "Arbor Education", 1, 0.15, saas=True),
        _x("Wonde", "Wonde", 1, 0.03, saas=True),
    )),
    Area("Revenues and benefits", 380_000, 0.5, 0.0, 0.8, (
        Product("Academy Revenues and Benefits", "Capita", 48),
        Product("NEC Revenues and Benefits (iWorld)", "NEC Software Solutions", 32),
        Product("OpenRevenues", "Civica", 20),
    ), (
        _x("Information@Work", "NEC Software Solutions", 3, 0.15,
           requires=("NEC Revenues and Benefits (iWorld)",)),
        _x("Citizen Access Revenues", "NEC Software Solutions", 2, 0.08,
           requires=("NEC Revenues and Benefits (iWorld)",)),
        _x("Civica W2", "Civica", 3, 0.1),
        _x("Destin e-Forms", "Destin Solutions", 1, 0.04, saas=True),
        _x("Risk Based Verification", "Xantura", 1, 0.03, saas=True),
    )),
    Area("Housing", 240_000, 0.6, 0.03, 1.5, (
        Product("NEC Housing", "NEC Software Solutions", 35),
        Product("QL", "Aareon", 22),
        Product("Open Housing", "Capita", 15),
        Product("Orchard Housing", "MRI Software", 12),
        Product("Civica CX", "Civica", 12),
    ), (
        _x("Locata", "Locata Housing Services", 3, 0.15, saas=True),
        _x("Jigsaw", "Housing Partners", 2, 0.08, saas=True),
        _x("Home Connections", "Home Connections", 2, 0.08, saas=True),
        _x("Dynamic Resource Scheduler", "Kirona", 2, 0.2),
        _x("Totalmobile", "Totalmobile", 2, 0.2, saas=True),
        _x("RentSense", "Mobysoft", 1, 0.05, saas=True),
    )),
    Area("Planning and building control", 90_000, 0.55, 0.0, 1.0, (
        Product("Uniform", "Idox", 50),
        Product("M3", "NEC Software Solutions", 15),
        Product("Tascomi", "Arcus Global", 10, saas=True),
        Product("Arcus Built Environment", "Arcus Global", 10, saas=True),
        Product("Acolaid", "Idox", 8),
        Product("Assure", "Idox", 7, saas=True),
    ), (
        _x("Enterprise", "Idox", 3, 0.3, requires=("Uniform", "Acolaid")),
        _x("Idox Document Management", "Idox", 3, 0.3, requires=("Uniform", "Acolaid", "Assure")),
        _x("ArcGIS", "Esri", 4, 0.4, vendors=(("Esri UK", 100),)),
        _x("Cadcorp SIS", "Cadcorp", 1, 0.2),
        _x("Exacom", "Exacom", 1, 0.1, saas=True),
    )),
    Area("Environment and waste", 60_000, 0.6, 0.05, 0.7, (
        Product("Bartec Collective", "Bartec Municipal Technologies", 30, saas=True),
        Product("Whitespace Waste", "Whitespace", 25),
        Product("Alloy", "Yotta", 20, saas=True),
        Product("Webaspx", "Webaspx", 10, saas=True),
    ), (
        _x("RouteSmart", "RouteSmart Technologies", 2, 0.2),
        _x("Love Clean Streets", "Love Clean Streets", 2, 0.1, saas=True),
        _x("FixMyStreet Pro", "mySociety", 1, 0.1, saas=True, vendors=(("SocietyWorks", 100),)),
    )),
    Area("Highways and transport", 55_000, 0.6, 0.05, 0.7, (
        Product("Confirm", "Brightly Software", 35),
        Product("Alloy", "Yotta", 25, saas=True),
        Product("Symology Insight", "Symology", 20),
        Product("Mayrise", "Yotta", 15),
        Product("Exor", "Bentley Systems", 5),
    ), (
        _x("Tranman", "Civica", 3, 0.3),
        _x("roadworks.org", "Elgin", 1, 0.1, saas=True),
        _x("PTV Visum", "PTV Group", 1, 0.2),
    )),
    Area("Parking", 140_000, 0.6, 0.03, 0.8, (
        Product("Taranto", "Imperial Civil Enforcement Solutions", 45, vendors=(
            ("Imperial Civil Enforcement Solutions", 60), ("NSL", 25), ("APCOA Parking", 15))),
        Product("ChipsideLIVE", "Chipside", 30, saas=True),
        Product("Civica Civil Enforcement", "Civica", 25),
    ), (
        _x("MiPermit", "Chipside", 2, 0.15, saas=True),
        _x("RingGo", "RingGo", 3, 0.2, saas=True),
        _x("PayByPhone", "PayByPhone", 2, 0.2, saas=True),
        _x("AppyWay", "AppyWay", 1, 0.1, saas=True),
    )),
    Area("Libraries and culture", 35_000, 0.5, 0.04, 1.0, (
        Product("Spydus", "Civica", 40, saas=True),
        Product("SirsiDynix Symphony", "SirsiDynix", 25),
        Product("Koha", "Koha Community", 15, vendors=(("PTFS Europe", 100),)),
        Product("Axiell Quria", "Axiell", 10, saas=True),
    ), (
        _x("BorrowBox", "Bolinda Digital", 3, 0.3, saas=True),
        _x("Libby", "OverDrive", 3, 0.3, saas=True),
        _x("Bibliotheca selfCheck", "Bibliotheca", 2, 0.4, onprem=True),
        _x("PressReader", "PressReader", 1, 0.1, saas=True),
        _x("Spektrix", "Spektrix", 1, 0.3, saas=True),
        _x("Gladstone Plus", "Gladstone", 1, 0.5),
        _x("Legend", "Legend Club Management Systems", 1, 0.5, saas=True),
    )),
    Area("Electoral services", 25_000, 0.5, 0.0, 0.3, (
        Product("Xpress", "Xpress Software Solutions", 45),
        Product("Electoral Management System", "Idox", 40),
        Product("Democracy Counts", "Democracy Counts", 15, saas=True),
    ), (
        _x("Poll card and postal vote printing", "Adare SEC", 2, 0.4),
        _x("Count management", "Democracy Counts", 1, 0.3, saas=True),
    )),
    Area("Customer services and CRM", 170_000, 0.6, 0.06, 1.2, (
        Product("Microsoft Dynamics 365", "Microsoft", 30, vendors=_DYNAMICS, saas=True),
        Product("Salesforce Service Cloud", "Salesforce", 20, saas=True,
                vendors=(("Salesforce", 70), ("Arcus Global", 30))),
        Product("Netcall Liberty Create", "Netcall", 15),
        Product("GovService", "Granicus", 15, saas=True),
        Product("Jadu CXM", "Jadu", 12, saas=True),
        Product("Verint Engagement Management", "Verint", 8),
    ), (
        _x("Netcall Liberty Contact", "Netcall", 3, 0.3),
        _x("MiContact Center", "Mitel", 2, 0.3),
        _x("GOSS iCM", "GOSS Interactive", 2, 0.2, saas=True),
        _x("Jadu Central", "Jadu", 2, 0.2, saas=True),
    )),
    Area("Finance and procurement", 650_000, 0.65, 0.0, 2.0, (
        Product("Oracle Fusion Cloud ERP", "Oracle", 25, vendors=_ORACLE, saas=True),
        Product("Unit4 ERP (Agresso)", "Unit4", 20),
        Product("Civica Financials", "Civica", 15),
        Product("SAP S/4HANA", "SAP", 12, vendors=_SAP),
        Product("Oracle E-Business Suite", "Oracle", 10, vendors=_ORACLE),
        Product("TechnologyOne ERP", "TechnologyOne", 10, saas=True),
    ), (
        _x("Civica Pay", "Civica", 3, 0.1),
        _x("Pay360", "Pay360", 2, 0.1, saas=True),
        _x("Adelante", "Adelante Software", 1, 0.08, saas=True),
        _x("ProContract", "Proactis", 2, 0.05, saas=True),
        _x("In-Tend", "In-Tend", 1, 0.05, saas=True),
        _x("Atamis", "Atamis", 1, 0.08, saas=True),
        _x("Bottomline PTX", "Bottomline", 1, 0.03, saas=True),
    )),
    Area("HR and payroll", 230_000, 0.6, 0.0, 1.5, (
        Product("iTrent", "MHR", 40),
        Product("ResourceLink", "Zellis", 20),
        Product("Oracle Fusion HCM", "Oracle", 15, vendors=_ORACLE, saas=True),
        Product("SAP SuccessFactors", "SAP", 8, vendors=_SAP, saas=True),
    ), (
        _x("Tribepad", "Tribepad", 2, 0.15, saas=True),
        _x("Eploy", "Eploy", 2, 0.15, saas=True),
        _x("Learning Pool", "Learning Pool", 2, 0.1, saas=True),
        _x("Totara Learn", "Totara", 1, 0.1, vendors=(("Kineo", 100),)),
        _x("Altair", "Aquila Heywood", 2, 0.3),
        _x("UPM", "Civica", 2, 0.3),
    )),
    Area("Public health", 45_000, 0.6, 0.25, 0.4, (
        Product("Lilie", "Mill Systems", 30, saas=True),
        Product("EMIS Web", "EMIS Health", 25),
        Product("SystmOne", "TPP", 25),
        Product("CareNotes", "OneAdvanced", 10),
    ), (
        _x("PharmOutcomes", "Pinnacle Health", 2, 0.2, saas=True),
        _x("QuitManager", "Bionical Solutions", 1, 0.1, saas=True),
    )),
    Area("Regulatory services", 50_000, 0.55, 0.12, 0.4, (
        Product("Uniform", "Idox", 45),
        Product("APP", "Civica", 20),
        Product("M3", "NEC Software Solutions", 15),
        Product("Tascomi", "Arcus Global", 15, saas=True),
    ), (
        _x("Uniform Mobile", "Idox", 2, 0.15, requires=("Uniform",)),
        _x("The Noise App", "RHE Global", 1, 0.05, saas=True),
    )),
    Area("Democratic services", 18_000, 0.45, 0.05, 0.3, (
        Product("Modern.gov", "Civica", 80),
        Product("CMIS", "Astech Consultants", 12),
    ), (
        _x("Public-i webcasting", "Public-i", 1, 0.5, saas=True),
    )),
    Area("Corporate IT and infrastructure", 700_000, 0.5, 0.02, 5.0, (
        Product("Microsoft 365", "Microsoft", 88, vendors=_RESELLERS, saas=True),
        Product("Google Workspace", "Google", 12, saas=True,
                vendors=(("Google", 40), ("Softcat", 30), ("CDW", 30))),
    ), (
        _x("Microsoft Azure", "Microsoft", 6, 0.4, vendors=_RESELLERS, saas=True),
        _x("Amazon Web Services", "Amazon Web Services", 4, 0.3, saas=True,
           vendors=(("Amazon Web Services", 70), ("Softcat", 15), ("CDW", 15))),
        _x("ServiceNow ITSM", "ServiceNow", 4, 0.2, vendors=_SERVICENOW, saas=True),
        _x("Ivanti Neurons for ITSM", "Ivanti", 2, 0.1, vendors=_RESELLERS),
        _x("TOPdesk", "TOPdesk", 1, 0.05, saas=True),
        _x("Cisco Catalyst networking", "Cisco", 4, 0.3, vendors=_NETWORK, onprem=True),
        _x("Cisco Meraki", "Cisco", 3, 0.15, vendors=_NETWORK),
        _x("Palo Alto Networks firewalls", "Palo Alto Networks", 2, 0.1, vendors=_NETWORK,
           onprem=True),
        _x("VMware vSphere", "VMware", 3, 0.15, vendors=_RESELLERS, onprem=True),
        _x("Citrix Virtual Apps", "Citrix", 2, 0.1, vendors=_RESELLERS),
        _x("Veeam Backup & Replication", "Veeam", 1, 0.05, vendors=_RESELLERS, onprem=True),
        _x("Zscaler Internet Access", "Zscaler", 1, 0.08, vendors=_RESELLERS, saas=True),
        _x("Mimecast", "Mimecast", 1, 0.05, vendors=_RESELLERS, saas=True),
        _x("Egress", "Egress Software Technologies", 1, 0.03, saas=True),
        _x("Adobe Acrobat Pro", "Adobe", 1, 0.05, vendors=_RESELLERS, saas=True),
        _x("Power BI Pro", "Microsoft", 1, 0.05, vendors=_RESELLERS, saas=True),
        _x("Managed print service", "Xerox", 2, 0.15, onprem=True),
    )),
    Area("Other", 30_000, 0.6, 1.0, 0.8, (), (
        _x("GovDelivery", "Granicus", 3, 1.0, saas=True),
        _x("Milestone XProtect", "Milestone Systems", 3, 1.5, onprem=True),
        _x("BACAS", "Gower Consultants", 2, 0.6),
        _x("Symphony LLPG", "Aligned Assets", 2, 0.6),
        _x("SmartSurvey", "SmartSurvey", 1, 0.2, saas=True),
    )),
)
# fmt: on
