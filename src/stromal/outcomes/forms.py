"""The cohort builder: a GET form whose choices come from the data the reader may see."""

from __future__ import annotations

from typing import Any

from django import forms

from stromal.outcomes.cohort import (
    AETIOLOGY_CHOICES,
    AGE_BANDS,
    SEVERITY_CHOICES,
    VITAL_CHOICES,
    CohortFilter,
)
from stromal.outcomes.scope import Scope
from stromal.protocols.models import ProtocolVersion

ANY = ("", "any")
DATES_REVERSED = "must not be before 'enrolled from'"
#: Separates a protocol code from its version in the protocol choice (``clinic-ucmsc-iv-2day@1.0``).
VERSION_MARK = "@"
#: Query-string keys of the cohort builder (pages carry them from one to the next).
COHORT_KEYS = (
    "protocol",
    "arm",
    "site",
    "enrolled_from",
    "enrolled_to",
    "berlin",
    "global_definition",
    "aetiology",
    "age_band",
    "sex",
    "vital_status",
)


def _protocol_choices() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    protocols: list[tuple[str, str]] = [ANY]
    arms: set[str] = set()
    seen: set[str] = set()
    for pv in ProtocolVersion.objects.order_by("code", "version"):
        if pv.code not in seen:
            seen.add(pv.code)
            protocols.append((pv.code, f"{pv.code} (every version)"))
        protocols.append((f"{pv.code}{VERSION_MARK}{pv.version}", f"{pv.code} v{pv.version}"))
        arms.update(str(arm.get("name", "")) for arm in pv.definition.get("arm", []) if isinstance(arm, dict))
    return protocols, [ANY, *((a, a) for a in sorted(arms) if a)]


class CohortForm(forms.Form):
    """Every field is optional: an empty form is every patient in the reader's scope."""

    protocol = forms.ChoiceField(label="Protocol and version", required=False)
    arm = forms.ChoiceField(label="Arm", required=False)
    site = forms.ChoiceField(label="Site", required=False)
    enrolled_from = forms.DateField(
        label="Enrolled from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    enrolled_to = forms.DateField(
        label="Enrolled to", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    berlin = forms.ChoiceField(
        label="Berlin severity at Day 1", required=False, choices=[ANY, *SEVERITY_CHOICES]
    )
    global_definition = forms.ChoiceField(
        label="Global definition at Day 1", required=False, choices=[ANY, *SEVERITY_CHOICES]
    )
    aetiology = forms.ChoiceField(label="Aetiology", required=False, choices=[ANY, *AETIOLOGY_CHOICES])
    age_band = forms.ChoiceField(
        label="Age at enrolment",
        required=False,
        choices=[ANY, *((code, label) for code, label, _, _ in AGE_BANDS)],
    )
    sex = forms.ChoiceField(
        label="Sex", required=False, choices=[ANY, ("female", "Female"), ("male", "Male")]
    )
    vital_status = forms.ChoiceField(label="Vital status", required=False, choices=[ANY, *VITAL_CHOICES])

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        protocols, arms = _protocol_choices()
        self.fields["protocol"].choices = protocols  # type: ignore[attr-defined]
        self.fields["arm"].choices = arms  # type: ignore[attr-defined]
        sites = scope.sites()
        self.fields["site"].choices = [  # type: ignore[attr-defined]
            ("", "every site in your scope" if scope.study_wide else "your site"),
            *((s.code, str(s)) for s in sites),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("enrolled_from"), data.get("enrolled_to")
        if start and end and end < start:
            self.add_error("enrolled_to", DATES_REVERSED)
        return data

    def filters(self) -> CohortFilter:
        """The validated choices (call after ``is_valid()``)."""
        data = self.cleaned_data
        code, _, version = str(data.get("protocol") or "").partition(VERSION_MARK)
        return CohortFilter(
            protocol_code=code,
            protocol_version=version,
            arm=data.get("arm") or "",
            site_code=data.get("site") or "",
            enrolled_from=data.get("enrolled_from"),
            enrolled_to=data.get("enrolled_to"),
            berlin=data.get("berlin") or "",
            global_definition=data.get("global_definition") or "",
            aetiology=data.get("aetiology") or "",
            age_band=data.get("age_band") or "",
            sex=data.get("sex") or "",
            vital_status=data.get("vital_status") or "",
        )
