"""Reference values for follow-up tests: six-minute walk, spirometry and DLCO.

Six-minute walk: Enright PL, Sherrill DL. Reference equations for the
six-minute walk in healthy adults. Am J Respir Crit Care Med
1998;158(5):1384-7, doi:10.1164/ajrccm.158.5.9710086 (height cm, weight kg,
age years):

- men:   7.57 x height - 5.02 x age - 1.76 x weight - 309 m
- women: 2.11 x height - 2.29 x weight - 5.78 x age + 667 m

Derived in healthy adults aged 40-80 years (``SIX_MINUTE_WALK_AGE_RANGE``);
outside that age a prediction is returned with ``out_of_reference_range``,
and a prediction that is not a positive distance is refused.

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

Published age ranges (``*_AGE_RANGE``): GLI-2012 and GLI Global 2022 3-95
years, GLI-2017 DLCO 5-85 years. Outside them a lung-function reference is
refused with the range and the source (``ClinicalInputError`` on
``age_years``), never extrapolated. ``pyspiro``'s results are pinned in the
tests to the GLI web calculator's output (GLI-2012, GLI-2017) and to an
independent implementation (GLI Global 2022), see
``tests/clinical/cases/gli_reference_values.json``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from stromal.clinical.observations import FIELDS, SEX_CHOICES
from stromal.clinical.validation import ClinicalInputError, ReferenceRange, check_value

SIX_MINUTE_WALK_SOURCE = (
    "Enright PL, Sherrill DL. Reference equations for the six-minute walk in healthy "
    "adults. Am J Respir Crit Care Med 1998;158(5):1384-7. doi:10.1164/ajrccm.158.5.9710086"
)
_LLN_OFFSET_M = {"male": 153.0, "female": 139.0}

SIX_MINUTE_WALK_AGE_RANGE = ReferenceRange(
    "age_years", 40, 80, "years", "Enright & Sherrill 1998: healthy adults aged 40-80 years"
)
GLI_2012_AGE_RANGE = ReferenceRange(
    "age_years",
    3,
    95,
    "years",
    "GLI-2012: Quanjer PH et al., Eur Respir J 2012;40:1324-43 (3-95 years)",
)
GLI_GLOBAL_2022_AGE_RANGE = ReferenceRange(
    "age_years",
    3,
    95,
    "years",
    "GLI Global 2022: Bowerman C et al., Am J Respir Crit Care Med 2023;207:768-74 (3-95 years)",
)
GLI_2017_DLCO_AGE_RANGE = ReferenceRange(
    "age_years",
    5,
    85,
    "years",
    "GLI-2017 TLCO: Stanojevic S et al., Eur Respir J 2017;50:1700010 (5-85 years)",
)
_AGE_RANGES = {
    "gli_2012": GLI_2012_AGE_RANGE,
    "gli_global_2022": GLI_GLOBAL_2022_AGE_RANGE,
    "gli_2017_dlco": GLI_2017_DLCO_AGE_RANGE,
}
NO_POSITIVE_DISTANCE_RULE = (
    "the Enright & Sherrill equation gives {predicted:.0f} m for this age, height and weight: "
    "no positive distance, so no prediction ({range_note})"
)


def _sex(sex: str) -> str:
    if sex not in SEX_CHOICES:
        raise ClinicalInputError("sex", sex, "must be one of " + ", ".join(SEX_CHOICES))
    return sex


def _num(field: str, value: float) -> float:
    return float(check_value(FIELDS[field], value))


def six_minute_walk_predicted_m(sex: str, age_years: float, height_cm: float, weight_kg: float) -> float:
    """Predicted six-minute walk distance (m), Enright & Sherrill 1998.

    The equations were derived in adults aged 40-80; outside that range the
    value is an extrapolation (``six_minute_walk_reference`` flags it).
    Raises ``ClinicalInputError`` when the equation gives no positive
    distance (e.g. -677 m for extreme accepted inputs): that is refused,
    never returned.
    """
    age = _num("age_years", age_years)
    height = _num("height_cm", height_cm)
    weight = _num("weight_kg", weight_kg)
    if _sex(sex) == "male":
        predicted = 7.57 * height - 5.02 * age - 1.76 * weight - 309.0
    else:
        predicted = 2.11 * height - 2.29 * weight - 5.78 * age + 667.0
    if predicted <= 0:
        outside = SIX_MINUTE_WALK_AGE_RANGE.flag_for(age)
        note = (
            f"outside the reference range {SIX_MINUTE_WALK_AGE_RANGE.text()}"
            if outside
            else "extreme height or weight"
        )
        field = "age_years" if outside else "weight_kg"
        value = age_years if outside else weight_kg
        raise ClinicalInputError(
            field, value, NO_POSITIVE_DISTANCE_RULE.format(predicted=predicted, range_note=note)
        )
    return predicted


@dataclass(frozen=True)
class SixMinuteWalkReference:
    """Prediction (m), lower limit of normal (m; None when not a positive
    distance) and the ``out_of_reference_range`` flag (None inside 40-80 years)."""

    predicted_m: float
    lln_m: float | None
    out_of_reference_range: dict[str, object] | None


def six_minute_walk_reference(
    sex: str, age_years: float, height_cm: float, weight_kg: float
) -> SixMinuteWalkReference:
    """The Enright & Sherrill prediction with its LLN and its age-range flag.

    Raises ``ClinicalInputError`` as ``six_minute_walk_predicted_m`` does.
    """
    predicted = six_minute_walk_predicted_m(sex, age_years, height_cm, weight_kg)
    lln = predicted - _LLN_OFFSET_M[sex]
    return SixMinuteWalkReference(
        predicted_m=predicted,
        lln_m=lln if lln > 0 else None,
        out_of_reference_range=SIX_MINUTE_WALK_AGE_RANGE.flag_for(_num("age_years", age_years)),
    )


def six_minute_walk_lln_m(sex: str, age_years: float, height_cm: float, weight_kg: float) -> float:
    """Lower limit of normal (m): predicted - 153 m (men) or - 139 m (women). Unverified offsets.

    Raises ``ClinicalInputError`` when the limit is not a positive distance.
    """
    lln = six_minute_walk_predicted_m(sex, age_years, height_cm, weight_kg) - _LLN_OFFSET_M[sex]
    if lln <= 0:
        raise ClinicalInputError(
            "age_years", age_years, f"the lower limit of normal is {lln:.0f} m: not a positive distance"
        )
    return lln


def six_minute_walk_percent_predicted(
    distance_m: float, sex: str, age_years: float, height_cm: float, weight_kg: float
) -> float:
    """Walked distance as % of the Enright & Sherrill prediction."""
    distance = _num("six_minute_walk_m", distance_m)
    predicted = six_minute_walk_predicted_m(sex, age_years, height_cm, weight_kg)  # refuses <= 0
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


#: Spirometry equations offered; the race-neutral GLI Global 2022 is the default.
SPIROMETRY_EQUATIONS = ("gli_global_2022", "gli_2012")
GLI_2012_ETHNICITIES = ("caucasian", "african_american", "northeast_asian", "southeast_asian", "other")
_SPIROMETRY_PARAMETERS = {"fev1": "FEV1", "fvc": "FVC", "fev1_fvc": "FEV1FVC"}


@functools.cache
def _equation(name: str) -> Any:
    """One pyspiro equation object, silent and returning NA outside its range
    (pyspiro would otherwise print to stdout and clamp to the nearest age)."""
    import pyspiro  # lazy on purpose: pyspiro imports pandas, which is slow

    classes = {
        "gli_global_2022": pyspiro.BOWERMAN_2022,
        "gli_2012": pyspiro.GLI_2012,
        "gli_2017_dlco": pyspiro.GLI_2017,
    }
    equation = classes[name]()
    equation.set_silence(True)
    equation.set_strategy("ignore")
    return equation


def _lung_reference(
    parameter: str,
    equation_name: str,
    measured: float,
    measured_field: str,
    sex: str,
    age_years: float,
    height_cm: float,
    ethnicity: str | None = None,
) -> LungFunctionReference:
    import pandas  # lazy, as above

    male = 1 if _sex(sex) == "male" else 0
    age = _num("age_years", age_years)
    height = _num("height_cm", height_cm)
    age_range = _AGE_RANGES[equation_name]
    if not age_range.contains(age):
        raise ClinicalInputError(
            "age_years",
            age_years,
            f"outside the published age range of {equation_name}: {age_range.text()} ({age_range.source})",
        )
    if isinstance(measured, bool) or not isinstance(measured, int | float) or not 0 < measured < 1000:
        raise ClinicalInputError(measured_field, measured, "must be a positive measured value")
    eq = _equation(equation_name)
    enum = eq.Parameters[parameter]
    if equation_name == "gli_2012":
        if ethnicity not in GLI_2012_ETHNICITIES:
            raise ClinicalInputError(
                "ethnicity", ethnicity, "GLI-2012 needs one of " + ", ".join(GLI_2012_ETHNICITIES)
            )
        args: tuple[object, ...] = (male, age, height, GLI_2012_ETHNICITIES.index(ethnicity) + 1, enum)
    else:
        args = (male, age, height, enum)
    lam, mu, sigma = eq.lms(*args, float(measured))
    if any(v is pandas.NA for v in (lam, mu, sigma)):
        raise ClinicalInputError(
            "age_years", age_years, f"outside the age or height range of the {equation_name} equation"
        )
    z = float(eq.zscore(*args, value=float(measured)))
    lln = float(eq.lln(*args, value=float(measured)))
    return LungFunctionReference(
        parameter=parameter,
        equation=equation_name,
        measured=float(measured),
        predicted=float(mu),
        percent_predicted=100.0 * float(measured) / float(mu),
        z_score=z,
        lln=lln,
    )


def spirometry_reference(
    parameter: str,
    measured: float,
    *,
    sex: str,
    age_years: float,
    height_cm: float,
    equation: str = "gli_global_2022",
    ethnicity: str | None = None,
) -> LungFunctionReference:
    """FEV1 (L), FVC (L) or FEV1/FVC (ratio) against GLI Global 2022 (default) or GLI-2012.

    ``parameter`` is ``fev1``, ``fvc`` or ``fev1_fvc``. GLI-2012 needs ``ethnicity``.
    """
    if parameter not in _SPIROMETRY_PARAMETERS:
        raise ClinicalInputError(
            "parameter", parameter, "must be one of " + ", ".join(_SPIROMETRY_PARAMETERS)
        )
    if equation not in SPIROMETRY_EQUATIONS:
        raise ClinicalInputError("equation", equation, "must be one of " + ", ".join(SPIROMETRY_EQUATIONS))
    return _lung_reference(
        _SPIROMETRY_PARAMETERS[parameter], equation, measured, parameter, sex, age_years, height_cm, ethnicity
    )


def dlco_reference(
    dlco_ml_min_mmhg: float, *, sex: str, age_years: float, height_cm: float
) -> LungFunctionReference:
    """DLCO (mL/min/mmHg, traditional units, uncorrected for Hb) against GLI-2017."""
    return _lung_reference(
        "DLCO", "gli_2017_dlco", dlco_ml_min_mmhg, "dlco_ml_min_mmhg", sex, age_years, height_cm
    )


def fev1_percent_predicted(fev1_l: float, *, sex: str, age_years: float, height_cm: float) -> float:
    """FEV1 as % predicted, GLI Global 2022."""
    return spirometry_reference(
        "fev1", fev1_l, sex=sex, age_years=age_years, height_cm=height_cm
    ).percent_predicted


def fvc_percent_predicted(fvc_l: float, *, sex: str, age_years: float, height_cm: float) -> float:
    """FVC as % predicted, GLI Global 2022."""
    return spirometry_reference(
        "fvc", fvc_l, sex=sex, age_years=age_years, height_cm=height_cm
    ).percent_predicted


def fvc_z_score(fvc_l: float, *, sex: str, age_years: float, height_cm: float) -> float:
    """FVC z-score, GLI Global 2022."""
    return spirometry_reference("fvc", fvc_l, sex=sex, age_years=age_years, height_cm=height_cm).z_score


def fev1_z_score(fev1_l: float, *, sex: str, age_years: float, height_cm: float) -> float:
    """FEV1 z-score, GLI Global 2022."""
    return spirometry_reference("fev1", fev1_l, sex=sex, age_years=age_years, height_cm=height_cm).z_score


def dlco_percent_predicted(dlco_ml_min_mmhg: float, *, sex: str, age_years: float, height_cm: float) -> float:
    """DLCO as % predicted, GLI-2017."""
    return dlco_reference(
        dlco_ml_min_mmhg, sex=sex, age_years=age_years, height_cm=height_cm
    ).percent_predicted


def dlco_z_score(dlco_ml_min_mmhg: float, *, sex: str, age_years: float, height_cm: float) -> float:
    """DLCO z-score, GLI-2017."""
    return dlco_reference(dlco_ml_min_mmhg, sex=sex, age_years=age_years, height_cm=height_cm).z_score
