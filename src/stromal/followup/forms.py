from __future__ import annotations

from django import forms

from stromal.clinical.observations import FIELDS
from stromal.forms_clinical import ClinicalField, LocalDateTimeField, RecordVersionField


class DischargeForm(forms.Form):
    discharged_at = LocalDateTimeField()
    examination_findings = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label="Discharge examination"
    )
    spo2_pct = ClinicalField(FIELDS["spo2_pct"])
    respiratory_rate_per_min = forms.FloatField(
        min_value=4, max_value=80, required=False, label="Respiratory rate (/min)"
    )
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Discharge summary")
    recommendations = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class VisitCompleteForm(forms.Form):
    version = RecordVersionField()
    completed_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Visit date")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class VisitMissedForm(forms.Form):
    version = RecordVersionField()
    reason = forms.CharField(max_length=500, label="Why was the visit missed?")


class VisitAmendForm(forms.Form):
    version = RecordVersionField()
    completed_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), label="Visit date", required=False
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Notes")
    reason = forms.CharField(max_length=500, label="Reason for the correction (kept in the visit's history)")
