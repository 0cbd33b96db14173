"""Administration sessions (one per administration day), bedside identity
checks, vitals, interruptions and adverse events.

The database holds what it can on its own: the two identity checkers are
different people; a session is started only after both checks, with an
allocated unit; a unit serves one session (one-to-one); a serious adverse
event is flagged for expedited review; times are in order on one row (thaw,
start, end) and no vitals or adverse event is later than the moment it was
recorded (plus ``chronology.CLOCK_SKEW``); an administration given outside its
scheduled day carries a physician's documented reason; an infusion stopped
early carries its reason. The cross-record rules (approved plan, accepted with
consent given before the start; released, unexpired unit; the protocol's day
window and minimum infusion time) are held by the services.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from stromal.patients.models import Patient
from stromal.plans.models import TreatmentPlan
from stromal.products.models import ProductLot


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    PREPARED = "prepared", "Prepared (thawed)"
    CHECKED = "checked", "Identity checked"
    RUNNING = "running", "Running"
    INTERRUPTED = "interrupted", "Interrupted"
    COMPLETED = "completed", "Completed"
    STOPPED_EARLY = "stopped_early", "Stopped early (shorter than the protocol's minimum)"
    STOPPED = "stopped", "Stopped (stopping rule)"
    CANCELLED = "cancelled", "Cancelled"


#: Mirrors ``stromal.chronology.CLOCK_SKEW`` for the database constraints.
RECORDING_SKEW = dt.timedelta(minutes=5)

STARTED_STATES = [
    SessionStatus.RUNNING,
    SessionStatus.INTERRUPTED,
    SessionStatus.COMPLETED,
    SessionStatus.STOPPED_EARLY,
    SessionStatus.STOPPED,
]
#: An administration in one of these states is done: a later one of the plan may go ahead.
#: (A cancellation always carries its reason: ``services.session_cancel``.)
DONE_STATES = [
    SessionStatus.COMPLETED,
    SessionStatus.STOPPED_EARLY,
    SessionStatus.STOPPED,
    SessionStatus.CANCELLED,
]
OPEN_STATES = [
    SessionStatus.SCHEDULED,
    SessionStatus.PREPARED,
    SessionStatus.CHECKED,
    SessionStatus.RUNNING,
    SessionStatus.INTERRUPTED,
]


class AdministrationSession(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="administrations")
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="administrations")
    sequence = models.PositiveSmallIntegerField(help_text="1 for the first administration of the plan")
    protocol_day = models.PositiveSmallIntegerField(help_text="day after the day-0 examination")
    scheduled_date = models.DateField()
    route = models.CharField(max_length=10)
    status = models.CharField(max_length=16, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED)
    product = models.OneToOneField(
        ProductLot, on_delete=models.PROTECT, null=True, blank=True, related_name="administration"
    )
    prepared_at = models.DateTimeField(null=True, blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    first_checker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    second_checker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    baseline = models.JSONField(default=dict, blank=True)
    weight_kg = models.FloatField(
        null=True, blank=True, help_text="actual body weight (kg) used to convert vasopressor doses"
    )
    off_schedule_reason = models.TextField(blank=True)
    off_schedule_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    off_schedule_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    volume_given_ml = models.FloatField(null=True, blank=True)
    cells_given = models.FloatField(null=True, blank=True)
    particles_given = models.FloatField(null=True, blank=True)
    stop_reason = models.TextField(blank=True)
    stopping_hits = models.JSONField(default=list, blank=True)
    stop_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    stop_confirmed_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["scheduled_date", "sequence", "id"]
        indexes = [
            models.Index(fields=["patient", "scheduled_date"]),
            models.Index(fields=["status", "scheduled_date"]),
            # Worklists: stops awaiting a physician, sessions waiting for a unit (partial, so tiny).
            models.Index(
                fields=["scheduled_date"],
                condition=Q(status="stopped", stop_confirmed_by__isnull=True),
                name="session_stop_unconfirmed_idx",
            ),
            models.Index(
                fields=["scheduled_date"],
                condition=Q(status="scheduled", product__isnull=True),
                name="session_needs_unit_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["plan", "sequence"], name="session_once_per_plan_sequence"),
            models.CheckConstraint(condition=Q(status__in=SessionStatus.values), name="session_status_valid"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="session_sequence_from_1"),
            models.CheckConstraint(
                condition=Q(first_checker__isnull=True)
                | Q(second_checker__isnull=True)
                | ~Q(first_checker=F("second_checker")),
                name="session_identity_checkers_distinct",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=STARTED_STATES)
                | Q(
                    product__isnull=False,
                    first_checker__isnull=False,
                    second_checker__isnull=False,
                    started_at__isnull=False,
                ),
                name="session_started_needs_product_and_two_checks",
            ),
            models.CheckConstraint(
                condition=~Q(status=SessionStatus.STOPPED) | (~Q(stop_reason="") & Q(ended_at__isnull=False)),
                name="session_stopped_needs_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status=SessionStatus.COMPLETED)
                | Q(ended_at__isnull=False, volume_given_ml__isnull=False),
                name="session_completed_needs_amount",
            ),
            models.CheckConstraint(
                condition=Q(volume_given_ml__isnull=True) | Q(volume_given_ml__gte=0),
                name="session_volume_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(status=SessionStatus.STOPPED_EARLY)
                | (~Q(stop_reason="") & Q(ended_at__isnull=False, volume_given_ml__isnull=False)),
                name="session_stopped_early_needs_reason_and_amount",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True)
                | Q(started_at__isnull=True)
                | Q(ended_at__gte=F("started_at")),
                name="session_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(started_at__isnull=True)
                | Q(prepared_at__isnull=True)
                | Q(started_at__gte=F("prepared_at")),
                name="session_starts_after_preparation",
            ),
            models.CheckConstraint(
                condition=Q(
                    off_schedule_by__isnull=True, off_schedule_at__isnull=True, off_schedule_reason=""
                )
                | (
                    Q(off_schedule_by__isnull=False, off_schedule_at__isnull=False)
                    & ~Q(off_schedule_reason="")
                ),
                name="session_off_schedule_documented",
            ),
            models.CheckConstraint(
                condition=Q(weight_kg__isnull=True) | Q(weight_kg__gt=0),
                name="session_weight_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Administration {self.sequence} (day {self.protocol_day}) {self.scheduled_date:%Y-%m-%d}"

    @property
    def awaiting_stop_confirmation(self) -> bool:
        return self.status == SessionStatus.STOPPED and self.stop_confirmed_by_id is None


class IdentityCheck(models.Model):
    """One person's bedside check: the patient and product identifiers as scanned or typed."""

    session = models.ForeignKey(
        AdministrationSession, on_delete=models.PROTECT, related_name="identity_checks"
    )
    checker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    patient_identifier = models.CharField(max_length=60)
    product_identifier = models.CharField(max_length=60)
    matched = models.BooleanField()
    mismatch = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "checker"],
                condition=Q(matched=True),
                name="identity_check_once_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"Identity check by {self.checker_id}: {'match' if self.matched else 'MISMATCH'}"


