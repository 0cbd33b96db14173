"""Per-user API tokens. Only a SHA-256 hash of the token is stored; its prefix finds it.

A token acts as its user: the same role and site as that user has on the
pages, checked on every request. Revoking is final (a new token is issued
instead of un-revoking), and every use is appended to the audit trail.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="what the token is for, e.g. 'laboratory interface'")
    # The public part of the token, shown in lists and used to find the row (never secret on its own).
    prefix = models.CharField(max_length=16, unique=True)
    # SHA-256 (hex) of the whole token; the token itself is shown once and never stored.
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoke_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="api_token_name_required"),
            models.CheckConstraint(
                condition=Q(token_hash__regex=r"^[0-9a-f]{64}$"), name="api_token_hash_is_sha256_hex"
            ),
        ]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "active"
        return f"API token {self.prefix}… of user {self.user_id} ({state})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
