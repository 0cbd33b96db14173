"""The observations an examination records, grouped as the clinic enters them.

Keys are those of ``stromal.clinical.observations.FIELDS`` (units in the
names). The laboratory section offers each SI (or other common) unit the
clinical library converts, right after its conventional field
(``creatinine_umol_l`` after ``creatinine_mg_dl``): the value is stored in the
unit entered and converted only when the rules read it. A few bedside items the clinical library does not (yet) score —
heart rate, blood pressure, IL-6, lung function, mMRC — are described here
with the same ``FieldSpec`` so they are validated the same way. A key the
clinical library defines always wins over the local description.
"""

from __future__ import annotations

from stromal.clinical.observations import FIELDS, with_alternative_units
from stromal.clinical.validation import FieldSpec, Kind

#: The main risk factor (aetiology) of the ARDS episode, coded: the direct (pulmonary) and
#: indirect risk factors listed with the Berlin Definition (ARDS Definition Task Force,
#: Ranieri VM et al., JAMA 2012;307(23):2526-33, doi:10.1001/jama.2012.5669), pneumonia split
#: into viral and bacterial as registries report it. The registry's analytics group by it.
ARDS_RISK_FACTORS: tuple[tuple[str, str], ...] = (
    ("pneumonia_viral", "Pneumonia, viral (incl. COVID-19)"),
    ("pneumonia_bacterial", "Pneumonia, bacterial"),
    ("pneumonia_other", "Pneumonia, other or unknown organism"),
    ("aspiration", "Aspiration of gastric contents"),
    ("inhalation_injury", "Inhalational injury"),
    ("pulmonary_contusion", "Pulmonary contusion"),
    ("pulmonary_vasculitis", "Pulmonary vasculitis"),
    ("drowning", "Drowning"),
    ("sepsis_non_pulmonary", "Non-pulmonary sepsis"),
    ("major_trauma", "Major trauma"),
    ("pancreatitis", "Pancreatitis"),
    ("severe_burns", "Severe burns"),
    ("shock_non_cardiogenic", "Non-cardiogenic shock"),
    ("drug_overdose", "Drug overdose"),
    ("transfusion", "Multiple transfusions or TRALI"),
    ("other", "Other"),
    ("unknown", "Unknown"),
)

_LOCAL: tuple[FieldSpec, ...] = (
    FieldSpec("heart_rate_bpm", Kind.NUMBER, "/min", "heart rate", 20, 250),
    FieldSpec("respiratory_rate_per_min", Kind.NUMBER, "/min", "respiratory rate", 4, 80),
    FieldSpec("systolic_bp_mmhg", Kind.NUMBER, "mmHg", "systolic blood pressure", 40, 280),
    FieldSpec("diastolic_bp_mmhg", Kind.NUMBER, "mmHg", "diastolic blood pressure", 20, 180),
    FieldSpec("tidal_volume_ml", Kind.NUMBER, "mL", "tidal volume", 50, 2000),
    FieldSpec("plateau_pressure_cmh2o", Kind.NUMBER, "cmH2O", "plateau pressure", 0, 60),
    FieldSpec("il6_pg_ml", Kind.NUMBER, "pg/mL", "interleukin-6", 0, 100000),
    FieldSpec("lymphocytes_10e3_per_ul", Kind.NUMBER, "10^3/µL", "absolute lymphocyte count", 0, 100),
    FieldSpec("fvc_l", Kind.NUMBER, "L", "forced vital capacity", 0.2, 8),
    FieldSpec("fvc_pct_predicted", Kind.NUMBER, "% predicted", "FVC, percent predicted", 5, 200),
    FieldSpec("dlco_pct_predicted", Kind.NUMBER, "% predicted", "DLCO, percent predicted", 5, 200),
    FieldSpec("mmrc_grade", Kind.INTEGER, "grade", "mMRC dyspnoea grade", 0, 4),
    FieldSpec(
        "hours_since_ards_onset", Kind.NUMBER, "h", "hours since ARDS criteria were first met", 0, 8760
    ),
    FieldSpec(
        "ards_risk_factor",
        Kind.CHOICE,
        "",
        "main ARDS risk factor (aetiology)",
        choices=tuple(code for code, _ in ARDS_RISK_FACTORS),
        label="ARDS risk factor",
    ),
)

SPECS: dict[str, FieldSpec] = {**{s.name: s for s in _LOCAL}, **FIELDS}

_SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "vitals",
        "Vital signs",
        (
            "temperature_c",
            "heart_rate_bpm",
            "respiratory_rate_per_min",
            "systolic_bp_mmhg",
            "diastolic_bp_mmhg",
            "map_mmhg",
            "spo2_pct",
            "weight_kg",
            "gcs",
        ),
    ),
    (
        "gas",
        "Blood gas, ventilation and oxygen support",
        (
            "pao2_mmhg",
            "fio2",
            "support",
            "peep_cmh2o",
            "hfno_flow_l_min",
            "mean_airway_pressure_cmh2o",
            "tidal_volume_ml",
            "plateau_pressure_cmh2o",
            "compliance_ml_per_cmh2o",
            "norepinephrine_ug_kg_min",
            "epinephrine_ug_kg_min",
            "dopamine_ug_kg_min",
            "dobutamine_ug_kg_min",
        ),
    ),
    (
        "labs",
        "Laboratory",
        (
            "crp_mg_dl",
            "il6_pg_ml",
            "ferritin_ng_ml",
            "d_dimer_ng_ml",
            "ldh_u_l",
            "lymphocytes_pct",
            "lymphocytes_10e3_per_ul",
            "neutrophils_10e3_per_ul",
            "wbc_10e3_per_ul",
            "platelets_10e3_per_ul",
            "hemoglobin_g_dl",
            "bilirubin_mg_dl",
            "creatinine_mg_dl",
            "urine_output_ml_per_day",
            "albumin_g_dl",
            "alt_u_l",
            "ast_u_l",
            "troponin_i_ng_ml",
            "fibrinogen_g_l",
            "triglycerides_mmol_l",
        ),
    ),
    (
        "imaging",
        "Imaging and clinical findings",
        (
            "bilateral_opacities",
            "chest_xray_quadrants",
            "ground_glass_opacities",
            "onset_within_7_days",
            "hours_since_ards_onset",
            "ards_risk_factor",
            "edema_explained_by_cardiac_or_fluid",
            "covid_confirmed",
            "known_immunosuppression",
            "hepatomegaly",
            "splenomegaly",
        ),
    ),
    ("lung", "Lung function", ("fvc_l", "fvc_pct_predicted", "dlco_pct_predicted")),
    ("walk", "Six-minute walk", ("six_minute_walk_m",)),
    ("dyspnea", "Dyspnoea", ("mmrc_grade",)),
)


def _with_si(code: str, keys: tuple[str, ...]) -> tuple[str, ...]:
    """The laboratory section gets each alternative unit after its canonical key."""
    return with_alternative_units(keys) if code == "labs" else keys


# (code, title, [FieldSpec]) — keys missing from the registry are skipped.
SECTIONS: tuple[tuple[str, str, tuple[FieldSpec, ...]], ...] = tuple(
    (code, title, tuple(SPECS[k] for k in _with_si(code, keys) if k in SPECS))
    for code, title, keys in _SECTIONS
)
SECTION_CODES = tuple(code for code, _, _ in SECTIONS)


def section_specs(code: str) -> tuple[FieldSpec, ...]:
    for section_code, _, specs in SECTIONS:
        if section_code == code:
            return specs
    raise KeyError(code)
