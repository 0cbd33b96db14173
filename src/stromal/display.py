"""How numbers, quantities and codes read on screen: pure formatting, no database.

Every page shows a stored value through these functions (as template filters in
``stromal.pathway.templatetags.display``), so a cell count reads
``8.0 × 10⁷ cells``, never ``80000000.0``, a yes/no reads ``yes``, never
``True``, and a code reads as the label its model choices or protocol
definition already has, never ``ucmsc_iv``.

Rules:

- ``None`` (not recorded) reads ``—``.
- A number of magnitude ``SCIENTIFIC_FROM`` (10^5) or more is written in
  scientific notation with one decimal (``8.0 × 10⁷``): cell and particle
  counts are prescribed and released to two significant figures
  (e.g. 1 × 10^6 cells/kg, Matthay MA et al., Lancet Respir Med 2019;
  doi:10.1016/S2213-2600(18)30418-1), and a clinician does not count zeros.
- Any other number keeps at most ``MAX_DECIMALS`` decimals, with trailing
  zeros dropped (``98.0`` reads ``98``, ``0.40`` reads ``0.4``); the stored
  value is never changed, only its display.
- Date-times are not formatted here (each shows its time zone; see the
  templates' ``date`` filters).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from enum import Enum

from stromal.clinical.protocol import Arm, NebuliserDevice, Route, StoppingRuleSet, WeightBasis

NOT_RECORDED = "—"
SCIENTIFIC_FROM = 1e5
MAX_DECIMALS = 2
TIMES = "×"  # U+00D7 MULTIPLICATION SIGN
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")

# Labels for the clinical library's protocol codes, which carry none of their own
# (the products' and patients' codes have labels in their model choices, used as they are).
ENUM_LABELS: dict[Enum, str] = {
    Route.IV: "intravenous",
    Route.INHALED: "inhaled",
    WeightBasis.ACTUAL: "actual body weight",
    WeightBasis.PREDICTED: "predicted body weight",
    NebuliserDevice.MESH: "vibrating-mesh nebuliser",
    NebuliserDevice.JET: "jet nebuliser",
    NebuliserDevice.VENTILATOR_INLINE: "in-line ventilator nebuliser",
    StoppingRuleSet.START: "START trial rules (Matthay 2019)",
    StoppingRuleSet.LANZONI: "Lanzoni 2021 rules",
}
CONTROL_ARM = "Conventional treatment only"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def scientific(value: float, decimals: int = 1) -> str:
    """``80000000.0`` -> ``8.0 × 10⁷`` (mantissa with ``decimals`` decimals)."""
    if value == 0:
        return f"{0:.{decimals}f}"
    exponent = math.floor(math.log10(abs(value)))
    mantissa = round(value / 10**exponent, decimals)
    if abs(mantissa) >= 10:  # 9.96e7 rounds to 10.0 × 10⁷: carry into the exponent
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"{mantissa:.{decimals}f} {TIMES} 10{str(exponent).translate(_SUPERSCRIPT)}"


def number(value: object) -> str:
    """A stored number as a person reads it (see the module's rules); a non-number is shown as text."""
    if value is None or value == "":
        return NOT_RECORDED
    if isinstance(value, bool):
        return yes_no(value)
    if not _is_number(value):
        return str(value)
    x = float(value)  # type: ignore[arg-type]
    if not math.isfinite(x):
        return str(value)
    if abs(x) >= SCIENTIFIC_FROM:
        return scientific(x)
    text = f"{x:.{MAX_DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def quantity(value: object, unit: str = "") -> str:
    """A number with its unit (``98 /min``, ``0.4 fraction``); nothing recorded reads ``—`` without a unit."""
    shown = number(value)
    if shown == NOT_RECORDED or not unit or isinstance(value, bool) or not _is_number(value):
        return shown
    return f"{shown} {unit}"


def cells(value: object) -> str:
    """A cell count: ``8.0 × 10⁷ cells``."""
    return quantity(value, "cells")


def cells_per_kg(value: object) -> str:
    """A dose per kilogram: ``1.0 × 10⁶ cells/kg``."""
    return quantity(value, "cells/kg")


def particles(value: object) -> str:
    """A particle count: ``1.0 × 10⁹ particles``."""
    return quantity(value, "particles")


def yes_no(value: object) -> str:
    """``True`` -> ``yes``, ``False`` -> ``no``, ``None`` -> ``—``; the strings ``"true"``/``"false"`` too."""
    if value is None or value == "":
        return NOT_RECORDED
    if isinstance(value, str) and value.lower() in ("true", "false"):
        value = value.lower() == "true"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def humanize_code(code: object) -> str:
    """A code no label exists for, made readable: ``ventilator_inline`` -> ``ventilator inline``."""
    if code is None or code == "":
        return NOT_RECORDED
    return str(code).replace("_", " ")


def choice_label(code: object, choices: Iterable[tuple[object, object]]) -> str:
    """The label a model's ``choices`` give ``code`` (or the code made readable when it has none)."""
    for value, label in choices:
        if str(value) == str(code):
            return str(label)
    return humanize_code(code)


def code_label(code: object) -> str:
    """The label of a protocol code (route, weight basis, device, stopping rules), else the code made readable."""
    for member, label in ENUM_LABELS.items():
        if member.value == code:
            return label
    return humanize_code(code)


def arm_label(arm: Arm, product_choices: Iterable[tuple[object, object]] = ()) -> str:
    """What an arm gives, from its own definition: ``UC-MSC (umbilical cord), intravenous``.

    ``product_choices`` are the product types' labels (``products.models.ProductType.choices``).
    """
    if arm.is_control:
        return CONTROL_ARM
    parts = [choice_label(arm.product, product_choices) if arm.product else "", code_label(arm.route)]
    return ", ".join(p for p in parts if p)
