from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    """One change to a clinical record: who, when, what, old → new, why.

    Append-only: the database itself refuses UPDATE and DELETE on this table
    (triggers installed by migration 0002), so no role, not even an
    administrator with a database shell through Django, can rewrite history.
    """

    # Set by ``audit_record`` under the chain lock, so times never go back along the chain.
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    # Denormalised so the trail stays readable even if a user is renamed.
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=100, db_index=True)
    object_id = models.CharField(max_length=64, db_index=True)
    site_id_at_event = models.BigIntegerField(null=True, db_index=True)
    patient_id_at_event = models.BigIntegerField(null=True, db_index=True)
    changes = models.JSONField(default=dict)
    reason = models.TextField(blank=True)
    # The screen (view name) or command the change came from.
    source = models.CharField(max_length=200, blank=True)
    # Hash chain (``stromal.audit.chain``): contiguous sequence, link, own hash.
    sequence = models.BigIntegerField(unique=True)
    previous_hash = models.CharField(max_length=64)
    event_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.object_type}#{self.object_id}"


class AuditChainHead(models.Model):
    """The chain's last link: one row, locked by every writer of the trail.

    Writers take ``SELECT ... FOR UPDATE`` on it, so concurrent transactions
    append one after the other and can never fork the chain; the unique
    ``AuditEvent.sequence`` refuses a fork even where the lock is a no-op
    (SQLite, which serialises writers anyway).
    """

    sequence = models.BigIntegerField(default=0)
    event_hash = models.CharField(max_length=64)
    at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"audit chain head at sequence {self.sequence}"


class CasebookLock(models.Model):
    """A patient's casebook, signed off and locked: no audited write may touch it.

    Kept beside the trail because every clinical write passes ``audit_record``,
    which refuses any event for a patient whose casebook is locked; so the lock
    holds for every screen, command and future API without each service
    remembering it. Unlocking (an administrator, with a reason) deletes the row
    and is itself audited.
    """

    patient_id = models.BigIntegerField(unique=True)
    site_id = models.BigIntegerField(db_index=True)
    locked_at = models.DateTimeField(default=timezone.now)
    locked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"casebook of patient {self.patient_id} locked"
