"""Consultation requests from the public form, and their triage."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from stromal.accounts.models import Site
from stromal.patients.models import Patient


class RequestStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    SCHEDULED = "scheduled", "Scheduled"
    CONVERTED = "converted", "Converted to patient"
    DECLINED = "declined", "Declined"


class ContactMethod(models.TextChoices):
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone"
    OTHER = "other", "Another way"


# Allowed triage moves; converting happens only through ``request_convert``.
TRANSITIONS: dict[str, frozenset[str]] = {
    RequestStatus.NEW: frozenset({RequestStatus.CONTACTED, RequestStatus.SCHEDULED, RequestStatus.DECLINED}),
    RequestStatus.CONTACTED: frozenset({RequestStatus.SCHEDULED, RequestStatus.DECLINED}),
    RequestStatus.SCHEDULED: frozenset({RequestStatus.CONTACTED, RequestStatus.DECLINED}),
    RequestStatus.CONVERTED: frozenset(),
    RequestStatus.DECLINED: frozenset(),
}

OPEN_STATUSES = (RequestStatus.NEW, RequestStatus.CONTACTED, RequestStatus.SCHEDULED)

# Length limits of every field of the public form (characters). The form refuses
# longer values with a message naming the field; the model (full_clean in the
# service) and the database (varchar on PostgreSQL, a check constraint for the
# free text) refuse them too. A page of text is enough to describe a condition.
NAME_MAX_CHARS = 200
EMAIL_MAX_CHARS = 254  # RFC 5321 path limit, Django's EmailField default
PHONE_MAX_CHARS = 40
CONTACT_OTHER_MAX_CHARS = 200
CONDITION_MAX_CHARS = 5000


class ConsultationRequest(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="consultation_requests")
    full_name = models.CharField(max_length=NAME_MAX_CHARS)
    contact_method = models.CharField(max_length=10, choices=ContactMethod.choices)
    email = models.EmailField(max_length=EMAIL_MAX_CHARS, blank=True)
    phone = models.CharField(max_length=PHONE_MAX_CHARS, blank=True)
    contact_other = models.CharField("other way to reach you", max_length=CONTACT_OTHER_MAX_CHARS, blank=True)
    condition = models.TextField("the condition in your words", max_length=CONDITION_MAX_CHARS)
    status = models.CharField(max_length=12, choices=RequestStatus.choices, default=RequestStatus.NEW)
    decline_reason = models.TextField(blank=True)
    triage_notes = models.TextField(blank=True)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    patient = models.OneToOneField(
        Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="consultation_request"
    )
    # Salted hash of the sender's address, kept only for the rate limit.
    sender_key = models.CharField(max_length=64, db_index=True, blank=True)
    synthetic = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=RequestStatus.values), name="request_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=RequestStatus.DECLINED) | ~Q(decline_reason=""),
                name="request_declined_needs_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status=RequestStatus.CONVERTED) | Q(patient__isnull=False),
                name="request_converted_needs_patient",
            ),
            models.CheckConstraint(
                condition=(Q(contact_method=ContactMethod.EMAIL) & ~Q(email=""))
                | (Q(contact_method=ContactMethod.PHONE) & ~Q(phone=""))
                | (Q(contact_method=ContactMethod.OTHER) & ~Q(contact_other="")),
                name="request_contact_given",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("condition"), CONDITION_MAX_CHARS),
                name="request_condition_length",
                violation_error_message=f"Describe the condition in at most {CONDITION_MAX_CHARS} characters.",
            ),
        ]
        indexes = [
            models.Index(fields=["site", "status", "created_at"]),
            # The triage queue and the coordinator's worklist: open requests, oldest first, a page
            # at a time. Partial, so it holds only what is still to triage.
            models.Index(
                fields=["site", "created_at", "id"],
                condition=Q(status__in=["new", "contacted", "scheduled"]),
                name="request_open_queue_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Request #{self.pk} {self.full_name} ({self.status})"

    @property
    def contact_text(self) -> str:
        return {"email": self.email, "phone": self.phone}.get(self.contact_method, self.contact_other)


class SenderLock(models.Model):
    """One row per sender key, locked (SELECT ... FOR UPDATE) while a public submission
    counts the sender's recent requests and saves its own, so parallel posts from one
    address cannot all pass the rate limit (``request_submit``)."""

    key = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return f"Sender {self.key[:8]}"
