"""The Export page's form: formats, and an identified export with its reason."""

from __future__ import annotations

from typing import Any

from django import forms

from stromal.exports.services import FORMATS, IDENTIFIED_REASON

FORMAT_LABELS = {
    "csv": "CSV files and data dictionary (R, pandas, Excel)",
    "sav": "SPSS .sav files with variable and value labels",
    "odm": "CDISC ODM 1.3.2 XML (OpenClinica, REDCap)",
}


class ExportForm(forms.Form):
    formats = forms.MultipleChoiceField(
        label="Formats",
        choices=[(f, FORMAT_LABELS[f]) for f in FORMATS],
        widget=forms.CheckboxSelectMultiple,
        initial=["csv"],
        error_messages={"required": "Choose at least one format."},
    )
    identified = forms.BooleanField(
        label="Identified export (names, record numbers, dates of birth; the site's investigator only)",
        required=False,
    )
    reason = forms.CharField(
        label="Reason for an identified export (kept in the audit trail)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("identified") and not (data.get("reason") or "").strip():
            self.add_error("reason", IDENTIFIED_REASON)
        return data
