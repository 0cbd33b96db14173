"""Date and date-time inputs carry ISO values (``stromal.formats``), the only ones browsers read.

With en-gb's first input format a bound date of birth was written
``value="31/01/1986"``: the browser showed an empty field and Save was blocked.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django import forms
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.followup.test_amendments import _recorded_d28
from tests.pathway.factories import make_patient
from tests.test_forms_clinical import _declared

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DATE_OF_BIRTH = dt.date(1986, 1, 31)


def _value_of(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no input {name}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    assert value, f"input {name} has no value: {match.group(0)}"
    return value.group(1)


def test_every_date_input_of_the_app_renders_a_bound_date_as_yyyy_mm_dd() -> None:
    fields = _declared(forms.DateField)
    assert len(fields) >= 5
    for name, field in fields:
        html = field.widget.render("when", field.prepare_value(DATE_OF_BIRTH))
        assert _value_of(html, "when") == "1986-01-31", name


def test_every_date_time_input_of_the_app_renders_a_bound_time_as_yyyy_mm_ddthh_mm() -> None:
    fields = _declared(forms.DateTimeField)
    assert len(fields) >= 5
    when = timezone.make_aware(dt.datetime(1986, 1, 31, 7, 5), dt.UTC)
    with timezone.override("Europe/Paris"):
        for name, field in fields:
            html = field.widget.render("when", field.prepare_value(when))
            assert 'type="datetime-local"' in html, name
            assert _value_of(html, "when") == "1986-01-31T08:05", name


def test_a_date_typed_the_en_gb_way_is_still_read() -> None:
    (_, field), *_ = _declared(forms.DateField)
    assert field.clean("31/01/1986") == DATE_OF_BIRTH


@pytest.mark.django_db
def test_the_patient_edit_page_shows_the_date_of_birth_as_iso(client: Client, cast: Any) -> None:
    patient = make_patient(cast.cora, date_of_birth=DATE_OF_BIRTH)
    client.force_login(cast.cora)
    html = client.get(reverse("patients:edit", kwargs={"pk": patient.pk})).content.decode()
    assert _value_of(html, "date_of_birth") == "1986-01-31"


@pytest.mark.django_db
def test_the_visit_amend_page_shows_the_visit_date_as_iso(client: Client, cast: Any) -> None:
    visit = _recorded_d28(cast)
    client.force_login(cast.cora)
    html = client.get(reverse("followup:amend", kwargs={"pk": visit.pk})).content.decode()
    value = _value_of(html, "completed_on")
    assert ISO_DATE.fullmatch(value) and value == visit.completed_on.isoformat()