class Interruption(models.Model):
    session = models.ForeignKey(AdministrationSession, on_delete=models.PROTECT, related_name="interruptions")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="interruption_needs_reason"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="interruption_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Interruption {self.started_at:%H:%M}: {self.reason}"


#: Vitals time points lie within the first day after the start (protocol ``vitals_minutes``).
MAX_SCHEDULED_MINUTE = 24 * 60


class VitalSigns(models.Model):
    """Vitals and events at one time point; the stopping rules are evaluated on each."""

    session = models.ForeignKey(AdministrationSession, on_delete=models.PROTECT, related_name="vitals")
    scheduled_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text="the protocol's vitals time point, minutes from the start"
    )
    minutes_since_start = models.FloatField()
    taken_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    values = models.JSONField(default=dict)
    hits = models.JSONField(default=list, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["minutes_since_start", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(minutes_since_start__gte=0), name="vitals_after_start"),
            models.CheckConstraint(
                condition=Q(scheduled_minute__isnull=True) | Q(scheduled_minute__lte=MAX_SCHEDULED_MINUTE),
                name="vitals_scheduled_minute_within_a_day",
            ),
            models.CheckConstraint(
                condition=Q(taken_at__lte=F("recorded_at") + RECORDING_SKEW),
                name="vitals_not_taken_after_recording",
            ),
        ]

    def __str__(self) -> str:
        return f"Vitals at {self.minutes_since_start:g} min"


