"""Forms of the monitoring screens."""

from __future__ import annotations

from django import forms

from stromal.forms_clinical import RecordVersionField
from stromal.monitoring.services import MAX_TEXT


def _text(label: str) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2, "maxlength": MAX_TEXT})
    )


class RecordForm(forms.Form):
    object_type = forms.CharField(max_length=100, widget=forms.HiddenInput)
    object_id = forms.CharField(max_length=64, widget=forms.HiddenInput)


class QueryOpenForm(RecordForm):
    field = forms.CharField(max_length=100, required=False, label="Field (optional)")
    text = _text("Query")


class QueryStepForm(forms.Form):
    version = RecordVersionField()
    text = _text("Text")


class CasebookSignForm(forms.Form):
    username = forms.CharField(max_length=150, label="Username")
    password = forms.CharField(max_length=200, widget=forms.PasswordInput, label="Password")


class UnlockForm(forms.Form):
    reason = _text("Reason for unlocking")
