from __future__ import annotations

from typing import Any

from django import forms

from stromal import display
from stromal.accounts.models import User
from stromal.accounts.roles import Role
from stromal.forms_clinical import LocalDateTimeField, RecordsChoiceField, VersionedForm
from stromal.patients.models import RelatedPerson
from stromal.plans.models import CONVENTIONAL_OPTION, Decision, TreatmentPlan
from stromal.products.models import ProductType


class OverrideForm(forms.Form):
    reason = forms.CharField(label="Reason for the override", widget=forms.Textarea(attrs={"rows": 3}))


class DraftForm(forms.Form):
    arm_name = forms.ChoiceField(label="Arm")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, arms: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["arm_name"].choices = arms  # type: ignore[attr-defined]


class PlanEditForm(VersionedForm):
    arm_name = forms.ChoiceField(label="Arm")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(
        label="Reason for the change (signatures will be voided)", widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, arms: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["arm_name"].choices = arms  # type: ignore[attr-defined]


class PlanReviseForm(VersionedForm):
    arm_name = forms.ChoiceField(label="Arm from now on")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(
        label="Reason for the revision (shown with the plan; two physicians must sign it)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, arms: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["arm_name"].choices = arms  # type: ignore[attr-defined]


class SignForm(VersionedForm):
    # Both parts of the signer's credentials, re-entered for each signature (21 CFR 11.200(a)(1)).
    username = forms.CharField(
        label="Your username",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password = forms.CharField(
        label="Re-enter your password to sign",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class MeetingForm(forms.Form):
    held_at = LocalDateTimeField()
    patient_present = forms.BooleanField(required=False, initial=True)
    physicians = RecordsChoiceField(queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple)
    family_members = RecordsChoiceField(
        queryset=RelatedPerson.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    options_discussed = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, plan: TreatmentPlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        patient = plan.patient
        self.fields["physicians"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            site_id=patient.site_id, role=Role.PHYSICIAN, is_active=True
        )
        self.fields["physicians"].label_from_instance = lambda user: user.display_name()  # type: ignore[attr-defined]
        self.fields["family_members"].queryset = patient.related_persons.all()  # type: ignore[attr-defined]
        arm_defs = [a for a in plan.protocol_version.to_protocol().arms if not a.is_control]
        arms = [a.name for a in arm_defs]
        self.fields["options_discussed"].choices = [  # type: ignore[attr-defined]
            *[(a.name, display.arm_label(a, ProductType.choices)) for a in arm_defs],
            (CONVENTIONAL_OPTION, "conventional treatment only"),
        ]
        self.fields["options_discussed"].initial = [*arms, CONVENTIONAL_OPTION]


class ConsentForm(forms.Form):
    given_by = forms.CharField(label="Consent given by", max_length=200)
    given_by_relationship = forms.CharField(
        label="Relationship to the patient", max_length=60, initial="self"
    )
    given_at = LocalDateTimeField()
    witness_name = forms.CharField(max_length=200)
    information_sheet_version = forms.CharField(max_length=40)
    reason = forms.CharField(
        required=False,
        label="Reason for the re-consent",
        help_text="Needed when a consent is already recorded on this plan; the earlier consent stays on record.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.RadioSelect)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class WithdrawForm(VersionedForm):
    reason = forms.CharField(
        label="Reason for withdrawing the plan", widget=forms.Textarea(attrs={"rows": 2})
    )
