"""The security log: who signed in, out, or failed to, from where; and what administrators did about it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class SecurityEventKind(models.TextChoices):
    SIGN_IN = "sign_in", "Signed in"
    SIGN_OUT = "sign_out", "Signed out"
    SIGN_IN_FAILED = "sign_in_failed", "Failed sign-in"
    SIGNATURE_FAILED = "signature_failed", "Failed signature (password re-entry)"
    UNLOCK = "unlock", "Unlocked by an administrator"
    PASSWORD_LINK = "password_link", "Password link issued"
    PASSWORD_SET = "password_set", "Password set through a link"


class SecurityEvent(models.Model):
    """One entry of the security log (OWASP ASVS 7.2.1: every authentication decision is logged).

    Never changed or deleted by the application. ``username`` is what was typed
    (cut to what an account can hold), ``user`` the account it names, if any;
    ``site_id`` that account's site at the time, so each site's administrator
    reads their own site's entries and those that name no account.
    ``locked_out`` marks a failure after which (or during which) the account or
    the address was locked (django-axes).
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=20, choices=SecurityEventKind.choices)
    username = models.CharField(max_length=150, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    site_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    path = models.CharField(max_length=255, blank=True)
    locked_out = models.BooleanField(default=False)
    # For an administrator's action: who did it, and what (the reason is in the audit trail).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["site_id", "-at"]), models.Index(fields=["kind", "-at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=SecurityEventKind.values), name="staff_security_event_kind_known"
            )
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.username}"
