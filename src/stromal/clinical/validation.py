"""Validation of clinical inputs: units, types and physiological ranges.

One registry (``stromal.clinical.observations.FIELDS``) describes every
observation the clinical library accepts; the ``stromal assess`` CLI, the web
forms and the in-silico engine all validate through it, so a value refused
at the bedside is refused everywhere with the same message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum


class ClinicalInputError(ValueError):
    """An input value breaks a rule. Names the field, the value and the rule."""

    def __init__(self, field: str, value: object, rule: str, suggestion: str | None = None) -> None:
        self.field = field
        self.value = value
        self.rule = rule
        self.suggestion = suggestion
        message = f"{field}={value!r}: {rule}"
        if suggestion:
            message += f" ({suggestion})"
        super().__init__(message)

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"field": self.field, "value": self.value, "rule": self.rule}
        if self.suggestion:
            out["suggestion"] = self.suggestion
        return out


class Kind(StrEnum):
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    CHOICE = "choice"


@dataclass(frozen=True)
class FieldSpec:
    """What one input field accepts.

    ``minimum``/``maximum`` are inclusive physiological (or device) limits:
    values outside them are almost certainly unit or typing errors.
    """

    name: str
    kind: Kind
    unit: str
    description: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()

    def rule_text(self) -> str:
        if self.kind is Kind.BOOLEAN:
            return "true or false"
        if self.kind is Kind.CHOICE:
            return "one of " + ", ".join(self.choices)
        span = f"{_fmt(self.minimum)}–{_fmt(self.maximum)}"
        whole = "a whole number " if self.kind is Kind.INTEGER else "a number "
        return f"{whole}in {span} {self.unit}".strip()


def _fmt(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:g}"


def check_value(spec: FieldSpec, value: object) -> float | int | bool | str:
    """Return ``value`` converted to the field's type, or raise ``ClinicalInputError``."""
    if spec.kind is Kind.BOOLEAN:
        if isinstance(value, bool):
            return value
        raise ClinicalInputError(spec.name, value, "must be true or false")
    if spec.kind is Kind.CHOICE:
        if isinstance(value, str) and value in spec.choices:
            return value
        raise ClinicalInputError(spec.name, value, "must be " + spec.rule_text())
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ClinicalInputError(spec.name, value, f"must be {spec.rule_text()}")
    number = float(value)
    if not math.isfinite(number):
        raise ClinicalInputError(spec.name, value, "must be a finite number")
    if spec.kind is Kind.INTEGER and not number.is_integer():
        raise ClinicalInputError(spec.name, value, f"must be {spec.rule_text()}")
    low = spec.minimum if spec.minimum is not None else -math.inf
    high = spec.maximum if spec.maximum is not None else math.inf
    if not low <= number <= high:
        raise ClinicalInputError(
            spec.name,
            value,
            f"must be {spec.rule_text()}",
            suggestion=_unit_hint(spec, number),
        )
    return int(number) if spec.kind is Kind.INTEGER else number


def _unit_hint(spec: FieldSpec, number: float) -> str | None:
    """A likely fix when the value looks like the right quantity in the wrong unit."""
    if spec.unit == "fraction" and 1 < number <= 100:
        return f"did you mean {number / 100:.2f}? FiO2 is a fraction, not a percentage"
    if spec.unit == "%" and 0 < number <= 1:
        return f"did you mean {number * 100:g}? this field is a percentage"
    if spec.name == "temperature_c" and 86 <= number <= 113:
        return f"did you mean {(number - 32) / 1.8:.1f} °C? this field is in degrees Celsius"
    if spec.name == "height_cm" and 1.0 <= number <= 2.5:
        return f"did you mean {number * 100:g} cm? height is in centimetres"
    if number < 0:
        return "negative values are impossible for this quantity"
    return None
