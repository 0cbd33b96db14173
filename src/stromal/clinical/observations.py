"""The observations the clinical library accepts, with units and ranges.

These keys are the public contract of ``stromal assess`` and the names the web
forms and the engine use. Ranges are physiological or device limits chosen to
catch unit and typing errors, not reference ranges.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from stromal.clinical.precision import recorded
from stromal.clinical.validation import ClinicalInputError, FieldSpec, Kind, Rescaling, check_value

SUPPORT_CHOICES = ("none", "conventional_o2", "hfno", "niv", "invasive")
SEX_CHOICES = ("female", "male")


def _n(name: str, unit: str, lo: float, hi: float, text: str, label: str = "") -> FieldSpec:
    return FieldSpec(name, Kind.NUMBER, unit, text, lo, hi, label=label)


def _i(name: str, unit: str, lo: float, hi: float, text: str, label: str = "") -> FieldSpec:
    return FieldSpec(name, Kind.INTEGER, unit, text, lo, hi, label=label)


def _b(name: str, text: str) -> FieldSpec:
    return FieldSpec(name, Kind.BOOLEAN, "", text)


def _c(name: str, choices: tuple[str, ...], text: str) -> FieldSpec:
    return FieldSpec(name, Kind.CHOICE, "", text, choices=choices)


_SPECS: tuple[FieldSpec, ...] = (
    # Gas exchange and ventilation
    _n("pao2_mmhg", "mmHg", 20, 700, "arterial partial pressure of oxygen", "PaO2"),
    _n("fio2", "fraction", 0.21, 1.0, "inspired oxygen fraction (0.21–1.0, not %)", "FiO2"),
    _n("spo2_pct", "%", 50, 100, "pulse-oximetry oxygen saturation", "SpO2"),
    _n("peep_cmh2o", "cmH2O", 0, 40, "PEEP or CPAP / end-expiratory pressure", "PEEP/CPAP"),
    _c("support", SUPPORT_CHOICES, "respiratory support at the time of the blood gas"),
    _n("hfno_flow_l_min", "L/min", 0, 80, "high-flow nasal oxygen flow", "HFNO flow"),
    _n("mean_airway_pressure_cmh2o", "cmH2O", 0, 60, "mean airway pressure", "Mean airway pressure"),
    _n("compliance_ml_per_cmh2o", "mL/cmH2O", 1, 200, "static respiratory-system compliance", "Compliance"),
    _n("barometric_pressure_mmhg", "mmHg", 350, 800, "ambient barometric pressure", "Barometric pressure"),
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
    _n("platelets_10e3_per_ul", "10^3/µL", 0, 2000, "platelet count (10^3/µL = 10^9/L)", "Platelets"),
    _n("bilirubin_mg_dl", "mg/dL", 0, 60, "total bilirubin", "Bilirubin"),
    _n("map_mmhg", "mmHg", 10, 200, "mean arterial pressure", "MAP"),
    _n("dopamine_ug_kg_min", "µg/kg/min", 0, 50, "dopamine dose (≥ 1 h)", "Dopamine"),
    _n("dobutamine_ug_kg_min", "µg/kg/min", 0, 40, "dobutamine dose (≥ 1 h)", "Dobutamine"),
    _n("epinephrine_ug_kg_min", "µg/kg/min", 0, 5, "epinephrine dose (≥ 1 h)", "Epinephrine"),
    _n("norepinephrine_ug_kg_min", "µg/kg/min", 0, 5, "norepinephrine dose (≥ 1 h)", "Norepinephrine"),
    _i("gcs", "points", 3, 15, "Glasgow Coma Scale", "GCS"),
    _n("creatinine_mg_dl", "mg/dL", 0.1, 30, "serum creatinine", "Creatinine"),
    _n("urine_output_ml_per_day", "mL/day", 0, 15000, "urine output over 24 h", "Urine output"),
    # Anthropometry and function
    _c("sex", SEX_CHOICES, "sex used by reference equations"),
    _n("age_years", "years", 0, 120, "age", "Age"),
    _n("height_cm", "cm", 100, 250, "height", "Height"),
    _n("weight_kg", "kg", 20, 400, "actual body weight", "Weight"),
    _n("six_minute_walk_m", "m", 0, 1200, "six-minute walk distance", "Six-minute walk distance"),
    # Cytokine storm (COVID-CS, HScore)
    _b("covid_confirmed", "COVID-19 signs/symptoms with or without positive RT-PCR"),
    _b("ground_glass_opacities", "ground-glass opacities on HRCT or CXR"),
    _n("ferritin_ng_ml", "ng/mL", 0, 200000, "serum ferritin (ng/mL = µg/L)", "Ferritin"),
    _n("crp_mg_dl", "mg/dL", 0, 100, "C-reactive protein (mg/dL; 1 mg/dL = 10 mg/L)", "CRP"),
    _n("albumin_g_dl", "g/dL", 0.5, 7, "serum albumin", "Albumin"),
    _n("lymphocytes_pct", "%", 0, 100, "lymphocytes, % of white cells", "Lymphocytes"),
    _n(
        "neutrophils_10e3_per_ul",
        "10^3/µL",
        0,
        200,
        "absolute neutrophil count (10^3/µL = 10^9/L)",
        "Neutrophils",
    ),
    _n("alt_u_l", "U/L", 0, 20000, "alanine aminotransferase", "ALT"),
    _n("ast_u_l", "U/L", 0, 20000, "aspartate aminotransferase", "AST"),
    _n("d_dimer_ng_ml", "ng/mL FEU", 0, 100000, "D-dimer", "D-dimer"),
    _n("ldh_u_l", "U/L", 0, 20000, "lactate dehydrogenase", "LDH"),
    _n("troponin_i_ng_ml", "ng/mL", 0, 1000, "troponin I", "Troponin I"),
    _n("anion_gap_mmol_l", "mmol/L", -10, 60, "anion gap", "Anion gap"),
    _n("chloride_mmol_l", "mmol/L", 60, 160, "serum chloride", "Chloride"),
    _n("potassium_mmol_l", "mmol/L", 1, 10, "serum potassium", "Potassium"),
    _n(
        "bun_creatinine_ratio",
        "ratio",
        0,
        200,
        "blood urea nitrogen to creatinine ratio",
        "BUN:creatinine ratio",
    ),
    _b("known_immunosuppression", "known underlying immunosuppression (HScore)"),
    _n("temperature_c", "°C", 25, 45, "maximum body temperature", "Temperature"),
    _b("hepatomegaly", "hepatomegaly"),
    _b("splenomegaly", "splenomegaly"),
    _n("hemoglobin_g_dl", "g/dL", 1, 25, "haemoglobin", "Haemoglobin"),
    _n("wbc_10e3_per_ul", "10^3/µL", 0, 500, "white-cell count (10^3/µL = 10^9/L)", "White-cell count"),
    _n("triglycerides_mmol_l", "mmol/L", 0, 100, "fasting triglycerides", "Triglycerides"),
    _n("fibrinogen_g_l", "g/L", 0, 20, "fibrinogen", "Fibrinogen"),
    _b("marrow_hemophagocytosis", "haemophagocytosis on bone-marrow aspirate"),
)

_SI_SOURCE = (
    "SI conversion factors: Young DS. Implementation of SI units for clinical laboratory data. "
    "Ann Intern Med 1987;106(1):114-29, doi:10.7326/0003-4819-106-1-114, as tabulated in the "
    "AMA Manual of Style (JAMA SI conversion table)"
)
_DEFINITION = "unit definition (exact)"


@dataclasses.dataclass(frozen=True)
class AlternativeUnit:
    """Another unit clinicians enter a quantity in, converted to the canonical key.

    ``per_canonical_unit``: the value in this unit for 1 canonical unit (e.g.
    88.4 µmol/L per mg/dL of creatinine). The converted value is recorded at
    ``decimals`` places in the canonical unit (``stromal.clinical.precision``).
    """

    key: str
    canonical: str
    unit: str
    per_canonical_unit: float
    decimals: int
    source: str

    def to_canonical(self, value: float) -> float:
        return recorded(value / self.per_canonical_unit, self.decimals)


#: SI (and other common) units, each converted to the one key the rules read.
#: Ferritin ng/mL = µg/L and cell counts 10^3/µL = 10^9/L need no conversion
#: (same number), so they have no alternative key.
ALTERNATIVE_UNITS: tuple[AlternativeUnit, ...] = (
    AlternativeUnit("bilirubin_umol_l", "bilirubin_mg_dl", "µmol/L", 17.1, 1, _SI_SOURCE),
    AlternativeUnit("creatinine_umol_l", "creatinine_mg_dl", "µmol/L", 88.4, 2, _SI_SOURCE),
    AlternativeUnit("crp_mg_l", "crp_mg_dl", "mg/L", 10.0, 2, _DEFINITION),
    AlternativeUnit("albumin_g_l", "albumin_g_dl", "g/L", 10.0, 2, _DEFINITION),
    AlternativeUnit("hemoglobin_g_l", "hemoglobin_g_dl", "g/L", 10.0, 2, _DEFINITION),
    AlternativeUnit("triglycerides_mg_dl", "triglycerides_mmol_l", "mg/dL", 1 / 0.01129, 2, _SI_SOURCE),
    AlternativeUnit("fibrinogen_mg_dl", "fibrinogen_g_l", "mg/dL", 100.0, 2, _DEFINITION),
    AlternativeUnit("troponin_i_ng_l", "troponin_i_ng_ml", "ng/L", 1000.0, 3, _DEFINITION),
    AlternativeUnit("d_dimer_mg_l_feu", "d_dimer_ng_ml", "mg/L FEU", 0.001, 0, _DEFINITION),
)
ALTERNATIVES: dict[str, AlternativeUnit] = {alt.key: alt for alt in ALTERNATIVE_UNITS}


def with_alternative_units(keys: tuple[str, ...]) -> tuple[str, ...]:
    """``keys`` with each canonical key followed by its alternative-unit keys
    (for forms: ``creatinine_umol_l`` right after ``creatinine_mg_dl``)."""
    return tuple(
        k for key in keys for k in (key, *(alt.key for alt in ALTERNATIVE_UNITS if alt.canonical == key))
    )


def _with_alternatives(specs: tuple[FieldSpec, ...]) -> dict[str, FieldSpec]:
    """The registry: canonical fields plus one field per alternative unit, each
    hinting at the other when a value is implausible in its own unit."""
    fields = {spec.name: spec for spec in specs}
    for alt in ALTERNATIVE_UNITS:
        canon = fields[alt.canonical]
        assert canon.minimum is not None and canon.maximum is not None
        low = float(f"{canon.minimum * alt.per_canonical_unit:.6g}")
        high = float(f"{canon.maximum * alt.per_canonical_unit:.6g}")
        to_canon = Rescaling(
            canon.name, canon.minimum, canon.maximum, 1.0, f"did you enter {canon.unit}? use {canon.name}"
        )
        fields[alt.key] = FieldSpec(
            alt.key,
            Kind.NUMBER,
            alt.unit,
            canon.description,
            low,
            high,
            label=canon.label,
            rescalings=(to_canon,),
        )
        to_alt = Rescaling(alt.key, low, high, 1.0, f"did you enter {alt.unit}? use {alt.key}")
        fields[canon.name] = dataclasses.replace(canon, rescalings=(*canon.rescalings, to_alt))
    return fields


FIELDS: dict[str, FieldSpec] = _with_alternatives(_SPECS)

BOTH_UNITS_RULE = "one quantity in two units: give {a} or {b}, not both"


def validate_observations(raw: Mapping[str, Any]) -> dict[str, float | int | bool | str]:
    """Check every key and value; ``None`` means "not measured" and is dropped.

    A value entered in an alternative unit (``creatinine_umol_l``) is
    converted to its canonical key (``creatinine_mg_dl``), so the rules see one
    unit per quantity. Raises ``ClinicalInputError`` for the first unknown key
    or invalid value, and for one quantity given in two units.
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
    for alt in ALTERNATIVE_UNITS:
        if alt.key not in clean:
            continue
        if alt.canonical in clean:
            rule = BOTH_UNITS_RULE.format(a=alt.canonical, b=alt.key)
            raise ClinicalInputError(alt.key, clean[alt.key], rule)
        clean[alt.canonical] = check_value(FIELDS[alt.canonical], alt.to_canonical(float(clean.pop(alt.key))))
    return clean
