"""Forms of the bedside pages.

Every integer field has bounds that fit its database column and its rule
(issue #8, class 8): a record version is 1 to ``forms_clinical.DB_INT_MAX`` (a PostgreSQL
``integer``), a vitals time point is one of the protocol's minutes, a CTCAE
grade one of 1-5; anything else is refused next to the field, never a 500.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from stromal.administrations.models import ActionTaken, Outcome, Relatedness, Seriousness
from stromal.administrations.vitals import BASELINE_SPECS, EVENT_SPECS, VITAL_SPECS
from stromal.forms_clinical import ClinicalField, LocalDateTimeField, RecordChoiceField, RecordVersionField
from stromal.products.models import ProductLot

TIME_POINT_INVALID = "Choose one of this protocol's vitals time points ({minutes} min), or none."


class VersionForm(forms.Form):
    version = RecordVersionField()


class AllocateForm(VersionForm):
    lot = RecordChoiceField(queryset=ProductLot.objects.none(), label="Released unit")

    def __init__(self, *args: Any, lots: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if lots is not None:
            self.fields["lot"].queryset = lots  # type: ignore[attr-defined]


class IdentityCheckForm(VersionForm):
    patient_identifier = forms.CharField(
        max_length=60, label="Patient identifier (scan or type what is on the wristband)"
    )
    product_identifier = forms.CharField(
        max_length=60, label="Product identifier (scan or type what is on the bag, with its check character)"
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
    specs = BASELINE_SPECS


class VitalsForm(_ClinicalForm):
    specs = VITAL_SPECS + EVENT_SPECS

    def __init__(self, *args: Any, minutes: Sequence[int] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        shown = ", ".join(str(m) for m in minutes) or "none"
        self.fields["scheduled_minute"] = forms.TypedChoiceField(
            choices=[("", "not a scheduled time point"), *[(m, f"{m} min") for m in minutes]],
            coerce=int,
            empty_value=None,
            required=False,
            label="Scheduled time point",
            error_messages={"invalid_choice": TIME_POINT_INVALID.format(minutes=shown)},
        )
        self.fields["taken_at"] = LocalDateTimeField(required=False, label="Taken at (empty: now)")
        # The time point and the time first, then the values.
        self.order_fields(["scheduled_minute", "taken_at"])


class ReasonForm(VersionForm):
    reason = forms.CharField(max_length=500, label="Reason")


class _AmountFields(VersionForm):
    volume_given_ml = forms.FloatField(min_value=0, max_value=1000, label="Volume given (mL)")
    cells_given = forms.FloatField(min_value=0, max_value=1e11, required=False, label="Cells given")
    particles_given = forms.FloatField(min_value=0, max_value=1e15, required=False, label="Particles given")


class GivenForm(_AmountFields):
    ended_at = LocalDateTimeField(required=False, label="Ended at (empty: now)")
    early_stop_reason = forms.CharField(
        max_length=500,
        required=False,
        label="Reason for stopping early (needed when shorter than the protocol's minimum)",
    )


class GivenCorrectionForm(_AmountFields):
    reason = forms.CharField(max_length=500, label="Reason for correcting the amount given")


class ConfirmStopForm(VersionForm):
    note = forms.CharField(max_length=500, required=False, label="Physician's note")


class OffScheduleForm(VersionForm):
    reason = forms.CharField(
        max_length=500, label="Reason for giving this administration outside its scheduled day"
    )


class AdverseEventReportForm(forms.Form):
    term = forms.CharField(max_length=200, label="Event (term)")
    onset_at = LocalDateTimeField(label="Onset")
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
    reason = forms.CharField(
        max_length=500, required=False, label="Reason for the change (needed when regrading)"
    )
