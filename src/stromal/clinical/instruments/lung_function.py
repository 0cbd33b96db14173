"""Spirometry and DLCO instruments: raw values in, GLI z-scores out.

Both keep the entered values as they were typed (the response) and derive,
through ``stromal.clinical.reference_values`` (pyspiro), the z-score, %
predicted, lower limit of normal (5th centile, z = -1.645) and whether the
value lies below it, stored with the equation's name, its citation and the
implementation's version:

- spirometry: GLI Global 2022, race-neutral (Bowerman C et al. Am J Respir
  Crit Care Med 2023;207(6):768-74, doi:10.1164/rccm.202205-0963OC), the
  default; GLI-2012 (Quanjer PH et al. Eur Respir J 2012;40(6):1324-43,
  doi:10.1183/09031936.00080312) when chosen, which needs an ethnicity;
- DLCO: GLI-2017 (Stanojevic S et al. Eur Respir J 2017;50(3):1700010,
  doi:10.1183/13993003.00010-2017), uncorrected for haemoglobin.

DLCO may be entered in mL/min/mmHg or in SI units (mmol/min/kPa, TLCO);
SI values are multiplied by 2.987 (McCarthy K. "What is diffusing capacity
of lung for carbon monoxide (DLCO) testing?" Medscape, 2020: "multiplying
the SI value by 2.987"). From first principles, 1 mmol of gas at STPD is
22.414 mL and 1 kPa is 7.50062 mmHg, giving 2.988; the 0.04 % difference is
far below the test's repeatability.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Mapping

from stromal.clinical.instruments.base import (
    Condition,
    Instrument,
    Item,
    ItemKind,
    ScoreValue,
    Subject,
    Value,
    number,
    subject_sex,
    subject_value,
)
from stromal.clinical.reference_values import (
    GLI_2012_ETHNICITIES,
    SPIROMETRY_EQUATIONS,
    LungFunctionReference,
    dlco_reference,
    spirometry_reference,
)
from stromal.clinical.validation import ClinicalInputError

#: mL/min/mmHg per mmol/min/kPa (McCarthy, Medscape 2020).
DLCO_SI_TO_TRADITIONAL = 2.987
DEFAULT_SPIROMETRY_EQUATION = "gli_global_2022"
DLCO_EQUATION = "gli_2017_dlco"

EQUATION_SOURCES = {
    "gli_global_2022": "Bowerman C et al. Am J Respir Crit Care Med 2023;207(6):768-74. doi:10.1164/rccm.202205-0963OC",
    "gli_2012": "Quanjer PH et al. Eur Respir J 2012;40(6):1324-43. doi:10.1183/09031936.00080312",
    "gli_2017_dlco": "Stanojevic S et al. Eur Respir J 2017;50(3):1700010. doi:10.1183/13993003.00010-2017",
}

FEV1_ABOVE_FVC = "cannot exceed fvc_l (FEV1 is part of the forced vital capacity)"


def implementation() -> str:
    """The package and version that computed the reference values."""
    return f"pyspiro {importlib.metadata.version('pyspiro')}"


def _flatten(prefix: str, ref: LungFunctionReference) -> dict[str, ScoreValue]:
    return {
        f"{prefix}_measured": ref.measured,
        f"{prefix}_predicted": ref.predicted,
        f"{prefix}_z": ref.z_score,
        f"{prefix}_percent_predicted": ref.percent_predicted,
        f"{prefix}_lln": ref.lln,
        f"{prefix}_below_lln": ref.measured < ref.lln,
    }


def score_spirometry(answers: Mapping[str, Value], subject: Subject | None) -> dict[str, ScoreValue]:
    """FEV1, FVC and FEV1/FVC against GLI Global 2022 (default) or GLI-2012.

    Returns, for each of ``fev1``, ``fvc`` and ``fev1_fvc``: ``_measured``,
    ``_predicted``, ``_z``, ``_percent_predicted``, ``_lln`` and
    ``_below_lln`` (measured < LLN); plus ``equation``, ``equation_source``
    and ``implementation``. Raises ``ClinicalInputError`` (field
    ``age_years``) outside the equation's age or height range.
    """
    equation = str(answers.get("spirometry_equation", DEFAULT_SPIROMETRY_EQUATION))
    ethnicity = answers.get("ethnicity")
    sex = subject_sex(subject, "spirometry")
    age_years = subject_value(subject, "age_years", "spirometry")
    height_cm = subject_value(subject, "height_cm", "spirometry")
    fev1 = number(answers, "fev1_l")
    fvc = number(answers, "fvc_l")
    out: dict[str, ScoreValue] = {}
    for prefix, measured in (("fev1", fev1), ("fvc", fvc), ("fev1_fvc", fev1 / fvc)):
        ref = spirometry_reference(
            prefix,
            measured,
            equation=equation,
            ethnicity=str(ethnicity) if ethnicity is not None else None,
            sex=sex,
            age_years=age_years,
            height_cm=height_cm,
        )
        out.update(_flatten(prefix, ref))
    out.update(equation=equation, equation_source=EQUATION_SOURCES[equation], implementation=implementation())
    return out


def spirometry_by_parameter(scores: Mapping[str, ScoreValue]) -> dict[str, object]:
    """Spirometry results nested per parameter, the shape ``stromal assess``
    prints (issue #9): ``{"fev1": {"z", "percent_predicted", "lln",
    "below_lln"}, "fvc": {...}, "fev1_fvc": {...}, "equation": ...}``."""
    out: dict[str, object] = {
        prefix: {key: scores[f"{prefix}_{key}"] for key in ("z", "percent_predicted", "lln", "below_lln")}
        for prefix in ("fev1", "fvc", "fev1_fvc")
    }
    out["equation"] = scores["equation"]
    return out


def _fev1_not_above_fvc(answers: Mapping[str, Value]) -> ClinicalInputError | None:
    if number(answers, "fev1_l") > number(answers, "fvc_l"):
        return ClinicalInputError("fev1_l", answers["fev1_l"], FEV1_ABOVE_FVC)
    return None


SPIROMETRY = Instrument(
    code="spirometry",
    version="1",
    title="Spirometry (FEV1, FVC)",
    source=EQUATION_SOURCES["gli_global_2022"] + "; " + EQUATION_SOURCES["gli_2012"],
    licence="GLI equations are published; computed by pyspiro (MIT).",
    items=(
        Item("fev1_l", ItemKind.NUMBER, "FEV1, best of acceptable manoeuvres (BTPS)", "L", 0.1, 10),
        Item("fvc_l", ItemKind.NUMBER, "FVC, best of acceptable manoeuvres (BTPS)", "L", 0.1, 12),
        Item(
            "spirometry_equation",
            ItemKind.CHOICE,
            "reference equation (GLI Global 2022 is race-neutral and the default)",
            options=tuple((e, e) for e in SPIROMETRY_EQUATIONS),
            required=False,
        ),
        Item(
            "ethnicity",
            ItemKind.CHOICE,
            "GLI-2012 ethnic group",
            options=tuple((e, e.replace("_", " ")) for e in GLI_2012_ETHNICITIES),
            shown_when=Condition("spirometry_equation", "==", "gli_2012"),
        ),
    ),
    scorer=score_spirometry,
    needs_subject=("sex", "age_years", "height_cm"),
    cross_checks=(_fev1_not_above_fvc,),
)


def dlco_ml_min_mmhg(answers: Mapping[str, Value]) -> float:
    """The DLCO in mL/min/mmHg, converting an SI entry by ``DLCO_SI_TO_TRADITIONAL``."""
    if "dlco_ml_min_mmhg" in answers:
        return number(answers, "dlco_ml_min_mmhg")
    return number(answers, "dlco_mmol_min_kpa") * DLCO_SI_TO_TRADITIONAL


def score_dlco(answers: Mapping[str, Value], subject: Subject | None) -> dict[str, ScoreValue]:
    """DLCO against GLI-2017.

    Returns ``dlco_ml_min_mmhg`` (the value used, after any conversion),
    ``converted_from_si`` , ``predicted``, ``z``, ``percent_predicted``,
    ``lln``, ``below_lln``, ``equation``, ``equation_source`` and
    ``implementation``. Raises ``ClinicalInputError`` (field ``age_years``)
    outside the equation's 5-85-year range.
    """
    value = dlco_ml_min_mmhg(answers)
    ref = dlco_reference(
        value,
        sex=subject_sex(subject, "dlco"),
        age_years=subject_value(subject, "age_years", "dlco"),
        height_cm=subject_value(subject, "height_cm", "dlco"),
    )
    return {
        "dlco_ml_min_mmhg": value,
        "converted_from_si": "dlco_mmol_min_kpa" in answers,
        "predicted": ref.predicted,
        "z": ref.z_score,
        "percent_predicted": ref.percent_predicted,
        "lln": ref.lln,
        "below_lln": ref.measured < ref.lln,
        "equation": DLCO_EQUATION,
        "equation_source": EQUATION_SOURCES[DLCO_EQUATION],
        "implementation": implementation(),
    }


DLCO = Instrument(
    code="dlco",
    version="1",
    title="Diffusing capacity for carbon monoxide (DLCO / TLCO)",
    source=EQUATION_SOURCES[DLCO_EQUATION],
    licence="GLI equations are published; computed by pyspiro (MIT).",
    items=(
        Item(
            "dlco_ml_min_mmhg",
            ItemKind.NUMBER,
            "DLCO, single breath, uncorrected for haemoglobin",
            "mL/min/mmHg",
            1,
            80,
            required=False,
        ),
        Item(
            "dlco_mmol_min_kpa",
            ItemKind.NUMBER,
            "TLCO, single breath, uncorrected for haemoglobin (SI units)",
            "mmol/min/kPa",
            0.3,
            27,
            required=False,
        ),
    ),
    scorer=score_dlco,
    needs_subject=("sex", "age_years", "height_cm"),
    exactly_one_of=(("dlco_ml_min_mmhg", "dlco_mmol_min_kpa"),),
)
