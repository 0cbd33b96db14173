"""Discharge (the clinic's Day 4) and the follow-up visits generated from the protocol."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from stromal.patients.models import Patient
from stromal.plans.models import TreatmentPlan


class Discharge(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="discharges")
    plan = models.OneToOneField(TreatmentPlan, on_delete=models.PROTECT, related_name="discharge")
    discharged_at = models.DateTimeField()
    discharged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    examination_findings = models.TextField(help_text="Discharge clinical examination")
    spo2_pct = models.FloatField(null=True, blank=True)
    respiratory_rate_per_min = models.FloatField(null=True, blank=True)
    summary = models.TextField()
    recommendations = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-discharged_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(summary="") & ~Q(examination_findings=""),
                name="discharge_needs_exam_and_summary",
            ),
            models.CheckConstraint(
                condition=Q(spo2_pct__isnull=True) | Q(spo2_pct__gte=50, spo2_pct__lte=100),
                name="discharge_spo2_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Discharge {self.discharged_at:%Y-%m-%d}"


class VisitStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    MISSED = "missed", "Missed"


class FollowUpVisit(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="followup_visits")
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="followup_visits")
    code = models.SlugField(max_length=20)
    name = models.CharField(max_length=100)
    day_offset = models.PositiveIntegerField()
    target_date = models.DateField()
    window_start = models.DateField()
    window_end = models.DateField()
    status = models.CharField(max_length=10, choices=VisitStatus.choices, default=VisitStatus.SCHEDULED)
    completed_on = models.DateField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    out_of_window = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["target_date", "id"]
        indexes = [
            models.Index(fields=["status", "window_end"]),
            models.Index(fields=["patient", "target_date"]),
            # Visits due now (window_start <= today <= window_end): partial, open visits only.
            models.Index(
                fields=["window_start", "window_end"],
                condition=Q(status="scheduled"),
                name="followup_visit_open_window_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="followup_visit_once_per_plan"),
            models.CheckConstraint(condition=Q(status__in=VisitStatus.values), name="followup_status_valid"),
            models.CheckConstraint(
                condition=Q(window_start__lte=F("target_date")) & Q(target_date__lte=F("window_end")),
                name="followup_target_inside_window",
            ),
            models.CheckConstraint(
                condition=~Q(status=VisitStatus.COMPLETED)
                | Q(completed_on__isnull=False, completed_by__isnull=False),
                name="followup_completed_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status=VisitStatus.MISSED) | ~Q(notes=""), name="followup_missed_needs_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.target_date:%Y-%m-%d})"
