from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from stromal.forms_clinical import LocalDateTimeField, RecordVersionField
from stromal.products.isbt128 import IdentifierError, parse_din, validate_product_code
from stromal.products.models import Mycoplasma, ProductType, Sterility


class LotReceiveForm(forms.Form):
    din_text = forms.CharField(
        label="Donation identification number (with check character)",
        max_length=30,
        help_text="e.g. G1234 98 654321 H, or scan the bar code",
    )
    product_code = forms.CharField(max_length=12, help_text="ISBT 128 product code, e.g. S1234")
    product_type = forms.ChoiceField(choices=ProductType.choices)
    donor_code = forms.CharField(max_length=40, label="Donor code (pseudonymous)")
    passage = forms.IntegerField(min_value=0, max_value=20, required=False)
    volume_ml = forms.FloatField(min_value=0.1, max_value=1000, label="Volume (mL)")
    expires_at = LocalDateTimeField(label="Expiry (date and time)")
    expiry_after_thaw_hours = forms.FloatField(
        min_value=0.25, max_value=72, initial=4, label="Expiry after thaw (hours)"
    )
    location = forms.CharField(max_length=120, required=False, label="Storage location")

    def clean_din_text(self) -> str:
        value: str = self.cleaned_data["din_text"]
        try:
            parse_din(value)
        except IdentifierError as exc:
            raise forms.ValidationError(str(exc)) from None
        return value

    def clean_product_code(self) -> str:
        try:
            return validate_product_code(self.cleaned_data["product_code"])
        except IdentifierError as exc:
            raise forms.ValidationError(str(exc)) from None


def _pct(label: str) -> forms.FloatField:
    return forms.FloatField(min_value=0, max_value=100, required=False, label=f"{label} (%)")


class LotResultsForm(forms.Form):
    version = RecordVersionField()
    sterility = forms.ChoiceField(choices=Sterility.choices)
    mycoplasma = forms.ChoiceField(choices=Mycoplasma.choices)
    endotoxin_eu_per_ml = forms.FloatField(
        min_value=0, max_value=1000, required=False, label="Endotoxin (EU/mL)"
    )
    # The endotoxin limit is the product type's specification (set at receipt, shown read-only).
    viability_pct = _pct("Viability")
    cell_count = forms.FloatField(min_value=0, max_value=1e12, required=False, label="Viable cells in unit")
    particle_count = forms.FloatField(min_value=0, max_value=1e16, required=False, label="Particles in unit")
    cd105_pct = _pct("CD105")
    cd73_pct = _pct("CD73")
    cd90_pct = _pct("CD90")
    cd45_pct = _pct("CD45")
    cd34_pct = _pct("CD34")
    cd14_cd11b_pct = _pct("CD14 or CD11b")
    cd79a_cd19_pct = _pct("CD79α or CD19")
    hla_dr_pct = _pct("HLA-DR")
    reason = forms.CharField(required=False, label="Reason for change (if correcting)")

    def results(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k not in {"version", "reason"}}


class VersionForm(forms.Form):
    version = RecordVersionField()


class DiscardForm(VersionForm):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Reason for discarding")


def add_validation_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's refusal on the form: next to the field it names, else at the top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
