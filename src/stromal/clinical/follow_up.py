"""Follow-up measurements in ``stromal assess``: lung function, MoCA and mMRC from raw values.

The keys are the items of the follow-up instruments (``stromal.clinical.instruments``), so a
value the registry's visit page refuses is refused here by the same rule, naming the key:

- ``fev1_l``, ``fvc_l`` (L, BTPS), ``spirometry_equation`` (``gli_global_2022``, the
  race-neutral default, or ``gli_2012`` with ``ethnicity``): ``spirometry``;
- ``dlco_ml_min_mmhg`` or ``dlco_mmol_min_kpa`` (exactly one; SI x 2.987): ``dlco`` (GLI-2017);
- ``moca_score`` with ``education_years``: ``moca`` (Nasreddine 2005: +1 point for <= 12 years);
- ``mmrc_grade``: ``mmrc``.

Each instrument is validated as a whole once any of its keys is given (FEV1 without FVC
is refused, naming ``fvc_l``). The reference equations need ``sex``, ``age_years`` and
``height_cm``; without them, or outside an equation's age or height range, the result
is null and ``missing`` says why, as for the six-minute walk.

A value is below the lower limit of normal when it is below the LLN as printed
(``LLN_DECIMALS``), so the printed values and the flag never disagree
(``docs/decisions/0002-trustworthy-data.md``).
"""

from __future__ import annotations

from collections.abc import Mapping

from stromal.clinical.instruments import INSTRUMENTS, Instrument, Item, Subject
from stromal.clinical.instruments.lung_function import (
    DLCO_SI_TO_TRADITIONAL,
    EQUATION_SOURCES,
    dlco_ml_min_mmhg,
)
from stromal.clinical.precision import recorded
from stromal.clinical.validation import ClinicalInputError, FieldSpec

#: Output key -> the instrument whose items are its input keys.
GROUPS: dict[str, Instrument] = {
    "spirometry": INSTRUMENTS["spirometry"],
    "dlco": INSTRUMENTS["dlco"],
    "moca": INSTRUMENTS["moca"],
    "mmrc": INSTRUMENTS["mmrc"],
}
#: Every follow-up input key, in help order.
KEYS: tuple[str, ...] = tuple(item.name for instrument in GROUPS.values() for item in instrument.items)

#: Decimals printed (and compared at) per quantity.
LLN_DECIMALS = {"fev1": 2, "fvc": 2, "fev1_fvc": 3, "dlco": 2}
Z_DECIMALS = 2
PERCENT_DECIMALS = 1

SUBJECT_KEYS = ("sex", "age_years", "height_cm")


def split(observations: Mapping[str, object]) -> tuple[dict[str, object], dict[str, object]]:
    """(the other observations, the follow-up keys given); ``None`` means "not measured"."""
    rest = {k: v for k, v in observations.items() if k not in KEYS}
    given = {k: v for k, v in observations.items() if k in KEYS and v is not None}
    return rest, given


def help_lines() -> list[tuple[str, str]]:
    """(key, accepted values with unit and range; description) for ``stromal assess --help``."""
    lines = []
    for instrument in GROUPS.values():
        for item in instrument.items:
            lines.append((item.name, _rule(item) + "; " + item.label + _note(instrument, item)))
    return lines


def _rule(item: Item) -> str:
    spec: FieldSpec = item.spec()
    return spec.rule_text()


def _note(instrument: Instrument, item: Item) -> str:
    if item.shown_when is not None:
        return f" ({item.shown_when.text()})"
    for group in instrument.exactly_one_of:
        if item.name in group:
            other = next(name for name in group if name != item.name)
            converted = (
                f"; converted x {DLCO_SI_TO_TRADITIONAL:g}" if item.name == "dlco_mmol_min_kpa" else ""
            )
            return f" (give this or {other}, not both{converted})"
    return ""


def _refused(refusal: ClinicalInputError) -> str:
    return f"refused: {refusal.field} {refusal.value!r}: {refusal.rule}"


def _needs(subject: Mapping[str, object]) -> str | None:
    absent = [k for k in SUBJECT_KEYS if subject.get(k) is None]
    return "needs " + ", ".join(absent) if absent else None


