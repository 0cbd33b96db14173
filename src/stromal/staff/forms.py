"""Forms of the administration screens. The services hold the rules; forms read and type the input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import SetPasswordForm

from stromal.accounts.roles import Role
from stromal.staff.models import SecurityEventKind
from stromal.staff.selectors import SecurityFilters
from stromal.staff.services import PRESSURE_MAX_MMHG, PRESSURE_MIN_MMHG

DATES_REVERSED = "The 'to' date is before the 'from' date."
REASON_MAX = 1000


def _reason(label: str = "Reason for the change") -> forms.CharField:
    return forms.CharField(
        label=label, max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2, "maxlength": REASON_MAX})
    )


class AccountForm(forms.Form):
    username = forms.CharField(max_length=150, help_text="Letters, digits and @ . + - _ only.")
    printed_name = forms.CharField(
        max_length=200, label="Printed name", help_text="Shown on every electronic signature of this person."
    )
    role = forms.ChoiceField(choices=Role.choices)
    first_name = forms.CharField(max_length=150, required=False, label="Given name")
    last_name = forms.CharField(max_length=150, required=False, label="Family name")
    email = forms.EmailField(max_length=254, required=False, label="E-mail")


class AccountEditForm(AccountForm):
    reason = _reason()


class ActiveForm(forms.Form):
    reason = _reason("Reason")


class PasswordLinkForm(forms.Form):
    reason = _reason("Reason for the link")


class SiteEditForm(forms.Form):
    name = forms.CharField(max_length=200)
    time_zone = forms.CharField(
        max_length=64, label="Time zone", help_text="IANA name, for example Europe/Paris or America/New_York."
    )
    barometric_pressure_mmhg = forms.FloatField(
        label="Barometric pressure (mmHg)",
        min_value=PRESSURE_MIN_MMHG,
        max_value=PRESSURE_MAX_MMHG,
        help_text="Sites above 1,000 m need it for the Berlin altitude correction of P/F.",
    )
    reason = _reason()


class SiteNewForm(forms.Form):
    code = forms.SlugField(max_length=20, help_text="Short code: letters, digits, - and _.")
    name = forms.CharField(max_length=200)
    time_zone = SiteEditForm.base_fields["time_zone"]
    barometric_pressure_mmhg = forms.FloatField(
        label="Barometric pressure (mmHg)",
        min_value=PRESSURE_MIN_MMHG,
        max_value=PRESSURE_MAX_MMHG,
        initial=760,
    )
    admin_username = forms.CharField(max_length=150, label="First administrator's username")
    admin_printed_name = forms.CharField(max_length=200, label="First administrator's printed name")


class UnlockForm(forms.Form):
    username = forms.CharField(max_length=150, required=False, widget=forms.HiddenInput)
    address = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)
    reason = _reason("Reason for unlocking")


class SecurityFilterForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "all"), *SecurityEventKind.choices], required=False, label="Event")
    username = forms.CharField(max_length=150, required=False, label="Username contains")
    address = forms.GenericIPAddressField(required=False, label="Address")
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    locked_out = forms.BooleanField(required=False, label="Lockouts only")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", DATES_REVERSED)
        return data

    def filters(self) -> SecurityFilters | None:
        """The filters; ``None`` when they are invalid (the page then shows the errors, no rows)."""
        if not self.is_bound:
            return SecurityFilters()
        if not self.is_valid():
            return None
        data = self.cleaned_data
        return SecurityFilters(
            kind=data.get("kind") or "",
            username=(data.get("username") or "").strip(),
            address=data.get("address") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            locked_out_only=bool(data.get("locked_out")),
        )


class NewPasswordForm(SetPasswordForm):  # type: ignore[type-arg]
    """Django's set-password form (both entries, every password validator), labelled for this page."""
