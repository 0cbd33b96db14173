"""Eligibility, treatment plans, the plan meeting, consent and signatures.

Approval needs two distinct physicians' electronic signatures (21 CFR Part
11 style: re-authentication, printed name, date-time, meaning). The plan
keeps who signed first and second, so the database itself refuses an
"approved" plan without two different signers. The decision is the
patient's; an accept decision needs recorded consent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from stromal.accounts.zones import format_when
from stromal.examinations.models import Encounter
from stromal.patients.models import Patient, RelatedPerson
from stromal.protocols.models import ProtocolVersion

SIGNATURE_MEANING = "approved treatment plan"
CONVENTIONAL_OPTION = "conventional"


class EligibilityCheck(models.Model):
    """A snapshot of the protocol's criteria evaluated on one examination."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="eligibility_checks")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="eligibility_checks")
    protocol_version = models.ForeignKey(ProtocolVersion, on_delete=models.PROTECT, related_name="+")
    inputs = models.JSONField()
    results = models.JSONField()  # [{code, description, status, observed}]
    eligible = models.BooleanField(null=True)  # None: undecided (missing data)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField(auto_now_add=True)
    override = models.BooleanField(default=False)
    override_reason = models.TextField(blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["checked_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(override=False) | (~Q(override_reason="") & Q(overridden_by__isnull=False)),
                name="eligibility_override_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Eligibility #{self.pk} for {self.protocol_version_id}: {self.eligible}"

    @property
    def proceed(self) -> bool:
        return bool(self.eligible) or self.override


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft (awaiting signatures)"
    APPROVED = "approved", "Approved"
    WITHDRAWN = "withdrawn", "Withdrawn"
    SUPERSEDED = "superseded", "Superseded by a later revision"


class TreatmentPlan(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="plans")
    protocol_version = models.ForeignKey(ProtocolVersion, on_delete=models.PROTECT, related_name="plans")
    arm_name = models.CharField(max_length=60)
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="plans")
    eligibility_check = models.ForeignKey(EligibilityCheck, on_delete=models.PROTECT, related_name="plans")
    start_date = models.DateField(help_text="day 0 of the protocol (the examination day)")
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    # Inputs and result of the dose calculation, frozen with the plan.
    sex = models.CharField(max_length=10)
    height_cm = models.FloatField(null=True, blank=True)
    weight_kg = models.FloatField(null=True, blank=True)
    dose = models.JSONField(default=dict)
    notes = models.TextField(blank=True)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    # Denormalised from the active signatures so the database can hold the two-signer rule.
    first_signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    second_signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    # Denormalised "the patient's decision on the plan as it stands is missing or a defer",
    # kept by the plan services (draft, update, withdraw, decision) in the same transaction,
    # so the worklist finds these plans through a small partial index instead of anti-joins
    # over every plan and decision.
    awaiting_decision = models.BooleanField(default=False)
    # Once the first administration has started, the arm and dose are fixed; a change is a
    # new plan row (a revision) that supersedes this one once two physicians sign it. What was
    # given stays with the plan it was given under (``plans.services.plan_revise``).
    supersedes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="revisions"
    )
    revision = models.PositiveIntegerField(default=1)
    change_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["-created_at", "-id"],
                condition=Q(awaiting_decision=True),
                name="plan_awaiting_decision",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PlanStatus.values), name="plan_status_valid"),
            models.CheckConstraint(
                condition=Q(awaiting_decision=False) | Q(status__in=[PlanStatus.DRAFT, PlanStatus.APPROVED]),
                name="plan_awaiting_decision_only_live",
            ),
            models.CheckConstraint(
                condition=~Q(status=PlanStatus.APPROVED)
                | Q(first_signer__isnull=False, second_signer__isnull=False, approved_at__isnull=False),
                name="plan_approved_needs_two_signatures",
            ),
            models.CheckConstraint(
                condition=Q(first_signer__isnull=True)
                | Q(second_signer__isnull=True)
                | ~Q(first_signer=F("second_signer")),
                name="plan_signers_distinct",
            ),
            models.CheckConstraint(
                condition=Q(second_signer__isnull=True) | Q(first_signer__isnull=False),
                name="plan_second_signer_after_first",
            ),
            # One plan in force and at most one draft (a new plan, or a revision of the one in
            # force); plan_draft refuses a second course while one is live.
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status=PlanStatus.APPROVED),
                name="plan_one_approved_per_patient",
            ),
            models.UniqueConstraint(
                fields=["patient"], condition=Q(status=PlanStatus.DRAFT), name="plan_one_draft_per_patient"
            ),
            models.CheckConstraint(
                condition=Q(supersedes__isnull=True, revision=1)
                | (Q(supersedes__isnull=False, revision__gte=2) & ~Q(change_reason="")),
                name="plan_revision_has_predecessor_and_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Plan #{self.pk} {self.protocol_version} / {self.arm_name} ({self.status})"

    @property
    def is_approved(self) -> bool:
        return self.status == PlanStatus.APPROVED


class PlanSignature(models.Model):
    """An electronic signature: signer, printed name, date-time, meaning, plan version signed."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="signatures")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    printed_name = models.CharField(max_length=200)
    meaning = models.CharField(max_length=100, default=SIGNATURE_MEANING)
    signed_at = models.DateTimeField(auto_now_add=True)
    plan_version = models.PositiveIntegerField()
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "signer"],
                condition=Q(voided_at__isnull=True),
                name="signature_once_per_signer",
            ),
            models.CheckConstraint(condition=~Q(printed_name=""), name="signature_printed_name"),
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True) | ~Q(void_reason=""), name="signature_void_needs_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.printed_name}, {self.meaning}, {format_when(self.signed_at)}"


class PlanMeeting(models.Model):
    """The discussion with the patient, family and physicians (same day as the examination)."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="meetings")
    held_at = models.DateTimeField()
    patient_present = models.BooleanField(default=True)
    physicians = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    family_members = models.ManyToManyField(RelatedPerson, blank=True, related_name="meetings")
    options_discussed = models.JSONField()  # arm names; always includes "conventional"
    conventional_option_discussed = models.BooleanField(default=True)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["held_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(conventional_option_discussed=True), name="meeting_discusses_conventional_option"
            ),
        ]

    def __str__(self) -> str:
        return f"Plan meeting {format_when(self.held_at)}"


