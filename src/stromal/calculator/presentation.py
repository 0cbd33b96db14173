"""Turn the ``assess`` result into what the calculator page shows: each
assessment with its headline, the criteria that drove it and its source."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
_HEADLINE_KEYS = (
    "meets",
    "category",
    "severity",
    "score",
    "total",
    "probability_pct",
    "predicted_m",
    "percent_predicted",
)


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


@dataclass
class Presentation:
    indices: list[tuple[str, Any, str, str]]  # title, value, unit, reason when missing
    cards: list[Card]
    rules_version: str


def _fmt_components(components: Any) -> list[tuple[str, Any]]:
    if isinstance(components, Mapping):
        return [(str(k).replace("_", " "), v) for k, v in components.items()]
    return []


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
        headline = [(k.replace("_", " "), value[k]) for k in _HEADLINE_KEYS if k in value]
        missing = value.get("missing")
        cards.append(
            Card(
                key=key,
                title=title,
                headline=headline,
                criteria=list(value.get("criteria") or []),
                components=_fmt_components(value.get("components")),
                missing=[str(m) for m in missing] if isinstance(missing, list) else [],
                source=str(value.get("source", "")),
            )
        )
    return Presentation(indices=indices, cards=cards, rules_version=str(result.get("rules_version", "")))
