from __future__ import annotations

from typing import Any

from django import forms

from stromal.accounts.models import Site
from stromal.forms_clinical import LocalDateTimeField, RecordChoiceField, VersionedForm
from stromal.intake.models import (
    CONDITION_MAX_CHARS,
    CONTACT_OTHER_MAX_CHARS,
    EMAIL_MAX_CHARS,
    NAME_MAX_CHARS,
    PHONE_MAX_CHARS,
    ContactMethod,
    RequestStatus,
)
from stromal.patients.forms import confirm_duplicate_field
from stromal.patients.models import SEX_CHOICES

HONEYPOT_MAX_CHARS = 200


class PublicRequestForm(forms.Form):
    """Every field has a length limit (``intake.models``): the public form is open to anyone."""

    full_name = forms.CharField(label="Your name", max_length=NAME_MAX_CHARS)
    contact_method = forms.ChoiceField(
        label="How should we contact you?", choices=ContactMethod.choices, widget=forms.RadioSelect
    )
    email = forms.EmailField(label="E-mail", max_length=EMAIL_MAX_CHARS, required=False)
    phone = forms.CharField(label="Phone", max_length=PHONE_MAX_CHARS, required=False)
    contact_other = forms.CharField(
        label="Another way to reach you", max_length=CONTACT_OTHER_MAX_CHARS, required=False
    )
    condition = forms.CharField(
        label="Your condition, in your words",
        max_length=CONDITION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    # Honeypot for bots. The template draws it off-screen, out of the Tab order
    # (tabindex=-1), hidden from screen readers (aria-hidden) and from autofill
    # (autocomplete=off), always empty. Filled in, the service refuses the request
    # with a message saying so (never a silent drop).
    website = forms.CharField(required=False, max_length=HONEYPOT_MAX_CHARS, label="Leave this field empty")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sites = Site.objects.all()
        if sites.count() > 1:
            self.fields["site"] = RecordChoiceField(queryset=sites, label="Clinic", empty_label=None)


class TriageForm(VersionedForm):
    to_status = forms.ChoiceField(
        label="Move to",
        choices=[
            (s.value, s.label) for s in RequestStatus if s not in (RequestStatus.NEW, RequestStatus.CONVERTED)
        ],
    )
    reason = forms.CharField(
        label="Reason (required to decline)", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    notes = forms.CharField(label="Triage notes", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    scheduled_for = LocalDateTimeField(label="Examination appointment", required=False)


class ConvertForm(VersionedForm):
    mrn = forms.CharField(label="Medical record number", max_length=40)
    given_name = forms.CharField(max_length=100)
    family_name = forms.CharField(max_length=100)
    sex = forms.ChoiceField(choices=SEX_CHOICES)
    date_of_birth = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    height_cm = forms.FloatField(label="Height (cm)", required=False, min_value=100, max_value=250)
    examination_at = LocalDateTimeField(label="Day 1 examination")
    confirm_duplicate = confirm_duplicate_field()  # shown after a possible-duplicate warning


class RescheduleForm(VersionedForm):
    new_time = LocalDateTimeField(label="New examination appointment")
    reschedule_reason = forms.CharField(
        label="Reason for moving the appointment", max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
