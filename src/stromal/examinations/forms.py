from __future__ import annotations

from typing import Any

from django import forms

from stromal.examinations.fields import section_specs
from stromal.forms_clinical import VersionedForm, clinical_fields


def section_form(section: str, *, amend: bool = False, **kwargs: Any) -> VersionedForm:
    """A form for one section of the examination (vitals, gas, labs, ...), validated by the clinical registry."""
    attrs: dict[str, Any] = dict(clinical_fields(list(section_specs(section))))
    if amend:
        attrs["reason"] = forms.CharField(
            label="Reason for the amendment", widget=forms.Textarea(attrs={"rows": 2})
        )
    form_class = type(f"{section.title()}Form", (VersionedForm,), attrs)
    form: VersionedForm = form_class(prefix=section, **kwargs)
    return form


class ScheduleForm(forms.Form):
    scheduled_for = forms.DateTimeField(
        label="Examination date and time", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


class CloseForm(VersionedForm):
    pass
