"""Encounters (examinations), their observations, amendments and assessments.

An observation row is never rewritten: a new value supersedes the current
one, so the history of every result stays visible. A closed encounter takes
new values only through an amendment with a reason. Computed assessments are
snapshots stamped with the clinical library's rule version.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from stromal.patients.models import Patient


class EncounterKind(models.TextChoices):
    EXAMINATION = "examination", "Day 1 examination"
    DISCHARGE = "discharge", "Discharge examination"
    FOLLOW_UP = "follow_up", "Follow-up visit"
    OTHER = "other", "Other encounter"


class EncounterStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Encounter(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="encounters")
    kind = models.CharField(max_length=20, choices=EncounterKind.choices, default=EncounterKind.EXAMINATION)
    status = models.CharField(
        max_length=10, choices=EncounterStatus.choices, default=EncounterStatus.SCHEDULED
    )
    scheduled_for = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["scheduled_for", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=EncounterStatus.values), name="encounter_status_valid"
            ),
            models.CheckConstraint(condition=Q(kind__in=EncounterKind.values), name="encounter_kind_valid"),
            models.CheckConstraint(
                condition=~Q(status=EncounterStatus.CLOSED)
                | Q(closed_at__isnull=False, closed_by__isnull=False, opened_at__isnull=False),
                name="encounter_closed_has_closer",
            ),
            models.CheckConstraint(
                condition=~Q(status=EncounterStatus.OPEN) | Q(opened_at__isnull=False),
                name="encounter_open_has_opened_at",
            ),
        ]
        indexes = [models.Index(fields=["status", "scheduled_for"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.patient} ({self.status})"

    @property
    def is_closed(self) -> bool:
        return self.status == EncounterStatus.CLOSED


class Amendment(models.Model):
    """A correction of a closed encounter: who, when, why; its values are the observations it adds."""

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="amendments")
    reason = models.TextField()
    amended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    amended_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["amended_at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="amendment_needs_reason")]

    def __str__(self) -> str:
        return f"Amendment #{self.pk} of encounter {self.encounter_id}: {self.reason[:40]}"


class Observation(models.Model):
    """One value of one observation key (``stromal.examinations.fields.SPECS``)."""

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="observations")
    key = models.CharField(max_length=60)
    value_number = models.FloatField(null=True, blank=True)
    value_boolean = models.BooleanField(null=True, blank=True)
    value_text = models.CharField(max_length=40, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    current = models.BooleanField(default=True)
    amendment = models.ForeignKey(
        Amendment, on_delete=models.PROTECT, null=True, blank=True, related_name="observations"
    )

    class Meta:
        ordering = ["key", "recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["encounter", "key"], condition=Q(current=True), name="observation_one_current_per_key"
            ),
            models.CheckConstraint(
                condition=Q(value_number__isnull=False, value_boolean__isnull=True, value_text="")
                | Q(value_number__isnull=True, value_boolean__isnull=False, value_text="")
                | (Q(value_number__isnull=True, value_boolean__isnull=True) & ~Q(value_text="")),
                name="observation_exactly_one_value",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.value!r}"

    @property
    def value(self) -> float | int | bool | str:
        if self.value_boolean is not None:
            return self.value_boolean
        if self.value_number is not None:
            return self.value_number
        return self.value_text


class Assessment(models.Model):
    """The clinical library's assessments of an encounter at one moment. Never updated."""

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="assessments")
    sequence = models.PositiveIntegerField()
    rules_version = models.CharField(max_length=40)
    inputs = models.JSONField()
    results = models.JSONField()
    computed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["encounter", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["encounter", "sequence"], name="assessment_sequence_unique"),
            models.CheckConstraint(condition=~Q(rules_version=""), name="assessment_has_rules_version"),
        ]

    def __str__(self) -> str:
        return f"Assessment {self.sequence} of encounter {self.encounter_id} (rules {self.rules_version})"