def _f(values: Mapping[str, object], key: str) -> float:
    value = values[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{key} is not a number")
    return float(value)


def _reference(scores: Mapping[str, object], measured_key: str, prefix: str, key: str) -> dict[str, object]:
    """One measurement against its reference, printed and compared at ``LLN_DECIMALS``."""
    decimals = LLN_DECIMALS[key]
    measured = recorded(_f(scores, measured_key), decimals)
    lln = recorded(_f(scores, f"{prefix}lln"), decimals)
    return {
        "measured": measured,
        "z": recorded(_f(scores, f"{prefix}z"), Z_DECIMALS),
        "percent_predicted": recorded(_f(scores, f"{prefix}percent_predicted"), PERCENT_DECIMALS),
        "lln": lln,
        "below_lln": measured < lln,
    }


def assess_follow_up(
    given: Mapping[str, object],
    subject: Mapping[str, object],
    missing: dict[str, str],
    conversions: dict[str, dict[str, object]],
) -> dict[str, object]:
    """The ``spirometry``, ``dlco``, ``moca`` and ``mmrc`` outputs of ``assess``.

    ``subject`` holds the validated ``sex``, ``age_years`` and ``height_cm`` (or not);
    reasons for null outputs go to ``missing``, the SI DLCO conversion to ``conversions``.

    Raises:
        ClinicalInputError: an invalid or incomplete follow-up value, naming its key.
    """
    answers: dict[str, dict[str, object]] = {}
    for out, instrument in GROUPS.items():
        mine = {k: v for k, v in given.items() if k in {i.name for i in instrument.items}}
        if mine:
            instrument.validate(mine)
            answers[out] = mine
        else:
            missing[out] = "needs " + " and ".join(_input_names(instrument))
    result: dict[str, object] = {key: None for key in GROUPS}
    if "mmrc" in answers:
        scores = GROUPS["mmrc"].score(answers["mmrc"])
        result["mmrc"] = {"grade": scores["grade"], "description": scores["description"]}
    if "moca" in answers:
        scores = GROUPS["moca"].score(answers["moca"])
        result["moca"] = {
            "raw_score": scores["raw_score"],
            "education_point": scores["education_point"],
            "adjusted_score": scores["adjusted_score"],
            "impaired": scores["impaired"],
            "source": GROUPS["moca"].source,
        }
    if "dlco" in answers and "dlco_mmol_min_kpa" in answers["dlco"]:
        value = answers["dlco"]["dlco_mmol_min_kpa"]
        conversions["dlco_mmol_min_kpa"] = {
            "value": value,
            "unit": "mmol/min/kPa",
            "converted_to": "dlco_ml_min_mmhg",
            "converted_value": recorded(dlco_ml_min_mmhg(GROUPS["dlco"].validate(answers["dlco"])), 2),
            "factor": DLCO_SI_TO_TRADITIONAL,
            "source": "McCarthy K. Medscape 2020 (SI value x 2.987); see stromal.clinical.instruments.lung_function",
        }
    lung = [k for k in ("spirometry", "dlco") if k in answers]
    absent = _needs(subject)
    for key in lung:
        if absent:
            missing[key] = absent
            continue
        try:
            result[key] = _lung(key, answers[key], subject)
        except ClinicalInputError as refusal:
            missing[key] = _refused(refusal)
    return result


def _input_names(instrument: Instrument) -> list[str]:
    if instrument.exactly_one_of:
        return [" or ".join(instrument.exactly_one_of[0])]
    return [item.name for item in instrument.items if item.required and item.shown_when is None]


def _lung(key: str, answers: Mapping[str, object], subject: Mapping[str, object]) -> dict[str, object]:
    who = Subject(
        sex=str(subject["sex"]), age_years=_f(subject, "age_years"), height_cm=_f(subject, "height_cm")
    )
    scores = GROUPS[key].score(answers, who)
    if key == "dlco":
        out = _reference(scores, "dlco_ml_min_mmhg", "", "dlco")
        out["equation"] = scores["equation"]
        out["source"] = EQUATION_SOURCES[str(scores["equation"])]
        return out
    spirometry: dict[str, object] = {
        p: _reference(scores, f"{p}_measured", f"{p}_", p) for p in ("fev1", "fvc", "fev1_fvc")
    }
    spirometry["equation"] = scores["equation"]
    spirometry["source"] = scores["equation_source"]
    return spirometry
