"""Discharge (the clinic's Day 4), the follow-up visits generated from the protocol, and the
outcome instruments recorded at each visit (``stromal.clinical.instruments``).

An instrument's entered answers are kept as they were validated (``answers``);
what is derived from them (scores, z-scores, % predicted, LLN) is stored beside
them with the name and version of the equation or scoring that made it, so a
stored result can always be traced and recomputed. An instrument due at a visit
that was not done carries a reason instead (``InstrumentNotDone``).
"""

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
    NOT_DUE = "not_due", "Not due (the patient has died)"


#: Weight measured at a visit (kg): the range of ``stromal.clinical.observations`` ``weight_kg``.
WEIGHT_KG_RANGE = (20.0, 400.0)


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
    weight_kg = models.FloatField(
        null=True, blank=True, help_text="Weight measured at the visit (six-minute walk reference)"
    )
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
            models.CheckConstraint(
                condition=~Q(status=VisitStatus.NOT_DUE) | ~Q(notes=""), name="followup_not_due_says_why"
            ),
            models.CheckConstraint(
                condition=Q(weight_kg__isnull=True)
                | Q(weight_kg__gte=WEIGHT_KG_RANGE[0], weight_kg__lte=WEIGHT_KG_RANGE[1]),
                name="followup_visit_weight_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.target_date:%Y-%m-%d})"


class InstrumentResponse(models.Model):
    """One instrument recorded at one visit: the answers as entered and validated, and what was
    derived from them with the equation (or scoring) name and version.

    ``answers`` maps item names to the validated values (dates as ``YYYY-MM-DD``);
    ``scores`` holds the scoring function's named results; ``subject`` the sex, age
    (decimal years at the visit), height and weight the reference equations were given;
    ``scoring_problem`` says why a valid response could not be scored (for example an
    age outside the equation's range), in which case ``scores`` is empty.
    """

    visit = models.ForeignKey(FollowUpVisit, on_delete=models.PROTECT, related_name="instrument_responses")
    instrument_code = models.CharField(max_length=40)
    instrument_version = models.CharField(max_length=20)
    answers = models.JSONField()
    scores = models.JSONField(default=dict, blank=True)
    scoring_name = models.CharField(max_length=80)
    scoring_version = models.CharField(max_length=40)
    scoring_problem = models.CharField(max_length=300, blank=True)
    subject = models.JSONField(default=dict, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["visit", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "instrument_code"], name="followup_response_once_per_visit"
            ),
            models.CheckConstraint(
                condition=~Q(instrument_code="") & ~Q(instrument_version="") & ~Q(scoring_name=""),
                name="followup_response_names_instrument_and_scoring",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_code} v{self.instrument_version} at visit {self.visit_id}"


class InstrumentNotDone(models.Model):
    """An instrument due at a visit that was not done, with the reason (declined, too unwell...)."""

    visit = models.ForeignKey(FollowUpVisit, on_delete=models.PROTECT, related_name="instruments_not_done")
    instrument_code = models.CharField(max_length=40)
    reason = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["visit", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "instrument_code"], name="followup_not_done_once_per_visit"
            ),
            models.CheckConstraint(
                condition=~Q(instrument_code="") & ~Q(reason=""), name="followup_not_done_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_code} not done at visit {self.visit_id}"
