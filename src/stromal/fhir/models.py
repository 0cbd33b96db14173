"""Bulk exports (FHIR Bulk Data Access ``$export``): one row per kick-off, its files on disk."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class ExportJob(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    site_id_at_request = models.BigIntegerField()
    request_url = models.TextField()
    identified = models.BooleanField(default=False)
    reason = models.TextField(blank=True, help_text="why an identified export was needed")
    resource_types = models.JSONField(default=list, help_text="empty: every type")
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    patients_total = models.PositiveIntegerField(default=0)
    patients_done = models.PositiveIntegerField(default=0)
    #: [{"type": "Patient", "file": "Patient.ndjson", "count": 120}]
    output = models.JSONField(default=list)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ExportStatus.values), name="fhir_export_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(identified=False) | ~Q(reason=""), name="fhir_export_identified_needs_reason"
            ),
        ]

    def __str__(self) -> str:
        kind = "identified" if self.identified else "pseudonymised"
        return f"FHIR export {self.pk} ({kind}, {self.status})"
