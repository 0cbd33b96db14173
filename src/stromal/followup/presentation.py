"""An instrument response in words for the visit page: the answers as entered (option labels,
units) and what was derived from them, each flagged where it lies below the lower limit of
normal or outside the reference equation's population."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stromal.clinical.instruments import Instrument, ItemKind

BELOW_LLN = "below the lower limit of normal"
OUTSIDE_POPULATION = "outside the equation's reference population (extrapolated)"

EQUATION_NAMES = {
    "gli_global_2022": "GLI Global 2022 (race-neutral)",
    "gli_2012": "GLI-2012",
    "gli_2017_dlco": "GLI-2017 DLCO",
    "enright_sherrill_1998": "Enright & Sherrill 1998",
}


@dataclass(frozen=True)
class Shown:
    """One line of a response: what, its value in words, and a warning (empty if none)."""

    label: str
    value: str
    flag: str = ""


def _number(value: Any, decimals: int) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "—"
    return f"{value:.{decimals}f}".replace("-", "−")


def answers_in_words(instrument: Instrument, answers: Mapping[str, Any]) -> list[Shown]:
    """The entered answers in item order, choices by their label, numbers with their unit."""
    out = []
    for item in instrument.items:
        if item.name not in answers:
            continue
        value = answers[item.name]
        labels = {str(v): text for v, text in item.options}
        if isinstance(value, bool):
            text = "yes" if value else "no"
        elif str(value) in labels:
            text = f"{value} — {labels[str(value)]}" if item.kind is ItemKind.INTEGER else labels[str(value)]
        else:
            text = f"{value:g}" if isinstance(value, float) else str(value)
            text = f"{text} {item.unit}".strip() if item.unit and item.kind is not ItemKind.INTEGER else text
        out.append(Shown(item.label[:1].upper() + item.label[1:], text))
    return out


def _reference(label: str, scores: Mapping[str, Any], prefix: str, unit: str, decimals: int) -> Shown:
    """``measured`` as entered, the LLN at ``decimals`` (the precision ``stromal assess`` prints)."""
    measured = scores.get(f"{prefix}_measured")
    shown = f"{measured:g}" if isinstance(measured, float) and decimals < 3 else _number(measured, decimals)
    parts = [
        f"{shown} {unit}".strip(),
        f"z {_number(scores.get(f'{prefix}_z'), 2)}",
        f"{_number(scores.get(f'{prefix}_percent_predicted'), 0)} % predicted",
        f"LLN {_number(scores.get(f'{prefix}_lln'), decimals)} {unit}".strip(),
    ]
    return Shown(label, " · ".join(parts), BELOW_LLN if scores.get(f"{prefix}_below_lln") else "")


def _equation(name: object, implementation: object = None) -> Shown:
    text = EQUATION_NAMES.get(str(name), str(name))
    return Shown("Reference equation", f"{text} ({implementation})" if implementation else text)


def derived_in_words(code: str, scores: Mapping[str, Any]) -> list[Shown]:
    """The derived values of instrument ``code`` that a clinician reads, in words."""
    if not scores:
        return []
    if code == "spirometry":
        return [
            _reference("FEV1", scores, "fev1", "L", 2),
            _reference("FVC", scores, "fvc", "L", 2),
            _reference("FEV1/FVC", scores, "fev1_fvc", "", 3),
            _equation(scores.get("equation"), scores.get("implementation")),
        ]
    if code == "dlco":
        flat = {f"dlco_{k}": v for k, v in scores.items()} | {"dlco_measured": scores.get("dlco_ml_min_mmhg")}
        shown = [_reference("DLCO", flat, "dlco", "mL/min/mmHg", 2)]
        if scores.get("converted_from_si"):
            shown.append(Shown("Entered in SI units", "converted × 2.987 to mL/min/mmHg"))
        return [*shown, _equation(scores.get("equation"), scores.get("implementation"))]
    if code == "six_minute_walk":
        line = " · ".join(
            [
                f"{_number(scores.get('distance_m'), 0)} m",
                f"{_number(scores.get('percent_predicted'), 0)} % predicted "
                f"({_number(scores.get('predicted_m'), 0)} m)",
                f"LLN {_number(scores.get('lln_m'), 0)} m",
            ]
        )
        return [
            Shown("Distance", line, BELOW_LLN if scores.get("below_lln") else ""),
            Shown("SpO2 fall during the walk", f"{_number(scores.get('spo2_drop_pct'), 0)} %"),
            Shown(
                "Reference population",
                "adults 40–80 years",
                OUTSIDE_POPULATION if scores.get("outside_reference_population") else "",
            ),
            _equation(scores.get("equation")),
        ]
    if code == "moca":
        return [
            Shown(
                "Adjusted score",
                f"{scores.get('adjusted_score')} / 30 (education point {scores.get('education_point')})",
                "below 26: possible cognitive impairment" if scores.get("impaired") else "",
            ),
        ]
    if code in ("phq9", "gad7"):
        maximum = 27 if code == "phq9" else 21
        shown = [
            Shown(
                "Total",
                f"{scores.get('total')} / {maximum} ({str(scores.get('severity')).replace('_', ' ')})",
            )
        ]
        if scores.get("item9_positive"):
            shown.append(Shown("Item 9", "thoughts of death or self-harm", "same-day clinical review"))
        return shown
    if code == "mmrc":
        return [Shown("Grade", f"{scores.get('grade')} — {scores.get('description')}")]
    if code == "rand36":
        return [
            Shown(
                key.replace("_", " ").capitalize(),
                "—" if scores.get(key) is None else f"{_number(scores.get(key), 1)} / 100",
            )
            for key in (*_RAND36_SCALES, "health_change")
        ]
    return [
        Shown(key.replace("_", " ").capitalize(), _plain(value))
        for key, value in scores.items()
        if value is not None
    ]


_RAND36_SCALES = (
    "physical_functioning",
    "role_limitations_physical",
    "role_limitations_emotional",
    "energy_fatigue",
    "emotional_wellbeing",
    "social_functioning",
    "pain",
    "general_health",
)


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).replace("_", " ")
