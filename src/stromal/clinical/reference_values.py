"""Reference values for follow-up tests: six-minute walk, spirometry and DLCO.

Six-minute walk: Enright PL, Sherrill DL. Reference equations for the
six-minute walk in healthy adults. Am J Respir Crit Care Med
1998;158(5):1384-7, doi:10.1164/ajrccm.158.5.9710086 (height cm, weight kg,
age years):

- men:   7.57 x height - 5.02 x age - 1.76 x weight - 309 m
- women: 2.11 x height - 2.29 x weight - 5.78 x age + 667 m

Lower limit of normal: predicted - 153 m (men) / - 139 m (women). These LLN
offsets are taken from our clinical reference where they are marked
second-hand; we could not verify them against the paper's text with the
search tools available, so treat ``six_minute_walk_lln_m`` as unverified.

Spirometry and DLCO go through the ``pyspiro`` package (MIT; Pott et al.),
which carries the GLI coefficient and spline tables, rather than re-typed
tables: GLI-2012 (Quanjer PH et al., Eur Respir J 2012;40:1324-43,
doi:10.1183/09031936.00080312), race-neutral GLI Global 2022 (Bowerman C et
al., Am J Respir Crit Care Med 2023;207:768-74, doi:10.1164/rccm.202205-0963OC)
and GLI-2017 TLCO (Stanojevic S et al., Eur Respir J 2017;50:1700010,
doi:10.1183/13993003.00010-2017). ``pyspiro`` (which imports pandas) is
imported only when a spirometry function is called, so ``stromal assess``
stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass

from stromal.clinical.observations import FIELDS, SEX_CHOICES
from stromal.clinical.validation import ClinicalInputError, check_value

SIX_MINUTE_WALK_SOURCE = (
    "Enright PL, Sherrill DL. Reference equations for the six-minute walk in healthy "
    "adults. Am J Respir Crit Care Med 1998;158(5):1384-7. doi:10.1164/ajrccm.158.5.9710086"
)
_LLN_OFFSET_M = {"male": 153.0, "female": 139.0}


def _sex(sex: str) -> str:
    if sex not in SEX_CHOICES:
        raise ClinicalInputError("sex", sex, "must be one of " + ", ".join(SEX_CHOICES))
    return sex


def _num(field: str, value: float) -> float:
    return float(check_value(FIELDS[field], value))


def six_minute_walk_predicted_m(sex: str, age_years: float, height_cm: float, weight_kg: float) -> float:
    """Predicted six-minute walk distance (m), Enright & Sherrill 1998.

    The equations were derived in adults aged 40-80; outside that range the
    value is an extrapolation.
    """
    age = _num("age_years", age_years)
    height = _num("height_cm", height_cm)
    weight = _num("weight_kg", weight_kg)
    if _sex(sex) == "male":
        return 7.57 * height - 5.02 * age - 1.76 * weight - 309.0
    return 2.11 * height - 2.29 * weight - 5.78 * age + 667.0


def six_minute_walk_lln_m(sex: str, age_years: float, height_cm: float, weight_kg: float) -> float:
    """Lower limit of normal (m): predicted - 153 m (men) or - 139 m (women). Unverified offsets."""
    return six_minute_walk_predicted_m(sex, age_years, height_cm, weight_kg) - _LLN_OFFSET_M[sex]


def six_minute_walk_percent_predicted(
    distance_m: float, sex: str, age_years: float, height_cm: float, weight_kg: float
) -> float:
    """Walked distance as % of the Enright & Sherrill prediction."""
    distance = _num("six_minute_walk_m", distance_m)
    predicted = six_minute_walk_predicted_m(sex, age_years, height_cm, weight_kg)
    if predicted <= 0:
        raise ClinicalInputError(
            "six_minute_walk_m",
            distance_m,
            "the reference equation gives no positive prediction for this age, height and weight",
        )
    return 100.0 * distance / predicted


@dataclass(frozen=True)
class LungFunctionReference:
    """One measured lung-function value against its reference equation."""

    parameter: str
    equation: str
    measured: float
    predicted: float
    percent_predicted: float
    z_score: float
    lln: float
