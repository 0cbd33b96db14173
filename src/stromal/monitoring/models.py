"""Source-data verification, queries (discrepancy notes) and casebook sign-off.

A record is any audited object (``object_type`` as ``app.model`` and
``object_id``), the same key the audit trail uses, so every record a patient
has can be verified or queried without each app knowing about monitoring.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from stromal.patients.models import Patient


class SourceVerification(models.Model):
    """A monitor's mark that a record matches its source, as of one point of the audit trail.

    ``audit_sequence`` is the audit chain's sequence of the record's latest
    change when it was verified; a later change of the record (a higher
    sequence) clears the mark, which the selectors show as "cleared by".
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="verifications")
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    audit_sequence = models.BigIntegerField()
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["object_type", "object_id", "-audit_sequence"])]

    def __str__(self) -> str:
        return f"{self.object_type}#{self.object_id} verified at sequence {self.audit_sequence}"


class QueryStatus(models.TextChoices):
    OPEN = "open", "Open (site to answer)"
    ANSWERED = "answered", "Answered (monitor to review)"
    CLOSED = "closed", "Closed"


class DataQuery(models.Model):
    """A discrepancy note on a record (or one field of it): opened, answered, closed or re-opened."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="data_queries")
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    field = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=QueryStatus.choices, default=QueryStatus.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "data query"
        verbose_name_plural = "data queries"
        indexes = [models.Index(fields=["status", "patient"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=QueryStatus.values), name="monitoring_query_status_known"
            )
        ]

    def __str__(self) -> str:
        return f"query {self.pk} on {self.object_type}#{self.object_id} ({self.status})"


class QueryStep(models.TextChoices):
    OPEN = "open", "opened"
    ANSWER = "answer", "answered"
    CLOSE = "close", "closed"
    REOPEN = "reopen", "re-opened"


class QueryMessage(models.Model):
    """One step of a query's conversation, with its text; never edited."""

    query = models.ForeignKey(DataQuery, on_delete=models.PROTECT, related_name="messages")
    step = models.CharField(max_length=10, choices=QueryStep.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    text = models.TextField(max_length=4000)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.step} by {self.author_id}"


class CasebookSignature(models.Model):
    """The investigator's electronic signature of a patient's casebook (21 CFR 11.50, 11.200).

    Printed name, date-time and meaning are stored with the signature. Each
    sign-off locks the casebook (``audit.CasebookLock``); an unlock keeps the
    signature as history and records why.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="casebook_signatures")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    printed_name = models.CharField(max_length=200)
    meaning = models.CharField(max_length=300)
    signed_at = models.DateTimeField(default=timezone.now)
    unlocked_at = models.DateTimeField(null=True, blank=True)
    unlocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    unlock_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unlocked_at__isnull=True) | ~models.Q(unlock_reason=""),
                name="monitoring_unlock_has_reason",
            )
        ]

    def __str__(self) -> str:
        return f"casebook of {self.patient_id} signed by {self.printed_name}"
