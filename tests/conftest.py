"""Shared fixtures: the named cast of users and strict numerics."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

import numpy as np
import pytest
import time_machine
from hypothesis import settings as hypothesis_settings

# Playwright's sync API runs an event loop in the test thread; Django's ORM
# refuses to run in a thread with a running loop unless told it is safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

np.seterr(all="raise", under="ignore")

# Property tests check values, not speed (speed is measured in benchmarks/): on a
# loaded 2-core CI machine a 200 ms per-example deadline fails correct code at random.
hypothesis_settings.register_profile("stromal", deadline=None)
hypothesis_settings.load_profile("stromal")


#: UTC hours in which the suite runs on the real clock. The factories build a course that spans a
#: few hours of today (Day-1 examination, then meeting, consent, thaw and an infusion of at least
#: 60 minutes), and the services rightly refuse a meeting dated before day 0: run between midnight
#: and 04:00 UTC, the factories' "4 hours ago" fell on yesterday and hundreds of tests failed.
DAYTIME_UTC_HOURS = range(6, 22)


def daytime_destination(now: dt.datetime) -> dt.datetime | None:
    """Where the suite's clock moves to: ``None`` in daytime, else the next 12:00 UTC (always forward,
    so cookies and tokens the server issues never look expired to the browser's real clock)."""
    if now.hour in DAYTIME_UTC_HOURS:
        return None
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    return noon if noon > now else noon + dt.timedelta(days=1)


@pytest.fixture(autouse=True, scope="session")
def _daytime_clock() -> Iterator[None]:
    """Run the suite at a daytime hour (the clock ticks on from there; time-machine moves every
    clock of this process, the database's timestamps come from it too)."""
    destination = daytime_destination(dt.datetime.now(dt.UTC))
    if destination is None:
        yield
        return
    with time_machine.travel(destination, tick=True):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    """The production hasher costs ~0.3 s per password and the cast has nine users.
    Tests that check re-authentication still verify real passwords, just hashed faster."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_second_factor_required(settings):  # type: ignore[no-untyped-def]
    """The suite's many sign-ins use a password only; tests/mfa set ``MFA_REQUIRED_ROLES`` themselves
    (production requires it for physicians and administrators, see stromal.settings)."""
    settings.MFA_REQUIRED_ROLES = frozenset()


@pytest.fixture
def site(db):  # type: ignore[no-untyped-def]
    from stromal.accounts.models import Site

    return Site.objects.create(code="north", name="North Clinic")


@pytest.fixture
def other_site(db):  # type: ignore[no-untyped-def]
    from stromal.accounts.models import Site

    return Site.objects.create(code="south", name="South Clinic")


PASSWORD = "correct-horse-battery-staple"


def _make_user(username: str, role: str, site, printed_name: str):  # type: ignore[no-untyped-def]
    from stromal.accounts.models import User

    return User.objects.create_user(
        username=username, password=PASSWORD, role=role, site=site, printed_name=printed_name
    )


@pytest.fixture
def cast(site, other_site):  # type: ignore[no-untyped-def]
    """The named cast: two physicians who sign plans and a third who drafts them (the
    drafter never signs: segregation of duties), a nurse, a coordinator, lab, monitor,
    investigator, admin at the North site, and an outsider physician at South."""

    class Cast:
        alice = _make_user("alice", "physician", site, "Dr Alice Adams")
        bob = _make_user("bob", "physician", site, "Dr Bob Brown")
        dora = _make_user("dora", "physician", site, "Dr Dora Drafter")
        nina = _make_user("nina", "nurse", site, "Nina Novak, RN")
        cora = _make_user("cora", "coordinator", site, "Cora Clark")
        luke = _make_user("luke", "lab", site, "Luke Lee")
        mona = _make_user("mona", "monitor", site, "Mona Moss")
        ivan = _make_user("ivan", "investigator", site, "Ivan Ivanov")
        ada = _make_user("ada", "admin", site, "Ada Admin")
        oscar = _make_user("oscar", "physician", other_site, "Dr Oscar Out")
        password = PASSWORD

    return Cast


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """Lift the audit trail's append-only guard in the throw-away test database.

    Transactional (browser) tests empty every table between tests, which the
    guard rightly refuses. ``tests/audit/test_append_only.py`` reinstalls the
    very same guard inside its own transaction and proves it holds.
    """
    from django.db import connection

    from stromal.audit.db_guard import remove_append_only_guard

    with django_db_blocker.unblock():
        remove_append_only_guard(connection)
