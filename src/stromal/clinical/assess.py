"""One call from observations to every assessment: the ``stromal assess`` contract.

``assess(observations)`` validates a mapping of observation keys
(``stromal.clinical.observations.FIELDS``) and returns a JSON-ready dict:
``pf_ratio``, ``sf_ratio``, ``oxygenation_index``, ``predicted_body_weight_kg``,
``berlin``, ``global_definition``, ``murray``, ``sofa``, ``covid_cs``,
``hscore``, ``six_minute_walk``, the follow-up measurements ``spirometry``, ``dlco``,
``moca`` and ``mmrc`` (``stromal.clinical.follow_up``), ``missing`` (why each null is null),
``out_of_reference_range`` (output key -> ``{"field", "range", "source"}``
for a value computed outside its equation's population), ``unit_conversions``
(each value given in an alternative unit, e.g. ``creatinine_umol_l``, with the
canonical value the rules read), ``sources`` (citations for the scalar
values) and ``rules_version``. Each
structured assessment carries its ``criteria`` or ``components`` and its
``source`` so a UI can show what drove it.

The web calculator, the care-pathway examination pages and the CLI all call
this function; its signature and top-level keys are a stable contract.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from stromal.clinical import (
    berlin,
    cytokine_storm,
    follow_up,
    global_definition,
    murray,
    oxygenation,
    sofa,
)
from stromal.clinical.criteria import Criterion, Status, codes
from stromal.clinical.observations import ALTERNATIVES, validate_observations
from stromal.clinical.precision import (
    OXYGENATION_INDEX_DECIMALS,
    PF_RATIO_DECIMALS,
    SF_RATIO_DECIMALS,
    recorded,
)
from stromal.clinical.reference_values import (
    SIX_MINUTE_WALK_SOURCE,
    six_minute_walk_reference,
)
from stromal.clinical.validation import ClinicalInputError

#: Bump whenever any rule, threshold or output key changes; stored with every
#: computed assessment so a result can be traced to the rules that made it.
RULES_VERSION = "2026.12.1"

SCALAR_SOURCES = {
    "pf_ratio": "PaO2/FiO2 x (PB/760); Ranieri VM et al., JAMA 2012;307(23):2526-33",
    "sf_ratio": "SpO2/FiO2; Rice TW et al., Chest 2007;132(2):410-7",
    "oxygenation_index": "FiO2 x mean airway pressure x 100 / PaO2; Chen WL et al., J Clin Med 2018",
    "predicted_body_weight_kg": "ARDS Network, N Engl J Med 2000;342(18):1301-8",
}

Clean = dict[str, float | int | bool | str]


def _f(obs: Clean, key: str) -> float | None:
    value = obs.get(key)
    return None if value is None else float(value)


def _b(obs: Clean, key: str) -> bool | None:
    value = obs.get(key)
    return value if isinstance(value, bool) else None


def _s(obs: Clean, key: str) -> str | None:
    value = obs.get(key)
    return value if isinstance(value, str) else None


def _needs(obs: Clean, *keys: str) -> str | None:
    """None if every key is present, else a reason naming the absent ones."""
    absent = [k for k in keys if k not in obs]
    return "needs " + ", ".join(absent) if absent else None


def _missing(criteria: Sequence[Criterion]) -> list[str]:
    return codes(criteria, Status.MISSING)


def _recorded(value: float | None, decimals: int) -> float | None:
    """The value as displayed: the same precision the rules compare at."""
    return None if value is None else recorded(value, decimals)


def assess(observations: Mapping[str, object]) -> dict[str, object]:
    """Validate ``observations`` and return every assessment the data allow.

    Raises ``stromal.clinical.validation.ClinicalInputError`` for an unknown
    key or an invalid value (naming the field, the value and the rule).
    A ``None`` value means "not measured".
    """
    rest, follow_up_given = follow_up.split(observations)
    obs: Clean = validate_observations(rest)
    missing: dict[str, str] = {}
    out_of_range: dict[str, dict[str, object]] = {}

    pao2, fio2, spo2 = _f(obs, "pao2_mmhg"), _f(obs, "fio2"), _f(obs, "spo2_pct")
    pb = _f(obs, "barometric_pressure_mmhg")
    pf: float | None = None
    pf_uncorrected: float | None = None
    if pao2 is not None and fio2 is not None:
        pf_uncorrected = oxygenation.pf_ratio(pao2, fio2)
        pf = pf_uncorrected if pb is None else oxygenation.pf_ratio(pao2, fio2, pb)
    else:
        missing["pf_ratio"] = _needs(obs, "pao2_mmhg", "fio2") or ""

    sf: float | None = None
    if spo2 is not None and fio2 is not None:
        sf = oxygenation.sf_ratio(spo2, fio2)
    else:
        missing["sf_ratio"] = _needs(obs, "spo2_pct", "fio2") or ""

    oi: float | None = None
    paw = _f(obs, "mean_airway_pressure_cmh2o")
    if pao2 is not None and fio2 is not None and paw is not None:
        oi = oxygenation.oxygenation_index(fio2, paw, pao2)
    else:
        missing["oxygenation_index"] = _needs(obs, "fio2", "mean_airway_pressure_cmh2o", "pao2_mmhg") or ""

    sex, height = _s(obs, "sex"), _f(obs, "height_cm")
    pbw: float | None = None
    if sex is not None and height is not None:
        try:
            pbw = oxygenation.predicted_body_weight_kg(sex, height)
        except ClinicalInputError as refusal:
            missing["predicted_body_weight_kg"] = _refused(refusal)
        flag = oxygenation.PBW_HEIGHT_RANGE.flag_for(height)
        if flag is not None:
            out_of_range["predicted_body_weight_kg"] = flag
    else:
        missing["predicted_body_weight_kg"] = _needs(obs, "sex", "height_cm") or ""

    common = {
        "onset_within_7_days": _b(obs, "onset_within_7_days"),
        "bilateral_opacities": _b(obs, "bilateral_opacities"),
        "edema_explained_by_cardiac_or_fluid": _b(obs, "edema_explained_by_cardiac_or_fluid"),
    }
    berlin_result = berlin.berlin_definition(
        pf_ratio_mmhg=pf,
        peep_cmh2o=_f(obs, "peep_cmh2o"),
        support=_s(obs, "support"),
        **common,
    )
    if berlin_result.meets is None:
        missing["berlin"] = "criteria missing: " + ", ".join(_missing(berlin_result.criteria))

    global_result = global_definition.global_definition(
        pf_ratio_mmhg=pf,
        sf_ratio=sf,
        spo2_pct=spo2,
        support=_s(obs, "support"),
        peep_cmh2o=_f(obs, "peep_cmh2o"),
        hfno_flow_l_min=_f(obs, "hfno_flow_l_min"),
        resource_limited_setting=_b(obs, "resource_limited_setting"),
        **common,
    )
    if global_result.meets is None:
        missing["global_definition"] = "criteria missing: " + ", ".join(_missing(global_result.criteria))

    quadrants = obs.get("chest_xray_quadrants")
    murray_result = murray.murray_score(
        chest_xray_quadrants=int(quadrants) if quadrants is not None else None,
        pf_ratio_mmhg=pf_uncorrected,
        peep_cmh2o=_f(obs, "peep_cmh2o"),
        compliance_ml_per_cmh2o=_f(obs, "compliance_ml_per_cmh2o"),
    )
    if murray_result.score is None:
        missing["murray"] = (
            "needs at least one of chest_xray_quadrants, pao2_mmhg+fio2, peep_cmh2o, compliance"
        )

    gcs = obs.get("gcs")
    sofa_result = sofa.sofa_score(
        pf_ratio_mmhg=pf_uncorrected,
        support=_s(obs, "support"),
        platelets_10e3_per_ul=_f(obs, "platelets_10e3_per_ul"),
        bilirubin_mg_dl=_f(obs, "bilirubin_mg_dl"),
        map_mmhg=_f(obs, "map_mmhg"),
        dopamine_ug_kg_min=_f(obs, "dopamine_ug_kg_min"),
        dobutamine_ug_kg_min=_f(obs, "dobutamine_ug_kg_min"),
        epinephrine_ug_kg_min=_f(obs, "epinephrine_ug_kg_min"),
        norepinephrine_ug_kg_min=_f(obs, "norepinephrine_ug_kg_min"),
        gcs=int(gcs) if gcs is not None else None,
        creatinine_mg_dl=_f(obs, "creatinine_mg_dl"),
        urine_output_ml_per_day=_f(obs, "urine_output_ml_per_day"),
    )
    if sofa_result.missing:
        missing["sofa"] = "partial total; not scored: " + ", ".join(sorted(sofa_result.missing))

    labs = {k: float(v) for k, v in obs.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    covid_result = cytokine_storm.covid_cytokine_storm(
        covid_confirmed=_b(obs, "covid_confirmed"),
        ground_glass_opacities=_b(obs, "ground_glass_opacities"),
        labs=labs,
    )
    if covid_result.meets is None:
        missing["covid_cs"] = "criteria missing: " + ", ".join(_missing(covid_result.criteria))

    h = cytokine_storm.hscore(
        known_immunosuppression=_b(obs, "known_immunosuppression"),
        temperature_c=_f(obs, "temperature_c"),
        hepatomegaly=_b(obs, "hepatomegaly"),
        splenomegaly=_b(obs, "splenomegaly"),
        hemoglobin_g_dl=_f(obs, "hemoglobin_g_dl"),
        wbc_10e3_per_ul=_f(obs, "wbc_10e3_per_ul"),
        platelets_10e3_per_ul=_f(obs, "platelets_10e3_per_ul"),
        ferritin_ng_ml=_f(obs, "ferritin_ng_ml"),
        triglycerides_mmol_l=_f(obs, "triglycerides_mmol_l"),
        fibrinogen_g_l=_f(obs, "fibrinogen_g_l"),
        ast_u_l=_f(obs, "ast_u_l"),
        marrow_hemophagocytosis=_b(obs, "marrow_hemophagocytosis"),
    )
    if h.score is None:
        missing["hscore"] = "items missing: " + ", ".join(h.missing)
    missing["hscore.probability_pct"] = (
        "Fardet 2014 logistic coefficients could not be verified; see probability_band"
    )

    conversions = _conversions(rest, obs)
    subject = {key: obs.get(key) for key in follow_up.SUBJECT_KEYS}
    follow_up_results = follow_up.assess_follow_up(follow_up_given, subject, missing, conversions)

    return {
        "pf_ratio": _recorded(pf, PF_RATIO_DECIMALS),
        "sf_ratio": _recorded(sf, SF_RATIO_DECIMALS),
        "oxygenation_index": _recorded(oi, OXYGENATION_INDEX_DECIMALS),
        "predicted_body_weight_kg": _recorded(pbw, 1),
        "berlin": berlin_result.as_dict(),
        "global_definition": global_result.as_dict(),
        "murray": murray_result.as_dict(),
        "sofa": sofa_result.as_dict(),
        "covid_cs": covid_result.as_dict(),
        "hscore": h.as_dict(),
        "six_minute_walk": _six_minute_walk(obs, missing, out_of_range),
        **follow_up_results,
        "missing": missing,
        "out_of_reference_range": out_of_range,
        "unit_conversions": conversions,
        "sources": dict(SCALAR_SOURCES),
        "rules_version": RULES_VERSION,
    }


def _refused(refusal: ClinicalInputError) -> str:
    """A value refused for these inputs, naming the field and the rule."""
    return f"refused: {refusal.field} {refusal.value!r}: {refusal.rule}"


def _conversions(raw: Mapping[str, object], obs: Clean) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for key, value in raw.items():
        alt = ALTERNATIVES.get(key)
        if alt is None or value is None:
            continue
        out[key] = {
            "value": value,
            "unit": alt.unit,
            "converted_to": alt.canonical,
            "converted_value": obs[alt.canonical],
            "factor": alt.per_canonical_unit,
            "source": alt.source,
        }
    return out


def _six_minute_walk(
    obs: Clean, missing: dict[str, str], out_of_range: dict[str, dict[str, object]]
) -> dict[str, object]:
    sex, age = _s(obs, "sex"), _f(obs, "age_years")
    height, weight = _f(obs, "height_cm"), _f(obs, "weight_kg")
    distance = _f(obs, "six_minute_walk_m")
    out: dict[str, object] = {
        "predicted_m": None,
        "lln_m": None,
        "percent_predicted": None,
        "out_of_reference_range": None,
        "source": SIX_MINUTE_WALK_SOURCE,
    }
    if sex is None or age is None or height is None or weight is None:
        missing["six_minute_walk"] = _needs(obs, "sex", "age_years", "height_cm", "weight_kg") or ""
        return out
    try:
        reference = six_minute_walk_reference(sex, age, height, weight)
    except ClinicalInputError as refusal:
        missing["six_minute_walk"] = _refused(refusal)
        return out
    out["predicted_m"] = round(reference.predicted_m, 1)
    if reference.lln_m is None:
        missing["six_minute_walk.lln_m"] = "the lower limit of normal is not a positive distance"
    else:
        out["lln_m"] = round(reference.lln_m, 1)
    if reference.out_of_reference_range is not None:
        out["out_of_reference_range"] = reference.out_of_reference_range
        out_of_range["six_minute_walk"] = reference.out_of_reference_range
    if distance is None:
        missing["six_minute_walk.percent_predicted"] = "needs six_minute_walk_m"
    else:
        out["percent_predicted"] = round(100.0 * distance / reference.predicted_m, 1)
    return out
