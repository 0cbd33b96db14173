"""Oxygenation indices and oxygen-saturation conversions.

Every function takes and returns plain floats in the units named in its
arguments, except ``severinghaus_saturation_fraction`` which is vectorised
over NumPy arrays for the in-silico engine. Inputs are checked against the
same ranges as ``stromal.clinical.observations.FIELDS``; a value outside them
raises ``ClinicalInputError`` naming the field, the value and the rule.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from stromal.clinical.observations import FIELDS, SEX_CHOICES
from stromal.clinical.validation import ClinicalInputError, ReferenceRange, check_value

#: Sea-level standard barometric pressure (mmHg) used by the Berlin altitude correction.
SEA_LEVEL_PRESSURE_MMHG = 760.0

#: Highest SpO2 (%) at which the Ellis inversion is used. Above it the
#: oxygen-haemoglobin curve is so flat that small oximeter errors map to huge
#: PaO2 differences (Brown SM et al., Chest 2016;150(2):307-13,
#: doi:10.1016/j.chest.2016.01.003: imputation restricted to SpO2 <= 96-97 %).
ELLIS_MAX_SPO2_PCT = 97.0


def _number(field: str, value: float) -> float:
    return float(check_value(FIELDS[field], value))


def pf_ratio(
    pao2_mmhg: float,
    fio2: float,
    barometric_pressure_mmhg: float = SEA_LEVEL_PRESSURE_MMHG,
) -> float:
    """PaO2/FiO2 ratio (mmHg), corrected for altitude.

    ``P/F x (PB / 760)``: the Berlin definition's correction for centres above
    1000 m (ARDS Definition Task Force, Ranieri VM et al., JAMA
    2012;307(23):2526-33, doi:10.1001/jama.2012.5669). At the default
    barometric pressure of 760 mmHg the correction is the identity.
    """
    pao2 = _number("pao2_mmhg", pao2_mmhg)
    fraction = _number("fio2", fio2)
    pressure = _number("barometric_pressure_mmhg", barometric_pressure_mmhg)
    return pao2 / fraction * (pressure / SEA_LEVEL_PRESSURE_MMHG)


def sf_ratio(spo2_pct: float, fio2: float) -> float:
    """SpO2/FiO2 ratio, SpO2 in percent and FiO2 as a fraction (e.g. 94 / 0.5 = 188).

    Rice TW et al., Chest 2007;132(2):410-7, doi:10.1378/chest.07-0617
    (S/F 235 corresponds to P/F 200 and S/F 315 to P/F 300). Note that the
    Global Definition uses S/F only when SpO2 <= 97 %; that rule lives in
    ``stromal.clinical.global_definition``.
    """
    return _number("spo2_pct", spo2_pct) / _number("fio2", fio2)


def oxygenation_index(fio2: float, mean_airway_pressure_cmh2o: float, pao2_mmhg: float) -> float:
    """Oxygenation index, ``FiO2 x mean airway pressure (cmH2O) x 100 / PaO2 (mmHg)``.

    FiO2 is a fraction. Formula as used in Chen WL et al., J Clin Med 2018 and
    the primary end point of the UCSF STAT trial (NCT03818854).
    """
    fraction = _number("fio2", fio2)
    paw = _number("mean_airway_pressure_cmh2o", mean_airway_pressure_cmh2o)
    pao2 = _number("pao2_mmhg", pao2_mmhg)
    return fraction * paw * 100.0 / pao2


def severinghaus_saturation_fraction(
    pao2_mmhg: npt.ArrayLike,
) -> npt.NDArray[np.float64]:
    """Haemoglobin O2 saturation (fraction 0-1) from PO2 (mmHg), vectorised.

    ``SO2 = 1 / (23400 / (PO2^3 + 150 PO2) + 1)`` (Severinghaus JW, J Appl
    Physiol 1979;46(3):599-602, doi:10.1152/jappl.1979.46.3.599), at standard
    pH 7.40, 37 degC and PCO2 40 mmHg. Not range-checked, so the engine can use
    it inside an ODE right-hand side: PO2 <= 0 returns 0.
    """
    po2 = np.asarray(pao2_mmhg, dtype=np.float64)
    positive = np.maximum(po2, 0.0)
    cubic = positive**3 + 150.0 * positive
    # Where cubic is 0 the saturation is 0; avoid dividing by zero.
    with np.errstate(divide="ignore"):
        out = np.where(cubic > 0.0, 1.0 / (23400.0 / np.where(cubic > 0, cubic, 1.0) + 1.0), 0.0)
    return np.asarray(out, dtype=np.float64)


def severinghaus_saturation_pct(pao2_mmhg: float) -> float:
    """Haemoglobin O2 saturation (%) from PaO2 (mmHg) by the Severinghaus equation.

    See ``severinghaus_saturation_fraction`` for the equation and source.
    PaO2 must be in the observation range 20-700 mmHg.
    """
    pao2 = _number("pao2_mmhg", pao2_mmhg)
    return 100.0 / (23400.0 / (pao2**3 + 150.0 * pao2) + 1.0)


def spo2_to_pao2_mmhg(spo2_pct: float) -> float:
    """Estimated PaO2 (mmHg) from SpO2 (%) by the Ellis inversion of Severinghaus.

    With ``C = 1/SpO2 - 1`` (SpO2 as a fraction) the cubic
    ``PaO2^3 + 150 PaO2 = 23400 / C`` is solved by Cardano's formula:
    ``PaO2 = cbrt(11700/C + sqrt(50^3 + (11700/C)^2))
    + cbrt(11700/C - sqrt(50^3 + (11700/C)^2))``
    (Ellis RK, J Appl Physiol 1989;67(2):902; used for non-linear imputation
    by Brown SM et al., Chest 2016;150(2):307-13, doi:10.1016/j.chest.2016.01.003,
    and in the PETAL validation). It is the exact inverse of
    ``severinghaus_saturation_pct``.

    Valid range: 50 % <= SpO2 <= 97 %. Above 97 % the curve is flat and the
    estimate is meaningless, so it raises ``ClinicalInputError`` rather than
    return a number (some tools substitute a fixed 110 mmHg; we do not guess).
    """
    spo2 = _number("spo2_pct", spo2_pct)
    if spo2 > ELLIS_MAX_SPO2_PCT:
        raise ClinicalInputError(
            "spo2_pct",
            spo2_pct,
            f"the SpO2-to-PaO2 conversion is valid only for SpO2 <= {ELLIS_MAX_SPO2_PCT:g} %",
            suggestion="measure PaO2 by arterial blood gas",
        )
    c = 1.0 / (spo2 / 100.0) - 1.0
    half_q = 11700.0 / c
    root = math.sqrt(50.0**3 + half_q**2)
    return math.cbrt(half_q + root) + math.cbrt(half_q - root)


PBW_SOURCE = (
    "ARDS Network, N Engl J Med 2000;342(18):1301-8, doi:10.1056/NEJM200005043421801: "
    "50 (men) or 45.5 (women) kg at 152.4 cm (5 ft) plus 0.91 kg per cm above; below 5 ft "
    "it extrapolates (valid only for adults: Martin DC, Richards GN, BMC Pulm Med 2017, "
    "doi:10.1186/s12890-017-0427-1)"
)
#: Heights the ARDSNet equation is anchored on (5 ft and taller).
PBW_HEIGHT_RANGE = ReferenceRange("height_cm", 152.4, 250.0, "cm", PBW_SOURCE)
#: Smallest predicted body weight returned: the registry's minimum body weight.
PBW_MIN_KG = float(FIELDS["weight_kg"].minimum or 0.0)
PBW_TOO_LOW_RULE = (
    "the ARDSNet equation gives {pbw:.1f} kg at this height, below the {minimum:g} kg minimum body "
    "weight; predicted body weight is not computable (use a measured weight)"
)


def predicted_body_weight_kg(sex: str, height_cm: float) -> float:
    """ARDSNet predicted body weight (kg).

    Men ``50 + 0.91 x (height_cm - 152.4)``; women ``45.5 + 0.91 x (height_cm - 152.4)``
    (ARDS Network, N Engl J Med 2000;342(18):1301-8, doi:10.1056/NEJM200005043421801).
    Below 152.4 cm the equation extrapolates: ``PBW_HEIGHT_RANGE.flag_for``
    says so. Where it would give less than ``PBW_MIN_KG`` (20 kg, e.g. -2.2 kg
    for a 100 cm woman) it raises ``ClinicalInputError`` on ``height_cm``
    instead of returning an impossible weight.
    """
    if sex not in SEX_CHOICES:
        raise ClinicalInputError("sex", sex, "must be one of " + ", ".join(SEX_CHOICES))
    height = _number("height_cm", height_cm)
    base = 50.0 if sex == "male" else 45.5
    pbw = base + 0.91 * (height - 152.4)
    if pbw < PBW_MIN_KG:
        raise ClinicalInputError("height_cm", height_cm, PBW_TOO_LOW_RULE.format(pbw=pbw, minimum=PBW_MIN_KG))
    return pbw
