"""The claimed submission tokens (see the package docstring)."""

from __future__ import annotations

from django.db import models

TOKEN_MAX_LENGTH = 64


class Submission(models.Model):
    """A form submission that was carried out; its token can never run the view again."""

    token = models.CharField(max_length=TOKEN_MAX_LENGTH, unique=True)
    path = models.CharField(max_length=500)
    # Where the first submission's redirect went: where a repeat is sent.
    location = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # SHA-256 of user, path and typed values (``middleware.form_fingerprint``); "" when anonymous.
    fingerprint = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Submission to {self.path} at {self.created_at:%Y-%m-%d %H:%M}"
