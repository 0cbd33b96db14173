"""Reads of the audit trail: per record, per patient, per user, one row per changed field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import QuerySet

from stromal.audit.models import AuditEvent


def audit_for_object(instance: models.Model) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(object_type=instance._meta.label_lower, object_id=str(instance.pk))


def audit_for_patient(patient_id: int) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(patient_id_at_event=patient_id)


@dataclass(frozen=True)
class TrailFilters:
    """What the audit-trail screen narrows to; empty means everything."""

    object_type: str = ""
    actor_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def trail_filter(events: QuerySet[AuditEvent], filters: TrailFilters) -> QuerySet[AuditEvent]:
    """``events`` narrowed by ``filters``, newest first, with the actor read in the same query."""
    if filters.object_type:
        events = events.filter(object_type=filters.object_type)
    if filters.actor_id is not None:
        events = events.filter(actor_id=filters.actor_id)
    if filters.date_from is not None:
        events = events.filter(at__date__gte=filters.date_from)
    if filters.date_to is not None:
        events = events.filter(at__date__lte=filters.date_to)
    return events.select_related("actor").order_by("-sequence")


def record_label(object_type: str) -> str:
    """The model's own name for an audited record type (``plans.treatmentplan`` -> ``treatment plan``)."""
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type


def field_label(object_type: str, field: str) -> str:
    """The model field's own label, or the stored name when it has none."""
    try:
        model = apps.get_model(object_type)
        return str(model._meta.get_field(field.removesuffix("_id")).verbose_name)
    except (LookupError, ValueError, FieldDoesNotExist):  # e.g. an observation key of an encounter
        return field.replace("_", " ")


@dataclass(frozen=True)
class TrailRow:
    """One changed field of one audit event (an event with no field changes gives one row)."""

    event: AuditEvent
    record: str
    field: str
    old: Any
    new: Any


def trail_rows(events: Iterable[AuditEvent]) -> Iterator[TrailRow]:
    for event in events:
        record = f"{record_label(event.object_type)} #{event.object_id}"
        changes = event.changes if isinstance(event.changes, dict) else {}
        if not changes:
            yield TrailRow(event, record, "", None, None)
        for name, pair in changes.items():
            old, new = ([*pair, None, None])[:2] if isinstance(pair, list) else (None, pair)
            yield TrailRow(event, record, field_label(event.object_type, name), old, new)


def trail_record_types(events: QuerySet[AuditEvent]) -> list[tuple[str, str]]:
    """The record types present in ``events``, as (value, label) choices."""
    types = events.order_by().values_list("object_type", flat=True).distinct()
    return sorted(((t, record_label(t)) for t in types), key=lambda pair: pair[1])


#: Bookkeeping fields no history shows as "what changed".
QUIET_FIELDS = frozenset({"id", "version"})

#: Actions common to every record, in words.
COMMON_ACTIONS = {
    "create": "created",
    "update": "changed",
    "amend": "amended",
    "sign": "signed",
    "approve": "approved",
    "withdraw": "withdrawn",
    "revise": "revised",
}


def action_in_words(action: str, labels: Mapping[str, str] | None = None) -> str:
    """``lot_record_results`` -> ``lot record results``, ``decision:accept`` -> ``decision: accept``."""
    if labels and action in labels:
        return labels[action]
    if action in COMMON_ACTIONS:
        return COMMON_ACTIONS[action]
    return action.replace("_", " ").replace(":", ": ")


@dataclass(frozen=True)
class HistoryEntry:
    """One audit event in words, shaped for the shared ``audit/_record_history.html``."""

    at: dt.datetime
    actor_username: str  # the person's display name
    action: str
    changes: dict[str, tuple[object, object]]
    reason: str


def _choice_labels(object_type: str) -> dict[str, dict[object, str]]:
    """For each field of the model that has choices, value -> label (so codes read as words)."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return {}
    return {
        f.attname: {value: str(label) for value, label in f.flatchoices}
        for f in model._meta.concrete_fields
        if f.choices
    }


def _in_words(choices: Mapping[str, Mapping[object, str]], field: str, value: object) -> object:
    if isinstance(value, str | int) and value in choices.get(field, {}):
        return choices[field][value]
    return value


def record_history(
    instance: models.Model,
    *,
    action_labels: Mapping[str, str] | None = None,
    quiet_fields: Collection[str] = (),
) -> list[HistoryEntry]:
    """The record's audit events, oldest first, for its page: who, when, what changed, why.

    Ids and ``QUIET_FIELDS`` (plus ``quiet_fields``) are left out of "what
    changed"; coded values show their model label; ``action_labels`` names the
    actions in words.
    """
    labels = action_labels or {}
    quiet = QUIET_FIELDS | set(quiet_fields)
    choices = _choice_labels(instance._meta.label_lower)
    entries = []
    for event in audit_for_object(instance).select_related("actor").order_by("sequence"):
        changes: dict[str, tuple[object, object]] = {}
        for name, pair in sorted(event.changes.items()):
            if name in quiet or name.endswith("_id") or not isinstance(pair, list) or len(pair) != 2:
                continue
            old, new = pair
            changes[name.replace("_", " ")] = (_in_words(choices, name, old), _in_words(choices, name, new))
        who = event.actor.display_name() if event.actor is not None else event.actor_username
        entries.append(
            HistoryEntry(event.at, who, action_in_words(event.action, labels), changes, event.reason)
        )
    return entries


def record_values(object_type: str, events: Iterable[AuditEvent]) -> dict[str, object]:
    """A record's values as its audit trail left them: each event's new values, in sequence order.

    ``events`` are the record's events, oldest first. Ids, ``QUIET_FIELDS`` and
    other records' keys (``*_id``) are left out; coded values show their model
    label. The printed casebook reads every record this way, whatever its app.
    """
    choices = _choice_labels(object_type)
    values: dict[str, object] = {}
    for event in events:
        changes = event.changes if isinstance(event.changes, dict) else {}
        for name, pair in changes.items():
            if name in QUIET_FIELDS or name.endswith("_id"):
                continue
            new = pair[1] if isinstance(pair, list) and len(pair) == 2 else pair
            values[name] = _in_words(choices, name, new)
    return values
