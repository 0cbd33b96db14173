"""Treatment protocols stored as versioned records of plain data.

Each record keeps the plain-data definition that ``stromal.clinical.protocol``
reads, so the clinic's protocol and an in-silico arm are the same object.
A version that a patient's plan has used is immutable; a change is a new
version, and a patient's course keeps the version it started with.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from stromal.clinical.protocol import Protocol, protocol_from_dict


def definition_from_protocol(protocol: Protocol) -> dict[str, Any]:
    """The plain data ``protocol_from_dict`` reads back (``arms`` is spelled ``arm`` there)."""
    data = protocol.to_dict()
    if "arms" in data:
        data["arm"] = data.pop("arms")
    return data


class ProtocolVersion(models.Model):
    code = models.SlugField(max_length=80)
    version = models.CharField(max_length=20)
    title = models.CharField(max_length=300)
    source = models.TextField()
    definition = models.JSONField()
    builtin = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when a plan first uses this version; from then on it never changes.
    first_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["code", "version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="protocol_code_version_unique"),
            models.CheckConstraint(condition=~Q(code="") & ~Q(version=""), name="protocol_code_version_set"),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    @property
    def in_use(self) -> bool:
        return self.first_used_at is not None

    def to_protocol(self) -> Protocol:
        return protocol_from_dict(self.definition)
