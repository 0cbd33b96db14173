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

#: ``ClinicalInputError.code`` values: what kind of rule was broken.
OUT_OF_RANGE = "out_of_range"
WRONG_TYPE = "wrong_type"
RULE = "rule"


class ClinicalInputError(ValueError):
    """An input value breaks a rule. Names the field, the value and the rule.

    ``code`` says which kind: ``out_of_range`` (a number outside the field's
    accepted range), ``wrong_type`` (not a number, not true/false, not one of
    the choices) or ``rule`` (any other rule, e.g. across fields).
    """

    def __init__(
        self, field: str, value: object, rule: str, suggestion: str | None = None, code: str = RULE
    ) -> None:
        self.field = field
        self.value = value
        self.rule = rule
        self.suggestion = suggestion
        self.code = code
        # The field's description, when the refusal came from ``check_value``;
        # lets ``in_words`` say it with the label and unit a person reads.
        self.spec: FieldSpec | None = None
        message = f"{field}={value!r}: {rule}"
        if suggestion:
            message += f" ({suggestion})"
        super().__init__(message)

    def in_words(self) -> str:
        """The refusal for a page (label, value with unit, rule); the CLI keeps ``str(self)``."""
        return plain_message(self.spec, self) if self.spec is not None else str(self)

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
class Rescaling:
    """A likely slip of unit: ``number x multiply + add`` is the value meant,
    to be entered in field ``target`` (accepted range ``target_minimum`` to
    ``target_maximum``). ``text`` is the hint, with ``{value}`` for the value."""

    target: str
    target_minimum: float
    target_maximum: float
    multiply: float
    text: str
    add: float = 0.0
    decimals: int = 2
    shown_as: str = "g"


@dataclass(frozen=True)
class UnitHint:
    """A hint for an out-of-range number: use ``value`` in ``field`` (both
    None for a hint that suggests no number)."""

    text: str
    field: str | None = None
    value: float | None = None


@dataclass(frozen=True)
class FieldSpec:
    """What one input field accepts.

    ``minimum``/``maximum`` are inclusive physiological (or device) limits:
    values outside them are almost certainly unit or typing errors.
    ``label`` is the short name people read (PaO2, FiO2); it defaults to the
    description. ``rescalings`` are the unit slips this field checks for
    besides the generic ones (see ``unit_hint``).
    """

    name: str
    kind: Kind
    unit: str
    description: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    label: str = ""
    rescalings: tuple[Rescaling, ...] = ()

    def display_label(self) -> str:
        text = self.label or self.description
        return text[:1].upper() + text[1:]

    def rule_text(self) -> str:
        if self.kind is Kind.BOOLEAN:
            return "true or false"
        if self.kind is Kind.CHOICE:
            return "one of " + ", ".join(self.choices)
        span = f"{_fmt(self.minimum)}–{_fmt(self.maximum)}"
        whole = "a whole number " if self.kind is Kind.INTEGER else "a number "
        return f"{whole}in {span} {self.unit}".strip()


@dataclass(frozen=True)
class ReferenceRange:
    """The population a reference equation was derived in, for one input.

    Outside it, a result is kept only with ``flag()`` attached (the
    ``out_of_reference_range`` of an output), or refused; never silent.
    """

    field: str
    minimum: float
    maximum: float
    unit: str
    source: str

    def contains(self, value: float) -> bool:
        return self.minimum <= value <= self.maximum

    def text(self) -> str:
        return f"{_fmt(self.minimum)}–{_fmt(self.maximum)} {self.unit}".strip()

    def flag(self) -> dict[str, object]:
        return {"field": self.field, "range": self.text(), "source": self.source}

    def flag_for(self, value: float) -> dict[str, object] | None:
        """``flag()`` when ``value`` is outside the range, else None."""
        return None if self.contains(value) else self.flag()


def _fmt(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:g}"


def check_value(spec: FieldSpec, value: object) -> float | int | bool | str:
    """Return ``value`` converted to the field's type, or raise ``ClinicalInputError``
    (which carries ``spec``, so a page can say the refusal in words)."""
    try:
        return _check_value(spec, value)
    except ClinicalInputError as exc:
        if exc.spec is None:
            exc.spec = spec
        raise