class Consent(models.Model):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="consents")
    given_by = models.CharField("consent given by", max_length=200)
    given_by_relationship = models.CharField(max_length=60, default="self")
    given_at = models.DateTimeField()
    witness_name = models.CharField(max_length=200)
    information_sheet_version = models.CharField(max_length=40)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # A second consent on a plan (or its revisions) is a re-consent and says why (issue #8);
    # the earlier consents stay, shown in the plan's consent history.
    reason = models.TextField("reason for the re-consent", blank=True)

    class Meta:
        ordering = ["given_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(given_by="") & ~Q(witness_name="") & ~Q(information_sheet_version=""),
                name="consent_who_witness_sheet",
            ),
        ]

    def __str__(self) -> str:
        return f"Consent by {self.given_by} ({self.information_sheet_version})"


class Decision(models.TextChoices):
    ACCEPT = "accept", "Accept"
    DECLINE = "decline", "Decline (conventional treatment only)"
    DEFER = "defer", "Defer"


class PatientDecision(models.Model):
    """The patient's decision on a plan version. The latest one for the current version counts."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="decisions")
    plan_version = models.PositiveIntegerField()
    decision = models.CharField(max_length=10, choices=Decision.choices)
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    meeting = models.ForeignKey(
        PlanMeeting, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["decided_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(decision__in=Decision.values), name="decision_valid"),
            models.CheckConstraint(
                condition=~Q(decision=Decision.ACCEPT) | Q(consent__isnull=False),
                name="decision_accept_needs_consent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.decision} on plan #{self.plan_id} v{self.plan_version}"
