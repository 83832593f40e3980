"""Briefings as Word documents (.docx, made with python-docx): a file that opens on any council
PC, where a Markdown or text file may not.

Each function takes the same content as its plain-text or Markdown twin and lays it out with
Word's own styles (Title, headings, bulleted lists, a table with a header row), so a reader can
restyle or paste it into a paper. Text goes in as text: nothing in the data is interpreted.
When the records are illustrative, a bold warning comes first.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

import pandas as pd
from docx import Document
from docx.document import Document as DocxDocument
from docx.shared import Pt, RGBColor

from citydata.core import boroughs
from citydata.core.dates import day_label
from citydata.core.formatting import day, money
from citydata.output.briefing import ILLUSTRATIVE
from citydata.output.group_briefing import Briefing
from citydata.query import filters
from citydata.query.borough_profile import Profile, ending_soon

WARNING_COLOUR = RGBColor(0x9B, 0x1C, 0x1C)


def collaboration(b: Briefing) -> bytes:
    """One collaboration group's briefing (see `group_briefing.briefing`)."""
    doc = _new(b.title)
    if b.warning:
        _warning(doc, b.warning)
    doc.add_paragraph(b.intro)
    for label, text in b.facts:
        para = doc.add_paragraph(style="List Bullet")
        para.add_run(f"{label}: ").bold = True
        para.add_run(text)
    doc.add_heading("Contracts in the group", level=1)
    _table(doc, b.columns, b.rows)
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
    columns = ("Service area", "System", "Vendor", "Start", "End", "Annual value", "Hosting")
    rows = [
        (
            _text(r.service_area),
            _text(r.system),
            _text(r.vendor),
            _day(r.contract_start),
            _day(r.contract_end),
            _money(r.annual_value),
            _text(r.hosting),
        )
        for r in p.systems.itertuples()
    ]
    if rows:
        _table(doc, columns, rows)
    else:
        doc.add_paragraph("No records match the selection.")
    doc.add_heading(boroughs.reword("Vendors (share of the borough's records)"), level=1)
    _table(
        doc,
        ("Vendor", "Records", "Share", "Annual value"),
        [
            (_text(r.vendor), f"{r.records:,}", f"{r.share:.1f}%", _money(r.annual_value))
            for r in p.vendors.itertuples()
        ],
    )
    doc.add_heading("Contracts ending in the next 24 months", level=1)
    soon = ending_soon(p.systems, p.today, 24)
    if soon.empty:
        doc.add_paragraph("None.")
    for r in soon.itertuples():
        doc.add_paragraph(
            f"{_day(r.contract_end)}: {_text(r.system)} ({_text(r.service_area)}), "
            f"{_text(r.vendor)}",
            style="List Bullet",
        )
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
            (
                "Service area",
                "System",
                boroughs.reword("Peer borough"),
                "Peer's system",
                "Peer's end",
                "Match",
            ),
            [
                (
                    _text(r.service_area),
                    _text(r.system),
                    _text(r.peer_borough),
                    _text(r.peer_system),
                    _day(r.peer_contract_end),
                    _text(r.match),
                )
                for r in p.peers.itertuples()
            ],
        )
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
    table = doc.add_table(rows=1, cols=len(columns))
    table.style = "Light Grid Accent 1"
    for cell, name in zip(table.rows[0].cells, columns, strict=True):
        cell.text = name
    for values in rows:
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = value


def _bytes(doc: DocxDocument) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _given(value: object) -> bool:
    return value is not None and value != "" and not pd.isna(value)


def _text(value: object) -> str:
    """Data text on one line; blank (not "None") when not given."""
    return " ".join(str(value).split()) if _given(value) else ""


def _day(value: object) -> str:
    return day(value, missing="")


def _money(value: object) -> str:
    return money(value, missing="")
