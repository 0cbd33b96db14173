from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django import forms

from stromal.clinical.instruments import Instrument, Item, ItemKind
from stromal.clinical.observations import FIELDS
from stromal.forms_clinical import ClinicalField, LocalDateTimeField, RecordVersionField


class DischargeForm(forms.Form):
    discharged_at = LocalDateTimeField()
    examination_findings = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label="Discharge examination"
    )
    spo2_pct = ClinicalField(FIELDS["spo2_pct"])
    respiratory_rate_per_min = forms.FloatField(
        min_value=4, max_value=80, required=False, label="Respiratory rate (/min)"
    )
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Discharge summary")
    recommendations = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class VisitMissedForm(forms.Form):
    version = RecordVersionField()
    reason = forms.CharField(max_length=500, label="Why was the visit missed?")


class VisitAmendForm(forms.Form):
    version = RecordVersionField()
    completed_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), label="Visit date", required=False
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Notes")
    reason = forms.CharField(max_length=500, label="Reason for the correction (kept in the visit's history)")


# --- outcome instruments ------------------------------------------------------------------------

NOT_DONE_LABEL = "Not done: why? (declined, too unwell, equipment...)"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _help(item: Item) -> str:
    """What the item accepts, when it applies and whether it may be left empty."""
    parts = []
    if item.kind in (ItemKind.NUMBER, ItemKind.INTEGER) and not item.options:
        parts.append(item.spec().rule_text())
    if item.shown_when is not None:
        parts.append("only " + item.shown_when.text().replace("_", " "))
    if not item.required:
        parts.append("optional")
    return "; ".join(parts)


def item_field(item: Item) -> forms.Field:
    """The form field of one instrument item. Types and ranges are checked here by the same
    rule as the library (``ClinicalField``); whether an answer is required or applies
    (branching) is the instrument's own check, made by the service on the whole response."""
    label = _sentence(item.label) + (f" ({item.unit})" if item.unit and not item.options else "")
    common: dict[str, Any] = {"label": label, "help_text": _help(item), "required": False}
    if item.kind is ItemKind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if item.kind is ItemKind.TEXT:
        rows = 3 if item.max_length > 500 else 2
        return forms.CharField(
            max_length=item.max_length, widget=forms.Textarea(attrs={"rows": rows}), **common
        )
    if item.options:
        blank = [("", "not answered")]
        shown = [
            (str(v), f"{v} — {text}" if item.kind is ItemKind.INTEGER else text) for v, text in item.options
        ]
        return ClinicalField(item.spec(), widget=forms.Select(choices=blank + shown), **common)
    return ClinicalField(item.spec(), **common)


@dataclass(frozen=True)
class ItemRow:
    """One field of an instrument's fieldset and the branching condition that shows it
    (``when``: ``{"item", "op", "value"}`` for ``static/stromal/branching.js``), if any."""

    field: forms.BoundField
    when: dict[str, str] | None


class InstrumentForm(forms.Form):
    """One instrument as a fieldset: a field per item and, while nothing is recorded, the
    reason it was not done. Field names carry the instrument code as prefix (``phq9-phq9_1``)."""

    def __init__(self, instrument: Instrument, *args: Any, with_not_done: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", instrument.code)
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for item in instrument.items:
            self.fields[item.name] = item_field(item)
        if with_not_done:
            self.fields["not_done_reason"] = forms.CharField(
                max_length=500, required=False, label=NOT_DONE_LABEL
            )

    def rows(self) -> list[ItemRow]:
        out = []
        for item in self.instrument.items:
            guard = item.shown_when
            when = None
            if guard is not None:
                value = guard.value
                shown = (
                    [str(v) for v in value]
                    if isinstance(value, tuple)
                    else ["true" if value else "false"]
                    if isinstance(value, bool)
                    else [str(value)]
                )
                when = {"item": self.add_prefix(guard.item), "op": guard.op, "value": json.dumps(shown)}
            out.append(ItemRow(self[item.name], when))
        return out

    def answers(self) -> dict[str, object]:
        """The cleaned answers (``None`` for the empty ones), keyed by item name."""
        return {item.name: self.cleaned_data.get(item.name) for item in self.instrument.items}

    def not_done(self) -> str:
        return str(self.cleaned_data.get("not_done_reason") or "")


class VisitRecordForm(forms.Form):
    """The visit itself on the recording page: date, the weight measured there, notes."""

    version = RecordVersionField()
    completed_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        label="Visit date",
        required=False,
        help_text="The day of the visit; needed to complete it",
    )
    weight_kg = ClinicalField(FIELDS["weight_kg"], label="Weight at the visit (kg)")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class InstrumentCorrectionForm(forms.Form):
    version = RecordVersionField()
    weight_kg = ClinicalField(FIELDS["weight_kg"], label="Weight at the visit (kg)")
    reason = forms.CharField(max_length=500, label="Reason for the correction (kept in the history)")


class VisitAdverseEventForm(forms.Form):
    term = forms.CharField(max_length=200, label="Event (e.g. pneumonia, fall, new rash)")
    onset_at = LocalDateTimeField(label="Onset")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


def instrument_error_target(key: str) -> tuple[str, str | None]:
    """Where a service refusal belongs: ``"phq9-phq9_3"`` -> (``phq9``, ``phq9_3``);
    ``"phq9"`` -> (``phq9``, None: the fieldset); ``"weight_kg"`` -> (``weight_kg``, None)."""
    code, _, field = key.partition("-")
    return code, field or None
