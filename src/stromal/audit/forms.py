"""The audit-trail screen's filters."""

from __future__ import annotations

from typing import Any

from django import forms

from stromal.accounts.models import User
from stromal.audit.selectors import TrailFilters
from stromal.forms_clinical import RecordChoiceField

DATES_REVERSED = "The 'to' date is before the 'from' date."


def _user_label(user: User) -> str:
    return f"{user.display_name()} ({user.username})"


class TrailFilterForm(forms.Form):
    object_type = forms.ChoiceField(required=False, label="Record type")
    actor = RecordChoiceField(queryset=User.objects.none(), required=False, label="User")
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(
        self,
        data: Any,
        *,
        record_types: list[tuple[str, str]],
        users: Any,
        show_actor: bool = True,
    ) -> None:
        super().__init__(data)
        self.fields["object_type"].choices = [("", "all"), *record_types]  # type: ignore[attr-defined]
        actor = self.fields["actor"]
        assert isinstance(actor, forms.ModelChoiceField)
        actor.queryset = users
        actor.label_from_instance = _user_label  # type: ignore[method-assign,assignment]
        if not show_actor:
            del self.fields["actor"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", DATES_REVERSED)
        return data

    def filters(self) -> TrailFilters | None:
        """The filters; ``None`` when they are invalid (the page then shows the errors, no rows)."""
        if not self.is_bound:
            return TrailFilters()
        if not self.is_valid():
            return None
        actor = self.cleaned_data.get("actor")
        return TrailFilters(
            object_type=self.cleaned_data.get("object_type") or "",
            actor_id=actor.pk if actor else None,
            date_from=self.cleaned_data.get("date_from"),
            date_to=self.cleaned_data.get("date_to"),
        )