class Relatedness(models.TextChoices):
    UNRELATED = "unrelated", "Not related"
    UNLIKELY = "unlikely", "Unlikely"
    POSSIBLE = "possible", "Possible"
    PROBABLE = "probable", "Probable"
    DEFINITE = "definite", "Definite"


class Outcome(models.TextChoices):
    ONGOING = "ongoing", "Not recovered / ongoing"
    RECOVERING = "recovering", "Recovering"
    RECOVERED = "recovered", "Recovered"
    RECOVERED_SEQUELAE = "sequelae", "Recovered with sequelae"
    FATAL = "fatal", "Fatal"
    UNKNOWN = "unknown", "Unknown"


class ActionTaken(models.TextChoices):
    NONE = "none", "None"
    INTERRUPTED = "interrupted", "Administration interrupted"
    STOPPED = "stopped", "Administration stopped"
    WITHDRAWN = "withdrawn", "Treatment withdrawn"
    TREATED = "treated", "Symptomatic treatment"


class Seriousness(models.TextChoices):
    """ICH E2A criteria for a serious adverse event."""

    DEATH = "death", "Results in death"
    LIFE_THREATENING = "life_threatening", "Life-threatening"
    HOSPITALISATION = "hospitalisation", "Requires or prolongs hospitalisation"
    DISABILITY = "disability", "Persistent or significant disability"
    CONGENITAL = "congenital", "Congenital anomaly"
    MEDICALLY_IMPORTANT = "medically_important", "Medically important event"


class AdverseEvent(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="adverse_events")
    session = models.ForeignKey(
        AdministrationSession, on_delete=models.PROTECT, null=True, blank=True, related_name="adverse_events"
    )
    # An event found at a follow-up visit (after the first administration) is linked to that visit.
    followup_visit = models.ForeignKey(
        "followup.FollowUpVisit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="adverse_events",
    )
    term = models.CharField(max_length=200)
    onset_at = models.DateTimeField()
    from_stopping_rule = models.BooleanField(default=False)
    stopping_rule_ids = models.JSONField(default=list, blank=True)
    ctcae_grade = models.PositiveSmallIntegerField(null=True, blank=True)
    serious = models.BooleanField(default=False)
    seriousness_criteria = models.JSONField(default=list, blank=True)
    relatedness = models.CharField(max_length=12, choices=Relatedness.choices, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.ONGOING)
    action_taken = models.CharField(max_length=12, choices=ActionTaken.choices, default=ActionTaken.NONE)
    expedited_review = models.BooleanField(default=False)
    description = models.TextField(blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(auto_now_add=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    graded_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-onset_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "onset_at"]),
            models.Index(fields=["onset_at"], condition=Q(ctcae_grade__isnull=True), name="ae_ungraded_idx"),
            models.Index(fields=["onset_at"], condition=Q(expedited_review=True), name="ae_expedited_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ctcae_grade__isnull=True) | Q(ctcae_grade__gte=1, ctcae_grade__lte=5),
                name="ae_ctcae_grade_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(ctcae_grade__isnull=True) | Q(graded_by__isnull=False, graded_at__isnull=False),
                name="ae_grade_needs_grader",
            ),
            models.CheckConstraint(
                condition=Q(serious=False) | Q(expedited_review=True),
                name="ae_serious_flagged_for_expedited_review",
            ),
            models.CheckConstraint(
                condition=~Q(ctcae_grade=5) | Q(outcome=Outcome.FATAL, serious=True),
                name="ae_grade5_is_fatal",
            ),
            models.CheckConstraint(condition=~Q(term=""), name="ae_term_required"),
            models.CheckConstraint(
                condition=Q(onset_at__lte=F("reported_at") + RECORDING_SKEW),
                name="ae_onset_not_after_report",
            ),
            models.CheckConstraint(
                condition=Q(relatedness="") | Q(relatedness__in=Relatedness.values),
                name="ae_relatedness_valid",
            ),
        ]

    def __str__(self) -> str:
        grade = f"G{self.ctcae_grade}" if self.ctcae_grade else "ungraded"
        return f"{self.term} ({grade}{', serious' if self.serious else ''})"
