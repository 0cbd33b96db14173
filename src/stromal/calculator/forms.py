"""The calculator form, built from the clinical library's field registry so the
page accepts exactly what ``stromal assess`` accepts, with the same rules."""

from __future__ import annotations

from typing import Any

from django import forms

from stromal.clinical.observations import FIELDS, with_alternative_units
from stromal.clinical.validation import ClinicalInputError, FieldSpec, Kind, check_value, plain_message

# Field groups as a clinician fills them in, top to bottom.
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Blood gas and ventilation",
        (
            "pao2_mmhg",
            "fio2",
            "spo2_pct",
            "support",
            "peep_cmh2o",
            "hfno_flow_l_min",
            "mean_airway_pressure_cmh2o",
            "compliance_ml_per_cmh2o",
            "barometric_pressure_mmhg",
        ),
    ),
    (
        "ARDS criteria and imaging",
        (
            "onset_within_7_days",
            "bilateral_opacities",
            "edema_explained_by_cardiac_or_fluid",
            "chest_xray_quadrants",
            "ground_glass_opacities",
            "resource_limited_setting",
        ),
    ),
    ("Patient", ("sex", "age_years", "height_cm", "weight_kg", "six_minute_walk_m")),
    (
        "Organ function (SOFA)",
        (
            "platelets_10e3_per_ul",
            "bilirubin_mg_dl",
            "map_mmhg",
            "dopamine_ug_kg_min",
            "dobutamine_ug_kg_min",
            "epinephrine_ug_kg_min",
            "norepinephrine_ug_kg_min",
            "gcs",
            "creatinine_mg_dl",
            "urine_output_ml_per_day",
        ),
    ),
    (
        "Cytokine storm (COVID-CS, HScore)",
        (
            "covid_confirmed",
            "ferritin_ng_ml",
            "crp_mg_dl",
            "albumin_g_dl",
            "lymphocytes_pct",
            "neutrophils_10e3_per_ul",
            "alt_u_l",
            "ast_u_l",
            "d_dimer_ng_ml",
            "ldh_u_l",
            "troponin_i_ng_ml",
            "anion_gap_mmol_l",
            "chloride_mmol_l",
            "potassium_mmol_l",
            "bun_creatinine_ratio",
            "known_immunosuppression",
            "temperature_c",
            "hepatomegaly",
            "splenomegaly",
            "hemoglobin_g_dl",
            "wbc_10e3_per_ul",
            "triglycerides_mmol_l",
            "fibrinogen_g_l",
            "marrow_hemophagocytosis",
        ),
    ),
)

# Each canonical key is followed by its alternative-unit (SI) keys.
_SECTION_FIELDS = tuple((title, with_alternative_units(names)) for title, names in SECTIONS)
_UNKNOWN = ""
_TRI_STATE = ((_UNKNOWN, "not assessed"), ("true", "yes"), ("false", "no"))


def _label(spec: FieldSpec) -> str:
    unit = f" ({spec.unit})" if spec.unit else ""
    return f"{spec.description[:1].upper()}{spec.description[1:]}{unit}"


def _form_field(spec: FieldSpec) -> forms.Field:
    label = _label(spec)
    help_text = spec.rule_text()
    if spec.kind is Kind.BOOLEAN:
        # Three states: an unanswered criterion is "missing", never "no".
        return forms.ChoiceField(choices=_TRI_STATE, required=False, label=label)
    if spec.kind is Kind.CHOICE:
        choices = ((_UNKNOWN, "not recorded"), *((c, c.replace("_", " ")) for c in spec.choices))
        return forms.ChoiceField(choices=choices, required=False, label=label)
    attrs = {"inputmode": "decimal", "step": "any"}
    return forms.FloatField(required=False, label=label, help_text=help_text, widget=forms.NumberInput(attrs))


class CalculatorForm(forms.Form):
    """All observation fields, each optional; values checked by the clinical rules."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for _, names in _SECTION_FIELDS:
            for name in names:
                self.fields[name] = _form_field(FIELDS[name])

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in _SECTION_FIELDS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, value in list(cleaned.items()):
            if value in (None, _UNKNOWN):
                continue
            spec = FIELDS[name]
            if spec.kind is Kind.BOOLEAN:
                value = value == "true"
            try:
                cleaned[name] = check_value(spec, value)
            except ClinicalInputError as exc:
                self.add_error(name, plain_message(spec, exc))
        return cleaned

    def observations(self) -> dict[str, object]:
        """The entered observations, unanswered fields left out."""
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, _UNKNOWN)}
