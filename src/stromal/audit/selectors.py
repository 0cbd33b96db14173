from __future__ import annotations

from django.db import models
from django.db.models import QuerySet

from stromal.audit.models import AuditEvent


def audit_for_object(instance: models.Model) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(object_type=instance._meta.label_lower, object_id=str(instance.pk))


def audit_for_patient(patient_id: int) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(patient_id_at_event=patient_id)
