"""Codes and units of the FHIR resources: LOINC and UCUM where they exist, Stromal's own otherwise.

Every Observation carries Stromal's own key (system ``OBSERVATION_SYSTEM``,
code = the observation key, unit in its name), so nothing is lost in a round
trip; a LOINC coding is added where LOINC has the quantity. Sources of the
LOINC codes (display names as LOINC publishes them):

- Vital signs: HL7 FHIR R4, Observation Vital Signs profile
  (http://hl7.org/fhir/R4/observation-vitalsigns.html): 8867-4, 9279-1, 8480-6,
  8462-4, 8478-0, 59408-5, 8310-5, 29463-7, 8302-2.
- Laboratory: the LOINC table (loinc.org, version 2.7x), as used by the German
  Corona Consensus Dataset (GECCO) FHIR profiles of the Network University
  Medicine (simplifier.net/forschungsnetzcovid-19): CRP 1988-5, IL-6 26881-3,
  ferritin 2276-4, D-dimer FEU 48065-7, LDH 2532-0, lymphocytes 731-0,
  neutrophils 751-8, leukocytes 6690-2, platelets 777-3, haemoglobin 718-7,
  bilirubin 1975-2 / 14631-6, creatinine 2160-0 / 14682-9, albumin 1751-7,
  AST 1920-8, troponin I 10839-9, fibrinogen 3255-7; and loinc.org for ALT
  1742-6, lymphocytes % 736-9, triglycerides 2571-8 / 14927-8, potassium
  2823-3, chloride 2075-0, anion gap 33037-3, BUN/creatinine 3097-3.
- Gas exchange and support (loinc.org): PaO2 2703-7, inhaled oxygen
  concentration 3150-0 (in %, so FiO2 is sent x 100), inhaled oxygen flow rate
  3151-8, PEEP setting 20077-4, Glasgow coma score total 9269-2, Horowitz index
  (P/F ratio) 50984-4 (as in the MII intensive-care module).
- Function (loinc.org): forced vital capacity 19870-5, six-minute walk 64098-7.

Keys without a LOINC code here (ventilator mechanics, lung-function percent
predicted, mMRC grade, the imaging and clinical findings, vasopressor doses)
carry Stromal's code only, rather than a guess.

UCUM (https://ucum.org/ucum): ``mm[Hg]``, ``cm[H2O]``, ``Cel``, ``10*3/uL``,
``umol/L``, ``ug/kg/min``; counts and scores as annotations (``{score}``).
"""

from __future__ import annotations

from dataclasses import dataclass

from stromal.administrations.vitals import ALL_SPECS
from stromal.clinical.validation import FieldSpec
from stromal.examinations.fields import SPECS

BASE = "urn:stromal:fhir"
OBSERVATION_SYSTEM = f"{BASE}:observation"
ASSESSMENT_SYSTEM = f"{BASE}:assessment"
CHOICE_SYSTEM = f"{BASE}:choice"
ENCOUNTER_KIND_SYSTEM = f"{BASE}:encounter-kind"
VISIT_SYSTEM = f"{BASE}:followup-visit"
PRODUCT_TYPE_SYSTEM = f"{BASE}:product-type"
ADMINISTRATION_SYSTEM = f"{BASE}:administration"
PSEUDONYM_SYSTEM = f"{BASE}:pseudonym"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
#: ISBT 128 (ICCBBA) in HL7 Terminology: CodeSystem ``ib``, OID 2.16.840.1.113883.6.18.
ISBT128 = "http://terminology.hl7.org/CodeSystem/ib"
ISBT128_DIN_SYSTEM = "urn:oid:2.16.840.1.113883.6.18"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
V3_OBSERVATION_VALUE = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"

#: Our unit text -> UCUM code.
UCUM_OF: dict[str, str] = {
    "/min": "/min",
    "mmHg": "mm[Hg]",
    "cmH2O": "cm[H2O]",
    "mL": "mL",
    "pg/mL": "pg/mL",
    "10^3/µL": "10*3/uL",
    "L": "L",
    "% predicted": "%",
    "%": "%",
    "grade": "{grade}",
    "h": "h",
    "fraction": "1",
    "L/min": "L/min",
    "mL/cmH2O": "mL/cm[H2O]",
    "quadrants": "{quadrants}",
    "mg/dL": "mg/dL",
    "µg/kg/min": "ug/kg/min",
    "µg/min": "ug/min",
    "points": "{score}",
    "mL/day": "mL/d",
    "years": "a",
    "cm": "cm",
    "kg": "kg",
    "m": "m",
    "ng/mL": "ng/mL",
    "g/dL": "g/dL",
    "U/L": "U/L",
    "ng/mL FEU": "ng/mL{FEU}",
    "mmol/L": "mmol/L",
    "ratio": "{ratio}",
    "°C": "Cel",
    "g/L": "g/L",
    "µmol/L": "umol/L",
    "mg/L": "mg/L",
    "ng/L": "ng/L",
    "mg/L FEU": "mg/L{FEU}",
    "agents": "{agents}",
}