def _check_value(spec: FieldSpec, value: object) -> float | int | bool | str:
    if spec.kind is Kind.BOOLEAN:
        if isinstance(value, bool):
            return value
        raise ClinicalInputError(spec.name, value, "must be true or false", code=WRONG_TYPE)
    if spec.kind is Kind.CHOICE:
        if isinstance(value, str) and value in spec.choices:
            return value
        raise ClinicalInputError(spec.name, value, "must be " + spec.rule_text(), code=WRONG_TYPE)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ClinicalInputError(spec.name, value, f"must be {spec.rule_text()}", code=WRONG_TYPE)
    number = float(value)
    if not math.isfinite(number):
        raise ClinicalInputError(spec.name, value, "must be a finite number", code=WRONG_TYPE)
    if spec.kind is Kind.INTEGER and not number.is_integer():
        raise ClinicalInputError(spec.name, value, f"must be {spec.rule_text()}", code=WRONG_TYPE)
    if not in_range(spec, number):
        hint = unit_hint(spec, number)
        raise ClinicalInputError(
            spec.name,
            value,
            f"must be {spec.rule_text()}",
            suggestion=None if hint is None else hint.text,
            code=OUT_OF_RANGE,
        )
    return int(number) if spec.kind is Kind.INTEGER else number


def in_range(spec: FieldSpec, number: float) -> bool:
    """True when ``number`` is inside the field's inclusive accepted range."""
    low = spec.minimum if spec.minimum is not None else -math.inf
    high = spec.maximum if spec.maximum is not None else math.inf
    return low <= number <= high


def _generic_rescalings(spec: FieldSpec) -> tuple[Rescaling, ...]:
    """The unit slips every field of a kind is checked for (percent for a
    fraction, fraction for a percent, °F for °C, metres for centimetres)."""
    if spec.minimum is None or spec.maximum is None:
        return ()

    low, high = spec.minimum, spec.maximum
    if spec.unit == "fraction":
        text = "did you mean {value}? FiO2 is a fraction, not a percentage"
        return (Rescaling(spec.name, low, high, 0.01, text, shown_as=".2f"),)
    if spec.unit == "%":
        return (
            Rescaling(
                spec.name, low, high, 100.0, "did you mean {value}? this field is a percentage", decimals=1
            ),
        )
    if spec.unit == "°C":
        text = "did you mean {value} °C? this field is in degrees Celsius"
        return (Rescaling(spec.name, low, high, 1 / 1.8, text, add=-32 / 1.8, decimals=1, shown_as=".1f"),)
    if spec.unit == "cm":
        text = "did you mean {value} cm? this field is in centimetres"
        return (Rescaling(spec.name, low, high, 100.0, text, decimals=1),)
    return ()


def unit_hint(spec: FieldSpec, number: float) -> UnitHint | None:
    """The hint for an out-of-range ``number``: the one place hints are made.

    A rescaled value is suggested only when it lands inside the range of the
    field it is suggested for (``"fio2": 5`` suggests nothing, since 0.05 is
    below 0.21; ``"fio2": 40`` suggests 0.40). A negative value for a
    quantity that cannot be negative gets a hint without a number.
    """
    for rescaling in (*spec.rescalings, *_generic_rescalings(spec)):
        value = round(number * rescaling.multiply + rescaling.add, rescaling.decimals)
        if rescaling.target_minimum <= value <= rescaling.target_maximum:
            shown = format(value, rescaling.shown_as)
            return UnitHint(rescaling.text.format(value=shown), rescaling.target, value)
    if number < 0 and spec.minimum is not None and spec.minimum >= 0:
        return UnitHint("negative values are impossible for this quantity")
    return None


def _number_text(value: float) -> str:
    return f"{value:g}"


def plain_message(spec: FieldSpec, error: ClinicalInputError) -> str:
    """The refusal in words for a person, with the unit (the web forms' message).

    ``PaO2 900 mmHg is outside the accepted range 20–700 mmHg``; the CLI's
    JSON keeps the field key instead (``ClinicalInputError.as_dict``).
    """
    label = spec.display_label()
    unit = "" if spec.unit in ("", "fraction") else f" {spec.unit}"
    if error.code == OUT_OF_RANGE and isinstance(error.value, int | float):
        span = f"{_fmt(spec.minimum)}–{_fmt(spec.maximum)}{unit}"
        if spec.unit == "fraction":
            span += " (a fraction, not %)"
        text = f"{label} {_number_text(float(error.value))}{unit} is outside the accepted range {span}"
    elif error.code == WRONG_TYPE:
        text = f"{label}: enter {spec.rule_text()}"
    else:
        text = f"{label}: {error.rule}"
    if error.suggestion:
        text += f" — {error.suggestion}"
    return text
