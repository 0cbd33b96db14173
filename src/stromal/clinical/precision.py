"""The one rounding policy for computed quantities that meet a cut-off.

Policy: a quantity the library computes (a ratio, an index, a score that is a
mean, a value converted from another unit) is compared with its cut-offs at
the precision it is displayed and recorded with, and the value displayed is
the value compared. So a band and the number printed beside it never
contradict each other.

Why: 56 / 0.28 is 199.99999999999997 in binary floating point. Compared raw,
it falls below SOFA's "P/F < 200" and scores 3, while the screen shows
"P/F 200.0" (Vincent 1996 gives 2 at exactly 200). Recorded to 0.1 mmHg it is
200.0, shown as 200.0 and scored 2.

Precisions (``*_DECIMALS`` below, decimal places):

- P/F ratio (mmHg), with or without the Berlin altitude correction: 0.1;
- S/F ratio: 0.1;
- oxygenation index: 0.1;
- Murray lung injury score (a mean of 0-4 points): 0.01;
- a laboratory value converted from an SI (or other) unit to the canonical
  unit the rules read: the canonical field's reporting precision, given with
  each alternative unit in ``stromal.clinical.observations``;
- product units to thaw (cells needed / cells per unit): 1e-9, only to absorb
  floating-point noise before rounding up.

Rounding is half away from zero on the shortest decimal form of the float
(``repr``), i.e. what a person would do with the printed digits: 200.05 is
200.1, 199.99999999999997 is 200.0. Measured inputs (a PaO2, a platelet count)
are never rounded: only computed quantities are.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Context, Decimal

PF_RATIO_DECIMALS = 1
SF_RATIO_DECIMALS = 1
OXYGENATION_INDEX_DECIMALS = 1
MURRAY_SCORE_DECIMALS = 2
PRODUCT_UNIT_RATIO_DECIMALS = 9


def recorded(value: float, decimals: int) -> float:
    """``value`` at ``decimals`` decimal places, rounded half away from zero.

    This is the value every rule compares with its cut-offs and every output
    displays. Non-finite values are returned unchanged (callers validate).
    """
    if not math.isfinite(value):
        return value
    exact = Decimal(repr(value))
    quantum = Decimal(1).scaleb(-decimals)
    # Enough digits for any float at this many decimals (the default 28 is not).
    context = Context(prec=max(28, exact.adjusted() + decimals + 2), rounding=ROUND_HALF_UP)
    return float(exact.quantize(quantum, context=context))


def recorded_pf(pf_ratio_mmhg: float) -> float:
    """A P/F ratio (mmHg) as displayed and compared: 0.1 mmHg."""
    return recorded(pf_ratio_mmhg, PF_RATIO_DECIMALS)


def recorded_sf(sf_ratio: float) -> float:
    """An S/F ratio as displayed and compared: 0.1."""
    return recorded(sf_ratio, SF_RATIO_DECIMALS)
