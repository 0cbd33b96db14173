"""Form fields built from the clinical library's field registry, and the shared fields every form uses.

A value refused by ``stromal.clinical`` (unit, type, physiological range) is
refused by the web form by the very same rule, shown next to the field in
words with the unit ("PaO2 900 mmHg is outside the accepted range 20–700
mmHg"), from ``stromal.clinical.validation.plain_message``; the CLI's JSON
keeps naming the field key.

Shared fields, so that a class of input is handled in one place (issue #8):

- ``RecordChoiceField`` / ``RecordsChoiceField``: picking a record by its
  primary key. A number beyond the database's integer range ("1111111111111111111111111")
  is "Select a valid choice" next to the field, never a 500 (SQLite's
  ``OverflowError``, PostgreSQL's ``DataError`` on an ``IN`` lookup).
- ``RecordVersionField``: the hidden record version of optimistic locking,
  1 to ``DB_INT_MAX``.
- ``LocalDateTimeField``: a ``datetime-local`` input whose help text names
  the zone a typed time is read in ("Local time, Europe/Paris",
  ``accounts.zones.zone_help``). Its value is rendered ISO
  (``YYYY-MM-DDTHH:MM``), as are ``type="date"`` inputs, through the project
  format module ``stromal.formats`` (``settings.FORMAT_MODULE_PATH``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import lazy

from stromal.accounts.zones import zone_help
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


#: The largest record version (``PositiveIntegerField``: a PostgreSQL ``integer``).
DB_INT_MAX = 2**31 - 1


def _outside_key_range(queryset: QuerySet[Any] | None, value: object) -> bool:
    """Whether ``value`` is a whole number that the queryset's primary key column cannot hold."""
    if queryset is None:
        return False
    try:
        number = int(str(value).strip())
    except ValueError:
        return False  # not a number: the field's own lookup refuses it
    pk = queryset.model._meta.pk
    assert pk is not None
    low, high = connections[queryset.db].ops.integer_field_range(pk.get_internal_type())
    return (low is not None and number < low) or (high is not None and number > high)


class RecordChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """One record, by primary key; a key beyond the database's range is "Select a valid choice"."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and _outside_key_range(self.queryset, value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class RecordsChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """Several records, by primary key; a key beyond the database's range is "Select a valid choice"."""

    def _check_values(self, value: Iterable[Any]) -> QuerySet[Any]:
        for item in value:
            if _outside_key_range(self.queryset, item):
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": item}
                )
        checked: QuerySet[Any] = super()._check_values(value)  # type: ignore[misc]
        return checked


class RecordVersionField(forms.IntegerField):
    """The hidden record version the editor opened (optimistic locking): 1 to ``DB_INT_MAX``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.HiddenInput)
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", DB_INT_MAX)
        super().__init__(**kwargs)


#: The zone hint, computed when a page renders (the zone active for that request).
_zone_help_lazy = lazy(zone_help, str)


class LocalDateTimeInput(forms.DateTimeInput):
    """``<input type="datetime-local">``; its value is ``YYYY-MM-DDTHH:MM`` (``stromal.formats``)."""

    input_type = "datetime-local"


class LocalDateTimeField(forms.DateTimeField):
    """A date-time typed in the site's zone; the help text names that zone."""

    widget = LocalDateTimeInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", _zone_help_lazy())
        super().__init__(**kwargs)


class VersionedForm(forms.Form):
    """Carries the record version the editor opened (optimistic locking)."""

    version = RecordVersionField()
