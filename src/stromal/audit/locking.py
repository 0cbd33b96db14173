"""Optimistic locking for mutable clinical records.

Each mutable record carries ``version``; a form sends back the version it was
opened at, and the update succeeds only if nobody saved in between. The
second of two concurrent saves is refused with ``STALE_EDIT`` instead of
silently overwriting the first.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F

STALE_EDIT = "Someone else changed this record since you opened it; reload and re-apply your changes."


class StaleEditError(ValidationError):
    """The record changed since the editor opened it."""

    def __init__(self) -> None:
        super().__init__(STALE_EDIT, code="stale_edit")


def update_versioned(instance: models.Model, *, expected_version: int, **fields: Any) -> None:
    """Save ``fields`` on ``instance`` only if its stored version is still ``expected_version``.

    Bumps the version by one, updates ``instance`` in memory, and raises
    ``StaleEditError`` if another save got there first.
    """
    model = type(instance)
    updated = model._default_manager.filter(pk=instance.pk, version=expected_version).update(
        version=F("version") + 1, **fields
    )
    if updated != 1:
        raise StaleEditError()
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.version = expected_version + 1  # type: ignore[attr-defined]


def check_version(instance: models.Model, *, expected_version: int) -> None:
    """Refuse early when the in-memory record is already newer than the form."""
    if getattr(instance, "version", None) != expected_version:
        raise StaleEditError()
