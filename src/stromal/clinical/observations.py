"""The observations the clinical library accepts, with units and ranges.

These keys are the public contract of ``stromal assess`` and the names the web
forms and the engine use. Ranges are physiological or device limits chosen to
catch unit and typing errors, not reference ranges.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stromal.clinical.validation import ClinicalInputError, FieldSpec, Kind, check_value

SUPPORT_CHOICES = ("none", "conventional_o2", "hfno", "niv", "invasive")
SEX_CHOICES = ("female", "male")


def _n(name: str, unit: str, lo: float, hi: float, text: str) -> FieldSpec:
    return FieldSpec(name, Kind.NUMBER, unit, text, lo, hi)


def _i(name: str, unit: str, lo: float, hi: float, text: str) -> FieldSpec:
    return FieldSpec(name, Kind.INTEGER, unit, text, lo, hi)


def _b(name: str, text: str) -> FieldSpec:
    return FieldSpec(name, Kind.BOOLEAN, "", text)


def _c(name: str, choices: tuple[str, ...], text: str) -> FieldSpec:
    return FieldSpec(name, Kind.CHOICE, "", text, choices=choices)


_SPECS: tuple[FieldSpec, ...] = (
    # Gas exchange and ventilation
    _n("pao2_mmhg", "mmHg", 20, 700, "arterial partial pressure of oxygen"),
    _n("fio2", "fraction", 0.21, 1.0, "inspired oxygen fraction (0.21–1.0, not %)"),
    _n("spo2_pct", "%", 50, 100, "pulse-oximetry oxygen saturation"),
    _n("peep_cmh2o", "cmH2O", 0, 40, "PEEP or CPAP / end-expiratory pressure"),
    _c("support", SUPPORT_CHOICES, "respiratory support at the time of the blood gas"),
    _n("hfno_flow_l_min", "L/min", 0, 80, "high-flow nasal oxygen flow"),
    _n("mean_airway_pressure_cmh2o", "cmH2O", 0, 60, "mean airway pressure"),
    _n("compliance_ml_per_cmh2o", "mL/cmH2O", 1, 200, "static respiratory-system compliance"),
    _n("barometric_pressure_mmhg", "mmHg", 350, 800, "ambient barometric pressure"),
    _b(
        "resource_limited_setting",
        "resource-limited setting (Global definition: S/F <= 315 without PEEP, flow or device)",
    ),
    # ARDS definition criteria
    _b("bilateral_opacities", "bilateral opacities on CXR/CT (or ultrasound, Global definition)"),
    _b("onset_within_7_days", "onset within 1 week of a known insult or new/worse symptoms"),
    _b(
        "edema_explained_by_cardiac_or_fluid",
        "respiratory failure fully explained by cardiac failure or fluid overload",
    ),
    _i("chest_xray_quadrants", "quadrants", 0, 4, "CXR quadrants with alveolar consolidation"),
    # SOFA
    _n("platelets_10e3_per_ul", "10^3/µL", 0, 2000, "platelet count"),
    _n("bilirubin_mg_dl", "mg/dL", 0, 60, "total bilirubin"),
    _n("map_mmhg", "mmHg", 10, 200, "mean arterial pressure"),
    _n("dopamine_ug_kg_min", "µg/kg/min", 0, 50, "dopamine dose (≥ 1 h)"),
    _n("dobutamine_ug_kg_min", "µg/kg/min", 0, 40, "dobutamine dose (≥ 1 h)"),
    _n("epinephrine_ug_kg_min", "µg/kg/min", 0, 5, "epinephrine dose (≥ 1 h)"),
    _n("norepinephrine_ug_kg_min", "µg/kg/min", 0, 5, "norepinephrine dose (≥ 1 h)"),
    _i("gcs", "points", 3, 15, "Glasgow Coma Scale"),
    _n("creatinine_mg_dl", "mg/dL", 0.1, 30, "serum creatinine"),
    _n("urine_output_ml_per_day", "mL/day", 0, 15000, "urine output over 24 h"),
    # Anthropometry and function
    _c("sex", SEX_CHOICES, "sex used by reference equations"),
    _n("age_years", "years", 0, 120, "age"),
    _n("height_cm", "cm", 100, 250, "height"),
    _n("weight_kg", "kg", 20, 400, "actual body weight"),
    _n("six_minute_walk_m", "m", 0, 1200, "six-minute walk distance"),
    # Cytokine storm (COVID-CS, HScore)
    _b("covid_confirmed", "COVID-19 signs/symptoms with or without positive RT-PCR"),
    _b("ground_glass_opacities", "ground-glass opacities on HRCT or CXR"),
    _n("ferritin_ng_ml", "ng/mL", 0, 200000, "serum ferritin"),
    _n("crp_mg_dl", "mg/dL", 0, 100, "C-reactive protein (mg/dL; 1 mg/dL = 10 mg/L)"),
    _n("albumin_g_dl", "g/dL", 0.5, 7, "serum albumin"),
    _n("lymphocytes_pct", "%", 0, 100, "lymphocytes, % of white cells"),
    _n("neutrophils_10e3_per_ul", "10^3/µL", 0, 200, "absolute neutrophil count"),
    _n("alt_u_l", "U/L", 0, 20000, "alanine aminotransferase"),
    _n("ast_u_l", "U/L", 0, 20000, "aspartate aminotransferase"),
    _n("d_dimer_ng_ml", "ng/mL FEU", 0, 100000, "D-dimer"),
    _n("ldh_u_l", "U/L", 0, 20000, "lactate dehydrogenase"),
    _n("troponin_i_ng_ml", "ng/mL", 0, 1000, "troponin I"),
    _n("anion_gap_mmol_l", "mmol/L", -10, 60, "anion gap"),
    _n("chloride_mmol_l", "mmol/L", 60, 160, "serum chloride"),
    _n("potassium_mmol_l", "mmol/L", 1, 10, "serum potassium"),
    _n("bun_creatinine_ratio", "ratio", 0, 200, "blood urea nitrogen to creatinine ratio"),
    _b("known_immunosuppression", "known underlying immunosuppression (HScore)"),
    _n("temperature_c", "°C", 25, 45, "maximum body temperature"),
    _b("hepatomegaly", "hepatomegaly"),
    _b("splenomegaly", "splenomegaly"),
    _n("hemoglobin_g_dl", "g/dL", 1, 25, "haemoglobin"),
    _n("wbc_10e3_per_ul", "10^3/µL", 0, 500, "white-cell count"),
    _n("triglycerides_mmol_l", "mmol/L", 0, 100, "fasting triglycerides"),
    _n("fibrinogen_g_l", "g/L", 0, 20, "fibrinogen"),
    _b("marrow_hemophagocytosis", "haemophagocytosis on bone-marrow aspirate"),
)

FIELDS: dict[str, FieldSpec] = {spec.name: spec for spec in _SPECS}


def validate_observations(raw: Mapping[str, Any]) -> dict[str, float | int | bool | str]:
    """Check every key and value; ``None`` means "not measured" and is dropped.

    Raises ``ClinicalInputError`` for the first unknown key or invalid value.
    """
    clean: dict[str, float | int | bool | str] = {}
    for key, value in raw.items():
        spec = FIELDS.get(key)
        if spec is None:
            raise ClinicalInputError(
                key, value, "unknown key; see 'stromal assess --help' for the accepted keys"
            )
        if value is None:
            continue
        clean[key] = check_value(spec, value)
    return clean
