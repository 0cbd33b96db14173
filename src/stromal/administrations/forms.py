from __future__ import annotations

from typing import Any

from django import forms

from stromal.administrations.models import ActionTaken, Outcome, Relatedness, Seriousness
from stromal.administrations.vitals import BASELINE_KEYS, EVENT_SPECS, VITAL_SPECS
from stromal.forms_clinical import ClinicalField
from stromal.products.models import ProductLot


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class AllocateForm(VersionForm):
    lot = forms.ModelChoiceField(queryset=ProductLot.objects.none(), label="Released unit")

    def __init__(self, *args: Any, lots: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if lots is not None:
            self.fields["lot"].queryset = lots  # type: ignore[attr-defined]


class IdentityCheckForm(VersionForm):
    patient_identifier = forms.CharField(
        max_length=60, label="Patient identifier (scan the wristband or type the MRN)"
    )
    product_identifier = forms.CharField(
        max_length=60, label="Product identifier (scan the bag or type the DIN with its check character)"
    )


class _ClinicalForm(forms.Form):
    specs: tuple[Any, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for spec in self.specs:
            self.fields[spec.name] = ClinicalField(spec)

    def values(self) -> dict[str, Any]:
        return {
            s.name: self.cleaned_data.get(s.name)
            for s in self.specs
            if self.cleaned_data.get(s.name) is not None
        }


class BaselineForm(VersionForm, _ClinicalForm):
    specs = tuple(
        s for s in VITAL_SPECS if s.name in BASELINE_KEYS or s.name in {"spo2_pct", "heart_rate_bpm"}
    )


class VitalsForm(_ClinicalForm):
    specs = VITAL_SPECS + EVENT_SPECS
    scheduled_minute = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ReasonForm(VersionForm):
    reason = forms.CharField(max_length=500, label="Reason")


class GivenForm(VersionForm):
    volume_given_ml = forms.FloatField(min_value=0, max_value=1000, label="Volume given (mL)")
    cells_given = forms.FloatField(min_value=0, max_value=1e11, required=False, label="Cells given")
    particles_given = forms.FloatField(min_value=0, max_value=1e15, required=False, label="Particles given")


class ConfirmStopForm(VersionForm):
    note = forms.CharField(max_length=500, required=False, label="Physician's note")


class AdverseEventReportForm(forms.Form):
    term = forms.CharField(max_length=200, label="Event (term)")
    onset_at = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), label="Onset"
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class AdverseEventGradeForm(VersionForm):
    ctcae_grade = forms.TypedChoiceField(
        coerce=int,
        choices=[
            (1, "1 mild"),
            (2, "2 moderate"),
            (3, "3 severe"),
            (4, "4 life-threatening"),
            (5, "5 death"),
        ],
        label="CTCAE v5.0 grade",
    )
    serious = forms.BooleanField(required=False, label="Serious (ICH E2A)")
    seriousness_criteria = forms.MultipleChoiceField(
        choices=Seriousness.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    relatedness = forms.ChoiceField(choices=Relatedness.choices, label="Relatedness to the product")
    outcome = forms.ChoiceField(choices=Outcome.choices)
    action_taken = forms.ChoiceField(choices=ActionTaken.choices)
    reason = forms.CharField(max_length=500, required=False, label="Reason for change (if regrading)")
