"""The shared form fields (``stromal.forms_clinical``) and that every form of the app uses them."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import pytest
from django import forms
from django.utils import timezone

import stromal
from stromal.accounts.models import User
from stromal.forms_clinical import (
    DB_INT_MAX,
    LocalDateTimeField,
    RecordChoiceField,
    RecordsChoiceField,
    RecordVersionField,
)

OVERSIZED_ID = "1111111111111111111111111"


def _form_classes() -> list[type[forms.BaseForm]]:
    found: dict[str, type[forms.BaseForm]] = {}
    for info in pkgutil.walk_packages(stromal.__path__, "stromal."):
        if not info.name.endswith(".forms"):
            continue
        module = importlib.import_module(info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, forms.BaseForm) and value.__module__.startswith("stromal."):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[k] for k in sorted(found)]


def _declared(kind: type[forms.Field]) -> list[tuple[str, forms.Field]]:
    return [
        (f"{form.__module__}.{form.__qualname__}.{name}", field)
        for form in _form_classes()
        for name, field in form.base_fields.items()
        if isinstance(field, kind)
    ]


def test_the_app_has_forms_to_check() -> None:
    assert len(_form_classes()) > 20


def test_every_record_picker_of_the_app_is_a_shared_record_field() -> None:
    pickers = _declared(forms.ModelChoiceField)
    assert pickers
    wrong = [name for name, f in pickers if not isinstance(f, RecordChoiceField | RecordsChoiceField)]
    assert wrong == []


def test_every_integer_field_of_the_app_has_bounds_inside_a_database_integer() -> None:
    wrong = [
        name
        for name, f in _declared(forms.IntegerField)
        if not isinstance(f, forms.FloatField | forms.DecimalField)
        and (f.max_value is None or f.min_value is None or f.max_value > DB_INT_MAX)  # type: ignore[attr-defined]
    ]
    assert wrong == []


def test_every_date_time_input_of_the_app_is_the_shared_local_field() -> None:
    fields = _declared(forms.DateTimeField)
    assert fields
    assert [name for name, f in fields if not isinstance(f, LocalDateTimeField)] == []


@pytest.mark.django_db
@pytest.mark.parametrize("value", [OVERSIZED_ID, "-" + OVERSIZED_ID, "9223372036854775808"])
def test_a_record_key_beyond_the_database_range_is_select_a_valid_choice(value: str) -> None:
    class Pick(forms.Form):
        one = RecordChoiceField(queryset=User.objects.all(), required=False)
        many = RecordsChoiceField(queryset=User.objects.all(), required=False)

    one = Pick({"one": value})
    assert not one.is_valid()
    assert one.errors["one"] == ["Select a valid choice. That choice is not one of the available choices."]
    many = Pick({"many": [value]})
    assert not many.is_valid()
    assert many.errors["many"] == [f"Select a valid choice. {value} is not one of the available choices."]


@pytest.mark.django_db
def test_a_record_key_inside_the_range_is_still_found(cast: Any) -> None:
    class Pick(forms.Form):
        one = RecordChoiceField(queryset=User.objects.all())
        many = RecordsChoiceField(queryset=User.objects.all())

    form = Pick({"one": str(cast.alice.pk), "many": [str(cast.bob.pk)]})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["one"] == cast.alice
    assert list(form.cleaned_data["many"]) == [cast.bob]


@pytest.mark.parametrize("value", ["0", str(DB_INT_MAX + 1)])
def test_a_record_version_outside_1_to_the_database_maximum_is_refused(value: str) -> None:
    class Versioned(forms.Form):
        version = RecordVersionField()

    assert not Versioned({"version": value}).is_valid()


def test_a_date_time_input_names_the_zone_it_is_read_in() -> None:
    class When(forms.Form):
        at = LocalDateTimeField()

    with timezone.override("Europe/Paris"):
        assert "Local time, Europe/Paris" in When().as_p()
    with timezone.override("America/New_York"):
        assert "Local time, America/New_York" in When().as_p()
