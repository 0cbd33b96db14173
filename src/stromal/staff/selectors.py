"""Reads of administration: the site's accounts, the sites, the security log, held lockouts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from stromal.accounts.models import Site, User
from stromal.patients.guards import OTHER_SITE, site_id_of
from stromal.staff.models import SecurityEvent


def site_users(*, admin: User, search: str = "", active: bool | None = None) -> QuerySet[User]:
    """The accounts of the administrator's site, by username; ``search`` in username or names."""
    users = User.objects.filter(site_id=site_id_of(admin)).select_related("site").order_by("username")
    if active is not None:
        users = users.filter(is_active=active)
    for word in search.split()[:4]:
        users = users.filter(
            Q(username__icontains=word)
            | Q(printed_name__icontains=word)
            | Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
        )
    return users


def site_user_get(*, admin: User, user_id: int) -> User:
    """An account of the administrator's site; another site's looks like none (404)."""
    return get_object_or_404(User.objects.select_related("site"), pk=user_id, site_id=site_id_of(admin))


def sites_list() -> QuerySet[Site]:
    """Every site with its number of active accounts (site settings are not clinical data)."""
    return Site.objects.annotate(active_users=Count("users", filter=Q(users__is_active=True))).order_by(
        "code"
    )


def own_site(*, admin: User, site_id: int) -> Site:
    """The administrator's own site; any other is 404 (its own administrator changes it)."""
    if site_id != site_id_of(admin):
        raise Http404(OTHER_SITE)
    return get_object_or_404(Site, pk=site_id)


@dataclass(frozen=True)
class SecurityFilters:
    kind: str = ""
    username: str = ""
    address: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    locked_out_only: bool = False


def security_events(*, admin: User, filters: SecurityFilters) -> QuerySet[SecurityEvent]:
    """The security log the administrator reads, newest first: their site's entries and those
    that name no account (a mistyped or guessed username belongs to no site)."""
    events = SecurityEvent.objects.filter(Q(site_id=site_id_of(admin)) | Q(site_id__isnull=True))
    if filters.kind:
        events = events.filter(kind=filters.kind)
    if filters.username:
        events = events.filter(username__icontains=filters.username)
    if filters.address:
        events = events.filter(ip_address=filters.address)
    if filters.date_from is not None:
        events = events.filter(at__date__gte=filters.date_from)
    if filters.date_to is not None:
        events = events.filter(at__date__lte=filters.date_to)
    if filters.locked_out_only:
        events = events.filter(locked_out=True)
    return events.select_related("user", "actor").order_by("-at", "-id")


@dataclass(frozen=True)
class HeldFailures:
    """Failed attempts django-axes holds for one username and address (a lock once at the limit)."""

    username: str
    address: str
    failures: int
    last_attempt: dt.datetime
    path: str
    locked: bool
    known_account: bool


def held_failures(*, admin: User) -> list[HeldFailures]:
    """Failures held against accounts of the administrator's site or names that are no account,
    most recent first; ``locked`` once they reach ``AXES_FAILURE_LIMIT``."""
    site = site_id_of(admin)
    attempts = list(AccessAttempt.objects.order_by("-attempt_time")[:500])
    usernames = {a.username for a in attempts if a.username}
    owners = dict(User.objects.filter(username__in=usernames).values_list("username", "site_id"))
    limit = int(settings.AXES_FAILURE_LIMIT)
    rows = []
    for attempt in attempts:
        name = attempt.username or ""
        if name in owners and owners[name] != site:
            continue
        rows.append(
            HeldFailures(
                username=name,
                address=attempt.ip_address or "",
                failures=attempt.failures_since_start,
                last_attempt=attempt.attempt_time,
                path=attempt.path_info,
                locked=attempt.failures_since_start >= limit,
                known_account=name in owners,
            )
        )
    return rows
