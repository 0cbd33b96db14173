from __future__ import annotations

from typing import Any

from django import forms

from stromal.accounts.models import User
from stromal.api.services import NAME_MAX_LENGTH
from stromal.forms_clinical import RecordChoiceField


class HolderField(RecordChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name()} ({obj.username}, {obj.get_role_display()})"


class TokenCreateForm(forms.Form):
    user = HolderField(
        queryset=User.objects.none(), label="For user", help_text="the token acts as this user"
    )
    name = forms.CharField(
        max_length=NAME_MAX_LENGTH,
        label="What it is for",
        help_text="e.g. laboratory interface, statistics script",
    )

    def __init__(self, *args: Any, holders: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = holders


class TokenRevokeForm(forms.Form):
    reason = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Reason (optional)"
    )
