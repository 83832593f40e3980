"""The upload template: the canonical columns under their labels, with one example row.

Both speak the region's words: 'Council' for 'Borough' outside London, and an example council
of the region (Camden in London), so that the template read back is accepted as it is.

The CSV is UTF-8 with a byte-order mark (Excel then shows '£' right) and UK dates; the workbook
has the same columns on a 'Contracts' sheet, real dates and numbers, and a 'Help' sheet that
says what goes in each column and lists the service areas, hosting words and skill levels.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font

from citydata.core import boroughs, regions
from citydata.core.schema import FIELD_BY_NAME, FIELDS, HOSTING_VALUES, SERVICE_AREA_LABELS
from citydata.core.skills import SKILL_LEVELS

_EXAMPLE: dict[str, object] = {
    "borough_code": "E09000007",
    "borough": "Camden",
    "service_area": "Adults' social care",
    "system": "Liquidlogic Adults' Social Care System (LAS)",
    "vendor": "System C",
    "manufacturer": "System C",
    "contract_start": date(2022, 4, 1),
    "contract_end": date(2027, 3, 31),
    "annual_value": Decimal("124850.00"),
    "hosting": "On premises",
    "satisfaction": 4,
    "source_ref": "CAM-IT-0042",
    "skill_level": "Expert",
    "contact_role": "Adults' systems manager",
}


def template_columns() -> tuple[str, ...]:
    """The template's headers: every field's label, in the region's words."""
    return tuple(boroughs.reword(f.label) for f in FIELDS)


def example() -> dict[str, object]:
    """The example row, for a council of the region (Camden in London; outside London the
    first by name of the region's councils)."""
    region = regions.current()
    if region.is_london:
        return dict(_EXAMPLE)
    first = min(region.authorities, key=lambda a: a.name)
    return _EXAMPLE | {"borough_code": first.code, "borough": first.name}


def field_help(name: str) -> str:
    """What goes in the column of field `name`, in the region's words, with the region's own
    example council rather than a London one: the template's Help sheet and the upload's
    choice of columns say the same."""
    row = example()
    said = {
        "borough_code": f"GSS code, such as {row['borough_code']}",
        "borough": f"Canonical short name, such as {row['borough']}",
    }
    return boroughs.reword(said.get(name) or FIELD_BY_NAME[name].help)


def _csv_cell(value: object) -> str:
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def template_bytes(fmt: str = "csv") -> bytes:
    """The template as CSV (default) or XLSX bytes, ready to download."""
    if fmt == "csv":
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\r\n")
        row = example()
        writer.writerow(template_columns())
        writer.writerow([_csv_cell(row[f.name]) for f in FIELDS])
        return out.getvalue().encode("utf-8-sig")
    if fmt == "xlsx":
        return _xlsx()
    raise ValueError(f"template format must be 'csv' or 'xlsx', not {fmt!r}")


def _xlsx() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Contracts"
    row, columns = example(), template_columns()
    ws.append(list(columns))
    ws.append([float(v) if isinstance(v, Decimal) else v for v in (row[f.name] for f in FIELDS)])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for i, f in enumerate(FIELDS, start=1):
        cell = ws.cell(row=2, column=i)
        if f.sql_type == "DATE":
            cell.number_format = "DD/MM/YYYY"
        elif f.name == "annual_value":
            cell.number_format = "#,##0.00"
        else:
            cell.number_format = "@"  # text stays text
        ws.column_dimensions[cell.column_letter].width = max(14, len(columns[i - 1]) + 4)
    ws.freeze_panes = "A2"
    help_ws = wb.create_sheet("Help")
    help_ws.append(["Column", "What goes in it", "Needed"])
    either = boroughs.reword("Borough code or Borough (or choose the borough when uploading)")
    needed = {"borough_code": either, "borough": either, "system": "yes", "vendor": "yes"}
    for f, column in zip(FIELDS, columns, strict=True):
        help_ws.append([column, field_help(f.name), needed.get(f.name, "")])
    help_ws.append([])
    help_ws.append(["Service areas", "; ".join(SERVICE_AREA_LABELS)])
    help_ws.append(["Hosting", "; ".join(HOSTING_VALUES)])
    help_ws.append(["In-house skill level", "; ".join(SKILL_LEVELS) + " (or leave it empty)"])
    help_ws.append(
        [
            "Contact role",
            boroughs.reword(
                "A role other boroughs can ask, such as Systems manager or ICT service desk. "
                "Never a person's name, e-mail address or telephone number: the register is "
                "shared."
            ),
        ]
    )
    help_ws.append(["Dates", "Day first, as 31/03/2027. Leave the end empty when rolling."])
    help_ws.append(
        [
            boroughs.reword("Borough"),
            f"Either column will do: the name ({row['borough']}) or the code "
            f"({row['borough_code']}).",
        ]
    )
    for cell in help_ws[1]:
        cell.font = Font(bold=True)
    help_ws.column_dimensions["A"].width = 18
    help_ws.column_dimensions["B"].width = 90
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
