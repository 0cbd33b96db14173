from __future__ import annotations

from django import forms

from stromal.forms_clinical import VersionedForm
from stromal.patients.models import HEIGHT_CM_MAX, HEIGHT_CM_MIN, SEX_CHOICES
from stromal.patients.services import CONFIRM_DUPLICATE_FIELD

CONFIRM_DUPLICATE_LABEL = "This is a different person with the same name and date of birth: register anyway"


def confirm_duplicate_field() -> forms.BooleanField:
    """Hidden until the service reports a possible duplicate (``show_duplicate_confirmation``)."""
    return forms.BooleanField(required=False, label=CONFIRM_DUPLICATE_LABEL, widget=forms.HiddenInput)


def show_duplicate_confirmation(form: forms.BaseForm) -> None:
    """After a possible-duplicate refusal, show the tick box that confirms a different person."""
    form.fields[CONFIRM_DUPLICATE_FIELD].widget = forms.CheckboxInput()


class PatientForm(forms.Form):
    mrn = forms.CharField(label="Medical record number", max_length=40)
    given_name = forms.CharField(max_length=100)
    family_name = forms.CharField(max_length=100)
    sex = forms.ChoiceField(choices=SEX_CHOICES)
    date_of_birth = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    height_cm = forms.FloatField(
        label="Height (cm)", required=False, min_value=HEIGHT_CM_MIN, max_value=HEIGHT_CM_MAX
    )
    email = forms.EmailField(required=False)
    phone = forms.CharField(max_length=40, required=False)
    confirm_duplicate = confirm_duplicate_field()


class PatientEditForm(VersionedForm):
    given_name = forms.CharField(max_length=100)
    family_name = forms.CharField(max_length=100)
    sex = forms.ChoiceField(choices=SEX_CHOICES)
    date_of_birth = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    height_cm = forms.FloatField(
        label="Height (cm)", required=False, min_value=HEIGHT_CM_MIN, max_value=HEIGHT_CM_MAX
    )
    email = forms.EmailField(required=False)
    phone = forms.CharField(max_length=40, required=False)
    reason = forms.CharField(label="Reason for the change", widget=forms.Textarea(attrs={"rows": 2}))


class RelatedPersonForm(forms.Form):
    name = forms.CharField(max_length=200)
    relationship = forms.CharField(max_length=60)
    contact = forms.CharField(max_length=200, required=False)
    joins_decisions = forms.BooleanField(required=False, initial=True, label="Joins treatment decisions")
