"""Forms of the second-factor pages."""

from __future__ import annotations

from django import forms

REASON_MAX_CHARS = 2000


class CodeForm(forms.Form):
    """The code from the authenticator app (6 digits) or a recovery code (``xxxx-xxxx-xxxx-xxxx``)."""

    code = forms.CharField(
        label="Code",
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )


class EnrolForm(forms.Form):
    code = forms.CharField(
        label="Code shown by the app",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PasswordForm(forms.Form):
    """Re-entry of one's own credentials before new recovery codes (counted like a sign-in)."""

    username = forms.CharField(max_length=150, label="Username")
    password = forms.CharField(max_length=200, widget=forms.PasswordInput, label="Password")


class ResetForm(forms.Form):
    reason = forms.CharField(
        label="Reason for the reset",
        max_length=REASON_MAX_CHARS,
        # The service refuses an empty reason with the message that says what to write.
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": REASON_MAX_CHARS}),
    )