@dataclass(frozen=True)
class Loinc:
    code: str
    display: str
    #: The FHIR value is the stored value times this (FiO2: a fraction stored, % sent).
    factor: float = 1.0
    #: The UCUM unit of the FHIR value when the factor changes it.
    ucum: str | None = None


LOINC_OF: dict[str, Loinc] = {
    "heart_rate_bpm": Loinc("8867-4", "Heart rate"),
    "respiratory_rate_per_min": Loinc("9279-1", "Respiratory rate"),
    "systolic_bp_mmhg": Loinc("8480-6", "Systolic blood pressure"),
    "diastolic_bp_mmhg": Loinc("8462-4", "Diastolic blood pressure"),
    "map_mmhg": Loinc("8478-0", "Mean blood pressure"),
    "spo2_pct": Loinc("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
    "temperature_c": Loinc("8310-5", "Body temperature"),
    "weight_kg": Loinc("29463-7", "Body weight"),
    "height_cm": Loinc("8302-2", "Body height"),
    "pao2_mmhg": Loinc("2703-7", "Oxygen [Partial pressure] in Arterial blood"),
    "fio2": Loinc("3150-0", "Inhaled oxygen concentration", factor=100.0, ucum="%"),
    "hfno_flow_l_min": Loinc("3151-8", "Inhaled oxygen flow rate"),
    "peep_cmh2o": Loinc("20077-4", "Positive end expiratory pressure setting Ventilator"),
    "gcs": Loinc("9269-2", "Glasgow coma score total"),
    "crp_mg_dl": Loinc("1988-5", "C reactive protein [Mass/volume] in Serum or Plasma"),
    "crp_mg_l": Loinc("1988-5", "C reactive protein [Mass/volume] in Serum or Plasma"),
    "il6_pg_ml": Loinc("26881-3", "Interleukin 6 [Mass/volume] in Serum or Plasma"),
    "ferritin_ng_ml": Loinc("2276-4", "Ferritin [Mass/volume] in Serum or Plasma"),
    "d_dimer_ng_ml": Loinc("48065-7", "Fibrin D-dimer FEU [Mass/volume] in Platelet poor plasma"),
    "d_dimer_mg_l_feu": Loinc("48065-7", "Fibrin D-dimer FEU [Mass/volume] in Platelet poor plasma"),
    "ldh_u_l": Loinc("2532-0", "Lactate dehydrogenase [Enzymatic activity/volume] in Serum or Plasma"),
    "lymphocytes_pct": Loinc("736-9", "Lymphocytes/100 leukocytes in Blood by Automated count"),
    "lymphocytes_10e3_per_ul": Loinc("731-0", "Lymphocytes [#/volume] in Blood by Automated count"),
    "neutrophils_10e3_per_ul": Loinc("751-8", "Neutrophils [#/volume] in Blood by Automated count"),
    "wbc_10e3_per_ul": Loinc("6690-2", "Leukocytes [#/volume] in Blood by Automated count"),
    "platelets_10e3_per_ul": Loinc("777-3", "Platelets [#/volume] in Blood by Automated count"),
    "hemoglobin_g_dl": Loinc("718-7", "Hemoglobin [Mass/volume] in Blood"),
    "hemoglobin_g_l": Loinc("718-7", "Hemoglobin [Mass/volume] in Blood"),
    "bilirubin_mg_dl": Loinc("1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma"),
    "bilirubin_umol_l": Loinc("14631-6", "Bilirubin.total [Moles/volume] in Serum or Plasma"),
    "creatinine_mg_dl": Loinc("2160-0", "Creatinine [Mass/volume] in Serum or Plasma"),
    "creatinine_umol_l": Loinc("14682-9", "Creatinine [Moles/volume] in Serum or Plasma"),
    "albumin_g_dl": Loinc("1751-7", "Albumin [Mass/volume] in Serum or Plasma"),
    "albumin_g_l": Loinc("1751-7", "Albumin [Mass/volume] in Serum or Plasma"),
    "alt_u_l": Loinc("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma"),
    "ast_u_l": Loinc("1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma"),
    "troponin_i_ng_ml": Loinc("10839-9", "Troponin I.cardiac [Mass/volume] in Serum or Plasma"),
    "troponin_i_ng_l": Loinc("10839-9", "Troponin I.cardiac [Mass/volume] in Serum or Plasma"),
    "fibrinogen_g_l": Loinc(
        "3255-7", "Fibrinogen [Mass/volume] in Platelet poor plasma by Coagulation assay"
    ),
    "fibrinogen_mg_dl": Loinc(
        "3255-7", "Fibrinogen [Mass/volume] in Platelet poor plasma by Coagulation assay"
    ),
    "triglycerides_mg_dl": Loinc("2571-8", "Triglyceride [Mass/volume] in Serum or Plasma"),
    "triglycerides_mmol_l": Loinc("14927-8", "Triglyceride [Moles/volume] in Serum or Plasma"),
    "potassium_mmol_l": Loinc("2823-3", "Potassium [Moles/volume] in Serum or Plasma"),
    "chloride_mmol_l": Loinc("2075-0", "Chloride [Moles/volume] in Serum or Plasma"),
    "anion_gap_mmol_l": Loinc("33037-3", "Anion gap in Serum or Plasma"),
    "bun_creatinine_ratio": Loinc("3097-3", "Urea nitrogen/Creatinine [Mass Ratio] in Serum or Plasma"),
    "fvc_l": Loinc("19870-5", "Forced vital capacity [Volume] Respiratory system"),
    "six_minute_walk_m": Loinc("64098-7", "Six minute walk test"),
}
PF_RATIO = Loinc("50984-4", "Horowitz index in Arterial blood")

VITAL_SIGNS = frozenset(
    {
        "heart_rate_bpm",
        "respiratory_rate_per_min",
        "systolic_bp_mmhg",
        "diastolic_bp_mmhg",
        "map_mmhg",
        "spo2_pct",
        "temperature_c",
        "weight_kg",
        "height_cm",
    }
)
IMAGING = frozenset({"bilateral_opacities", "chest_xray_quadrants", "ground_glass_opacities"})
SUPPORT = frozenset(
    {
        "fio2",
        "support",
        "peep_cmh2o",
        "hfno_flow_l_min",
        "mean_airway_pressure_cmh2o",
        "tidal_volume_ml",
        "plateau_pressure_cmh2o",
        "compliance_ml_per_cmh2o",
    }
)
THERAPY = frozenset(
    k for k in ALL_SPECS if k.endswith(("_ug_kg_min", "_ug_min")) or k == "vasopressor_count"
) | {
    "dopamine_ug_kg_min",
    "dobutamine_ug_kg_min",
    "epinephrine_ug_kg_min",
    "norepinephrine_ug_kg_min",
}
EXAM = frozenset(
    {
        "gcs",
        "fvc_l",
        "fvc_pct_predicted",
        "dlco_pct_predicted",
        "six_minute_walk_m",
        "hepatomegaly",
        "splenomegaly",
        "onset_within_7_days",
        "hours_since_ards_onset",
        "edema_explained_by_cardiac_or_fluid",
        "covid_confirmed",
        "known_immunosuppression",
        "marrow_hemophagocytosis",
        "resource_limited_setting",
        "barometric_pressure_mmhg",
        "age_years",
        "sex",
        "urine_output_ml_per_day",
    }
)
SURVEY = frozenset({"mmrc_grade"})
#: Every key any form records, examination or vitals.
ALL_KEYS: dict[str, FieldSpec] = {**ALL_SPECS, **SPECS}


def category_of(key: str) -> str:
    """The FHIR observation-category code of a key."""
    for codes, category in (
        (VITAL_SIGNS, "vital-signs"),
        (IMAGING, "imaging"),
        (SUPPORT, "procedure"),
        (THERAPY, "therapy"),
        (EXAM, "exam"),
        (SURVEY, "survey"),
    ):
        if key in codes:
            return category
    return "exam" if key in ALL_SPECS and key not in SPECS else "laboratory"


def ucum_of(key: str) -> str | None:
    """The UCUM code of a key's stored unit (None for a key without a unit)."""
    spec = ALL_KEYS.get(key)
    return None if spec is None or not spec.unit else UCUM_OF.get(spec.unit)
