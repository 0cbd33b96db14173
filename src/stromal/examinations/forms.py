"""The examination as one form: every observation of ``fields.SECTIONS``, one Save.

The form is built from the section list, so a field added to
``stromal.examinations.fields`` appears here (and on the page, in its
section's fieldset) without a change to this module. One form means one
submission: a value refused in one section keeps every value typed in the
others on the page, and nothing is saved until all of them pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms

from stromal.examinations.fields import SECTIONS
from stromal.forms_clinical import LocalDateTimeField, VersionedForm, clinical_fields

REASON_FIELD = "reason"


def examination_form(*, amend: bool = False, **kwargs: Any) -> VersionedForm:
    """All observations of an examination in one form (``amend``: plus the reason for the correction)."""
    specs = [spec for _, _, section_specs in SECTIONS for spec in section_specs]
    attrs: dict[str, Any] = dict(clinical_fields(specs))
    if amend:
        attrs[REASON_FIELD] = forms.CharField(
            label="Reason for the amendment", widget=forms.Textarea(attrs={"rows": 2})
        )
    form_class = type("ExaminationForm", (VersionedForm,), attrs)
    form: VersionedForm = form_class(**kwargs)
    return form


@dataclass(frozen=True)
class Fieldset:
    """One section of the form as shown: a ``<fieldset>`` with its legend and bound fields."""

    code: str
    title: str
    fields: list[forms.BoundField]

    @property
    def has_errors(self) -> bool:
        return any(field.errors for field in self.fields)


def fieldsets(form: forms.BaseForm) -> list[Fieldset]:
    """The form's fields grouped by the sections of ``fields.SECTIONS``, in their order."""
    return [
        Fieldset(code, title, [form[spec.name] for spec in specs if spec.name in form.fields])
        for code, title, specs in SECTIONS
    ]


def observation_values(form: forms.BaseForm) -> dict[str, Any]:
    """The cleaned observations of a valid form that were submitted (without the version and the reason).

    A field submitted empty is ``None`` (its recorded value is removed); a field not submitted at
    all is left out, so a recorded value is never removed by a post that did not show it.
    """
    return {
        name: value
        for name, value in form.cleaned_data.items()
        if name not in ("version", REASON_FIELD) and name in form.data
    }


class ScheduleForm(forms.Form):
    scheduled_for = LocalDateTimeField(label="Examination date and time")


class CloseForm(VersionedForm):
    pass
