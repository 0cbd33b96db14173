"""One export of the registry's data: who asked, for what, and how far it has got.

The row is the request and its progress (the Export page polls it); the audit trail
holds who exported what (``exports.services``). An identified export carries its reason.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ExportRun(models.Model):
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    # The sites the requester could read when asking (null: every site, a study-wide reader).
    site_ids = models.JSONField(null=True, blank=True)
    filters = models.JSONField(default=dict, blank=True)
    formats = models.CharField(max_length=40)
    identified = models.BooleanField(default=False)
    reason = models.TextField(blank=True)
    source = models.CharField(max_length=20, default="web")
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    progress = models.FloatField(default=0.0)
    n_patients = models.PositiveIntegerField(null=True, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        permissions = [("all_sites", "Read the analytics and export the data of every site (study-wide)")]
        constraints = [
            models.CheckConstraint(
                condition=Q(identified=False) | ~Q(reason=""), name="export_identified_needs_reason"
            ),
            models.CheckConstraint(condition=Q(progress__gte=0, progress__lte=1), name="export_progress_0_1"),
            models.CheckConstraint(condition=Q(status__in=ExportStatus.values), name="export_status_valid"),
        ]

    def __str__(self) -> str:
        kind = "identified" if self.identified else "pseudonymised"
        return f"Export #{self.pk} ({kind}, {self.formats}, {self.status})"

    @property
    def format_list(self) -> list[str]:
        return [f for f in self.formats.split(",") if f]
