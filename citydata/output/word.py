"""Briefings as Word documents (.docx, made with python-docx): a file that opens on any council
PC, where a Markdown or text file may not.

Each function takes the same content as its plain-text or Markdown twin and lays it out with
Word's own styles (Title, headings, bulleted lists, a table with a header row), so a reader can
restyle or paste it into a paper. Text goes in as text: nothing in the data is interpreted, and
data text that a spreadsheet would run as a formula (a table pasted into Excel) carries the
downloads' apostrophe. When the records are illustrative, a bold warning comes first.

A briefing is for reading: each table or list holds at most MAX_ROWS rows, and says how many
more there are and which download holds every one (a borough's 5,000 records and 44,000 peers
took python-docx ten minutes, and made a document nobody reads).
"""

from __future__ import annotations

import copy
import io
import itertools
from collections.abc import Iterable, Sequence

import pandas as pd
from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from citydata.core import boroughs
from citydata.core.dates import day_label
from citydata.core.formatting import count, day, money
from citydata.core.text import neutralise_cell
from citydata.output import exports
from citydata.output.briefing import ILLUSTRATIVE
from citydata.output.group_briefing import Briefing
from citydata.query import filters
from citydata.query.borough_profile import VENDOR_LABELS, Profile, ending_soon
from citydata.query.market import NOT_GIVEN, SYSTEM_NOT_GIVEN
from citydata.query.peers import PEER_LABELS

WARNING_COLOUR = RGBColor(0x9B, 0x1C, 0x1C)
MAX_ROWS = 1_000  # rows of one table or list (as many as the pages show)
# Where every record of a borough's briefing is when its Word tables are cut (`_cut`).
EVERY_RECORD = "the Excel and text briefings hold"


def collaboration(b: Briefing) -> bytes:
    """One collaboration group's briefing (see `group_briefing.briefing`)."""
    doc = _new(b.title)
    if b.warning:
        _warning(doc, b.warning)
    doc.add_paragraph(b.intro)
    doc.add_paragraph(f"Selection: {b.selection}.")
    for label, text in b.facts:
        para = doc.add_paragraph(style="List Bullet")
        para.add_run(f"{label}: ").bold = True
        para.add_run(text)
    doc.add_heading("Contracts in the group", level=1)
    _table(doc, b.columns, b.rows)
    _cut(doc, len(b.rows), count(len(b.rows), "contract"), "the CSV and Markdown briefings hold")
    doc.add_paragraph(b.footer).runs[0].font.size = Pt(9)
    return _bytes(doc)


def borough(p: Profile) -> bytes:
    """A borough's briefing: the same content as `briefing.text` and `briefing.xlsx`."""
    doc = _new(f"{p.borough.name}: systems and contracts briefing")
    if p.illustrative:
        _warning(doc, ILLUSTRATIVE)
    doc.add_paragraph(
        f"{p.borough.official_name} ({p.borough.code}). Prepared {day_label(p.today)}."
    )
    doc.add_paragraph("Source: " + p.source_text)
    doc.add_paragraph("Selection: " + filters.summary(p.state) + ".")
    f = p.figures
    _table(
        doc,
        ("Records", "Systems", "Vendors", "Annual value", "Ending in the next 12 months"),
        [
            (
                f"{f['records']:,}",
                f"{f['systems']:,}",
                f"{f['vendors']:,}",
                money(f["annual_value"]),
                f"{f['ending_12_months']:,}",
            )
        ],
    )
    doc.add_heading("Systems by service area", level=1)
    shown = p.systems.head(MAX_ROWS)
    # who else bought a joint contract (its annual value a share), when any record is one's
    joint = bool(shown["bought_with"].notna().any())
    names = ("service_area", "system", "vendor", "contract_start", "contract_end", "annual_value")
    columns = tuple(  # (named as the page's table and the other downloads name them)
        exports.label(c) for c in (*names, *(("bought_with",) if joint else ()), "hosting")
    )
    rows = [
        (
            _text(r.service_area),
            _system(r.system),
            _vendor(r.vendor),
            _day(r.contract_start),
            _day(r.contract_end),
            _money(r.annual_value),
            *((_text(r.bought_with),) if joint else ()),
            _text(r.hosting),
        )
        for r in shown.itertuples()
    ]
    if rows:
        _table(doc, columns, rows)
        _cut(doc, len(p.systems), count(len(p.systems), "record"), EVERY_RECORD)
    else:
        doc.add_paragraph("No records match the selection.")
    doc.add_heading(boroughs.reword("Vendors (share of the borough's records)"), level=1)
    _table(
        doc,
        tuple(VENDOR_LABELS[c] for c in ("vendor", "records", "share", "annual_value")),
        [
            (_text(r.vendor), f"{r.records:,}", f"{r.share:.1f}%", _money(r.annual_value))
            for r in p.vendors.head(MAX_ROWS).itertuples()
        ],
    )
    _cut(doc, len(p.vendors), count(len(p.vendors), "vendor"), EVERY_RECORD)
    doc.add_heading("Contracts ending in the next 24 months", level=1)
    soon = ending_soon(p.systems, p.today, 24)
    if soon.empty:
        doc.add_paragraph("None.")
    for r in soon.head(MAX_ROWS).itertuples():
        doc.add_paragraph(
            f"{_day(r.contract_end)}: {_system(r.system)} ({_text(r.service_area)}), "
            f"{_vendor(r.vendor)}",
            style="List Bullet",
        )
    _cut(doc, len(soon), count(len(soon), "contract"), EVERY_RECORD)
    doc.add_heading(boroughs.reword("Peers: other boroughs on the same system or vendor"), level=1)
    if p.peers.empty:
        doc.add_paragraph(
            boroughs.reword(
                "No other borough uses the same systems or vendors under this selection."
            )
        )
    else:
        _table(
            doc,
            tuple(
                boroughs.reword(PEER_LABELS[c])
                for c in (
                    "service_area",
                    "system",
                    "peer_borough",
                    "peer_system",
                    "peer_contract_end",
                    "match",
                )
            ),
            [
                (
                    _text(r.service_area),
                    _system(r.system),
                    _text(r.peer_borough),
                    _system(r.peer_system),
                    _day(r.peer_contract_end),
                    _text(r.match),
                )
                for r in p.peers.head(MAX_ROWS).itertuples()
            ],
        )
        _cut(doc, len(p.peers), count(len(p.peers), "peer"), "the Excel briefing holds")
    doc.add_heading("Service areas with no records", level=1)
    doc.add_paragraph(
        ", ".join(p.missing_areas) + "."
        if p.missing_areas
        else "None: every service area has a record."
    )
    if p.gaps_text:
        doc.add_heading("Details not recorded", level=1)
        doc.add_paragraph(p.gaps_text)
    return _bytes(doc)


