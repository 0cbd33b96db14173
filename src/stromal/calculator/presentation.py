"""Turn the ``assess`` result into what the calculator page shows: each
assessment with its headline, the criteria that drove it and its source."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stromal.clinical.observations import FIELDS

# Output key -> (title, unit) for the single numbers.
_INDICES: tuple[tuple[str, str, str], ...] = (
    ("pf_ratio", "P/F ratio", "mmHg"),
    ("sf_ratio", "S/F ratio", ""),
    ("oxygenation_index", "Oxygenation index", "cmH2O/mmHg × 100"),
    ("predicted_body_weight_kg", "Predicted body weight", "kg"),
)
_TITLES = {
    "berlin": "Berlin definition (2012)",
    "global_definition": "Global definition of ARDS (2023)",
    "murray": "Murray lung injury score",
    "sofa": "SOFA score",
    "covid_cs": "COVID-19 cytokine storm (COVID-CS)",
    "hscore": "HScore (haemophagocytic syndrome)",
    "six_minute_walk": "Six-minute walk",
}
# Definitions (Berlin, Global) are headed by their one-line ``summary``.
_HEADLINE_KEYS = (
    "summary",
    "meets",
    "score",
    "total",
    "probability_pct",
    "predicted_m",
    "percent_predicted",
)
# The words of an observed value's parts (the Global definition's oxygenation).
_OBSERVED_NAMES = {"pf_ratio": "P/F", "sf_ratio": "S/F"}


@dataclass
class Card:
    key: str
    title: str
    headline: list[tuple[str, Any]]
    criteria: list[Mapping[str, Any]] = field(default_factory=list)
    components: list[tuple[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    source: str = ""
    computable: bool = True
    reason: str = ""
    note: str = ""


@dataclass
class Presentation:
    indices: list[tuple[str, Any, str, str]]  # title, value, unit, reason when missing
    cards: list[Card]
    rules_version: str


def _fmt_components(components: Any) -> list[tuple[str, Any]]:
    if isinstance(components, Mapping):
        return [(str(k).replace("_", " "), v) for k, v in components.items()]
    return []


def _words(code: str) -> str:
    """An observation key in words (``alt_u_l`` -> ``ALT``), else the code without underscores."""
    spec = FIELDS.get(code)
    return spec.display_label() if spec is not None else code.replace("_", " ")


def observed_text(value: Any) -> str:
    """An observed value as a person reads it: never a raw dict, list or code."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        parts = [
            f"{_OBSERVED_NAMES.get(k, _words(str(k)))} {observed_text(v) or 'not given'}"
            for k, v in value.items()
        ]
        return "; ".join(parts)
    if isinstance(value, list | tuple):
        return ", ".join(_words(str(v)) if isinstance(v, str) else observed_text(v) for v in value) or "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).replace("_", " ")


def _criteria(value: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [{**c, "observed": observed_text(c.get("observed"))} for c in value.get("criteria") or []]


def _sofa_note(value: Mapping[str, Any]) -> str:
    """Partial SOFA: which organ systems were scored and which were not (and why)."""
    if value.get("complete", True) or value.get("total") is None:
        return ""
    scored = ", ".join(value.get("components") or {}) or "none"
    reasons: Mapping[str, Any] = value.get("missing_reasons") or {}
    not_scored = "; ".join(f"{k} ({v})" for k, v in reasons.items())
    return f"Partial total: scored {scored}; not scored: {not_scored}."


def _headline(key: str, value: Mapping[str, Any]) -> list[tuple[str, Any]]:
    keys = [k for k in _HEADLINE_KEYS if k in value]
    if "summary" in keys:
        keys.remove("meets")  # the summary says it in words
    headline = [("" if k == "summary" else k.replace("_", " "), value[k]) for k in keys]
    if key == "sofa" and not value.get("complete", True):
        headline = [("partial total" if name == "total" else name, v) for name, v in headline]
    return headline


def present(result: Mapping[str, Any]) -> Presentation:
    reasons: Mapping[str, Any] = result.get("missing") or {}
    indices = [
        (title, result.get(key), unit, "" if result.get(key) is not None else str(reasons.get(key, "")))
        for key, title, unit in _INDICES
    ]
    cards = []
    for key, title in _TITLES.items():
        value = result.get(key)
        if not isinstance(value, Mapping):
            cards.append(
                Card(key, title, [], computable=False, reason=str(reasons.get(key, "not computable")))
            )
            continue
        missing = value.get("missing")
        cards.append(
            Card(
                key=key,
                title=title,
                headline=_headline(key, value),
                criteria=_criteria(value),
                components=_fmt_components(value.get("components")),
                missing=[str(m).replace("_", " ") for m in missing] if isinstance(missing, list) else [],
                source=str(value.get("source", "")),
                note=_sofa_note(value) if key == "sofa" else "",
            )
        )
    return Presentation(indices=indices, cards=cards, rules_version=str(result.get("rules_version", "")))
