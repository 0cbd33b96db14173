"""Checks every pathway service makes before it writes, and the audit helper.

Services re-check what views check (role, site) so a write is refused even
when called from a shell, a task or a future API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest

from stromal.accounts.models import User
from stromal.accounts.roles import Role
from stromal.audit.services import audit_record, diff, snapshot
from stromal.patients.models import Patient

ROLE_REFUSED = "Your role ({role}) may not {action}."
OTHER_SITE = "This record belongs to another site."
NO_SITE = "Your account has no site; ask an administrator to assign one."


def site_id_of(user: User) -> int:
    """The user's site; a user without a site sees no clinical record at all."""
    if user.site_id is None:
        raise PermissionDenied(NO_SITE)
    return user.site_id


def require_role(user: User, action: str, *roles: Role) -> None:
    """Refuse unless ``user`` is active and holds one of ``roles`` (read-only roles never pass)."""
    if not (user.is_active and user.role in {r.value for r in roles}):
        raise PermissionDenied(ROLE_REFUSED.format(role=user.role or "none", action=action))


def require_site(user: User, site_id: int | None) -> None:
    """Another site's record looks like no record at all (404), never a hint that it exists."""
    if site_id is None or user.site_id != site_id:
        raise Http404(OTHER_SITE)


def require_patient_access(user: User, patient: Patient) -> None:
    require_site(user, patient.site_id)


def audit_change(
    *,
    actor: User | None,
    action: str,
    instance: models.Model,
    before: Mapping[str, Any] | None,
    patient: Patient | None,
    reason: str = "",
    site_id: int | None = None,
) -> None:
    """Append old → new of ``instance`` to the audit trail (``before`` None: a creation)."""
    after = snapshot(instance)
    changes = diff(before or {}, after)
    audit_record(
        actor=actor,
        action=action,
        instance=instance,
        changes=changes,
        reason=reason,
        site_id=site_id if site_id is not None else (patient.site_id if patient else None),
        patient_id=patient.pk if patient else None,
    )


def request_user(request: HttpRequest) -> User:
    """The signed-in user of a view already wrapped in ``role_required``."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("Sign in first.")
    return user