def _new(title: str) -> DocxDocument:
    doc = Document()
    doc.core_properties.title = title
    doc.core_properties.author = "City Tools Explorer"
    doc.add_heading(title, level=0)
    return doc


def _warning(doc: DocxDocument, text: str) -> None:
    run = doc.add_paragraph().add_run(text)
    run.bold = True
    run.font.color.rgb = WARNING_COLOUR


def _table(doc: DocxDocument, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """A table with a header row and the first MAX_ROWS of `rows`. Each row is a copy of one
    made by python-docx with its text put in place: `table.add_row()` and `cell.text` look the
    table up again for every cell, about 10 ms a row."""
    table = doc.add_table(rows=2, cols=len(columns))
    table.style = "Light Grid Accent 1"
    for cell, name in zip(table.rows[0].cells, columns, strict=True):
        cell.text = name
    for cell in table.rows[1].cells:
        cell.text = "-"  # a paragraph with one run of text in each cell
    template = table.rows[1]._tr
    template.getparent().remove(template)
    texts = list(template.iter(qn("w:t")))
    for t in texts:
        t.set(qn("xml:space"), "preserve")
    for values in itertools.islice(rows, MAX_ROWS):
        for t, value in zip(texts, values, strict=True):
            t.text = value
        table._tbl.append(copy.deepcopy(template))


def _cut(doc: DocxDocument, total: int, said: str, holder: str) -> None:
    """When a table or list of `total` rows (`said`: "5,092 records") was cut to MAX_ROWS,
    a line saying so and which briefing holds every one (`holder`: "the Excel briefing
    holds")."""
    if total > MAX_ROWS:
        doc.add_paragraph(f"The first {MAX_ROWS:,} of {said}; {holder} every one.")


def _bytes(doc: DocxDocument) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _given(value: object) -> bool:
    return value is not None and value != "" and not pd.isna(value)


def _text(value: object) -> str:
    """Data text on one line, with no formula start (see the module) nor a character XML cannot
    hold; blank (not "None") when not given."""
    if not _given(value):
        return ""
    return str(neutralise_cell(ILLEGAL_CHARACTERS_RE.sub("", " ".join(str(value).split()))))


def _system(value: object) -> str:
    """The system, or "system not given" (as the text briefing and the Adoption page say)."""
    return _text(value) if _given(value) else SYSTEM_NOT_GIVEN


def _vendor(value: object) -> str:
    """The vendor, or "(vendor not given)" (as the text briefing and the Market say): a blank
    left "31 Mar 2027: Electoral system (Electoral services), " ending on nothing."""
    return _text(value) if _given(value) else NOT_GIVEN


def _day(value: object) -> str:
    return day(value, missing="")


def _money(value: object) -> str:
    return money(value, missing="")
