"""The value a notice's row keeps, and the one warning saying what happened to it.

Values: the award's, else the tender's when above zero, else the tender's `minValue` (a value
of zero is what publishers write for one not disclosed, passed over unsaid; one below zero or
NaN is passed over with a warning). Each is its `amount`, or, when it gives none, its
`amountNet`, else its `amountGross` (VAT included: kept, with a warning saying it is gross).
When several suppliers share one award its value is not repeated on each row (totals would
count it several times): the rows get no value and a warning that names it. A value not in
pounds is left out; each row gets one warning saying what happened to its value (`kept`).
"""

from __future__ import annotations

import math
from typing import Any


def _given(value: dict[str, Any]) -> tuple[Any, bool]:
    """The figure a value object gives, and whether it is its gross amount: its `amount`; when
    it gives none, its `amountNet` (also without VAT), else its `amountGross` (VAT included),
    as the UK's notices write a value with and without VAT."""
    for key in ("amount", "amountNet", "amountGross"):
        if value.get(key) is not None:
            return value[key], key == "amountGross"
    return None, False


def _amount(value: Any) -> tuple[Any, Any, bool]:
    if not isinstance(value, dict):
        return None, None, False
    amount, gross = _given(value)
    if _number(amount) and amount > 0:  # (too large, or Infinity: refused as money is, later)
        return amount, value.get("currency"), gross
    return None, None, False


def _number(amount: Any) -> bool:
    return isinstance(amount, (int, float)) and not isinstance(amount, bool)


# Where a value is looked for, in turn: the first above zero is the row's.
_VALUES = (("award", "value", "award's value"), ("tender", "value", "tender's value"),
           ("tender", "minValue", "tender's lowest value"))  # fmt: skip


def value_of(award: dict, tender: dict) -> tuple[Any, Any, str | None, bool, str | None]:
    """The row's value and currency (see the module's docstring), which value it is ("award's
    value"), whether it is a gross amount (VAT included), and, where the notice gives an amount
    below zero or not a number (-500, -Infinity) before it, why that was passed over. Zero is
    what publishers write for a value not disclosed: passed over unsaid."""
    odd = None
    for where, key, said in _VALUES:
        given = (award if where == "award" else tender).get(key)
        amount, currency, gross = _amount(given)
        if amount is not None:
            return amount, currency, said, gross, odd
        raw, _ = _given(given) if isinstance(given, dict) else (None, False)
        if odd is None and _number(raw) and not raw >= 0:  # (below zero, -Infinity, NaN)
            written = _written(raw)
            unit = given.get("currency")
            if isinstance(unit, str) and unit not in ("", "GBP"):
                written = f"{unit} {written}"
            odd = f"The {said} ({written}) cannot be a contract's value, so it is not used"
    return None, None, None, False, odd


def kept(
    value: Any, currency: Any, said: str | None, gross: bool, odd: str | None, suppliers: int
) -> tuple[Any, list[tuple[str, Any, str]]]:
    """The value a row keeps, and one note of why (its column, cell and reason) where it is not
    the notice's value as given: passed over (`odd`), not in pounds, shared by several
    suppliers, or a gross amount. Each note says what happened and nothing else."""
    if value is None:
        return None, [("Value", None, f"{odd}.")] if odd else []
    money = _money(value, currency)
    what = f"the {said}" + (" (its gross amount, VAT included)" if gross else "")
    foreign = currency not in (None, "", "GBP")
    if odd is not None:
        if foreign:
            return None, [
                ("Value", None, f"{odd}, and {what}, {money}, is not in pounds: no value is kept.")
            ]
        if suppliers > 1:
            return None, [
                ("Value", None, f"{odd}, and {what}, {money}, is shared by {suppliers} suppliers: "
                 "no value is given for each.")
            ]  # fmt: skip
        instead = f"{money}, {what}," if gross else money
        return value, [("Value", None, f"{odd}: {instead} is used instead.")]
    if foreign:
        return None, [("Currency", currency, "The value is not in pounds; left out.")]
    vat = ", VAT included" if gross else ""
    if suppliers > 1:
        return None, [
            ("Value", _figure(value), f"The {said} ({money}{vat}) is shared by {suppliers} "
             "suppliers, so no value is given for each.")
        ]  # fmt: skip
    if gross:
        return value, [
            ("Value", _figure(value), f"The {said} is given only as its gross amount, VAT "
             f"included (no amount without VAT): {money} is kept.")
        ]  # fmt: skip
    return value, []


def _figure(value: float) -> str:
    """An amount as a person writes it: '90,000', '1,234.50' (never Python's '90,000.0')."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _written(amount: float) -> str:
    """An amount as the notice wrote it, in JSON's words where it is not a number."""
    if math.isnan(amount):
        return "NaN"
    if math.isinf(amount):
        return "Infinity" if amount > 0 else "-Infinity"
    return _figure(amount)


def _money(value: Any, currency: Any) -> str:
    figure = _figure(value)
    return f"£{figure}" if currency in (None, "", "GBP") else f"{currency} {figure}"
