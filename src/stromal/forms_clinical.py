"""Form fields built from the clinical library's field registry.

A value refused by ``stromal.clinical`` (unit, type, physiological range) is
refused by the web form by the very same rule, shown next to the field in
words with the unit ("PaO2 900 mmHg is outside the accepted range 20–700
mmHg"), from ``stromal.clinical.validation.plain_message``; the CLI's JSON
keeps naming the field key.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from stromal.clinical.validation import (
    WRONG_TYPE,
    ClinicalInputError,
    FieldSpec,
    Kind,
    check_value,
    plain_message,
)

BOOLEAN_CHOICES = (("", "not recorded"), ("true", "yes"), ("false", "no"))


def field_label(spec: FieldSpec) -> str:
    text = spec.description[:1].upper() + spec.description[1:]
    return f"{text} ({spec.unit})" if spec.unit else text


def _refusal(spec: FieldSpec, value: object, code: str = WRONG_TYPE) -> forms.ValidationError:
    message = plain_message(
        spec, ClinicalInputError(spec.name, value, f"must be {spec.rule_text()}", code=code)
    )
    return forms.ValidationError(message, code=code)


class ClinicalField(forms.Field):
    """One observation. Empty means "not measured"; anything else must pass ``check_value``."""

    def __init__(self, spec: FieldSpec, **kwargs: Any) -> None:
        self.spec = spec
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", field_label(spec))
        kwargs.setdefault("help_text", spec.rule_text())
        if spec.kind is Kind.BOOLEAN:
            kwargs.setdefault("widget", forms.Select(choices=BOOLEAN_CHOICES))
        elif spec.kind is Kind.CHOICE:
            choices = [("", "not recorded"), *[(c, c.replace("_", " ")) for c in spec.choices]]
            kwargs.setdefault("widget", forms.Select(choices=choices))
        else:
            attrs = {"inputmode": "decimal", "step": "any"}
            kwargs.setdefault("widget", forms.NumberInput(attrs=attrs))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> float | int | bool | str | None:
        if value in (None, ""):
            return None
        spec = self.spec
        converted: object = value
        if spec.kind is Kind.BOOLEAN and isinstance(value, str):
            lowered = value.strip().lower()
            if lowered not in {"true", "false"}:
                raise _refusal(spec, value)
            converted = lowered == "true"
        elif spec.kind in (Kind.NUMBER, Kind.INTEGER) and isinstance(value, str):
            try:
                converted = float(value.strip().replace(",", "."))
            except ValueError:
                raise _refusal(spec, value) from None
        try:
            return check_value(spec, converted)
        except ClinicalInputError as exc:
            raise forms.ValidationError(plain_message(spec, exc), code=exc.code) from None

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, bool):
            return "true" if value else "false"
        return value


def clinical_fields(specs: list[FieldSpec]) -> dict[str, ClinicalField]:
    return {spec.name: ClinicalField(spec) for spec in specs}


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's refusal next to the field it names (or above the form)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class VersionedForm(forms.Form):
    """Carries the record version the editor opened (optimistic locking)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
