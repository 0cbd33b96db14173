"""Scope-wide facts kept between requests while the registry has not changed.

An analytics page reads tens of thousands of rows of its reader's sites and then keeps
only the cohort's. Those rows are the same for every cohort and every page until the
registry changes, so each process keeps them, keyed by the reader's sites and by a
*data stamp*: the audit trail's last sequence number (every write through the services
moves it, ``docs/decisions/0002``) and the highest id of every table the analytics read
(rows loaded around the services, a bulk import for one, move those). One cheap query
reads the stamp; a page after any change recomputes. Entries also expire after
``STROMAL_ANALYTICS_CACHE_SECONDS`` (0 turns the memory off, as the tests do).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, models

from stromal.administrations.models import AdministrationSession, AdverseEvent, VitalSigns
from stromal.audit.models import AuditChainHead
from stromal.examinations.models import Assessment, Encounter, Observation
from stromal.followup.models import Discharge, FollowUpVisit
from stromal.intake.models import ConsultationRequest
from stromal.outcomes.scope import Scope
from stromal.patients.models import Patient
from stromal.plans.models import EligibilityCheck, PatientDecision, TreatmentPlan
from stromal.products.models import ProductLot

T = TypeVar("T")
#: Tables whose new rows change what the analytics show (add the follow-up instrument tables here).
WATCHED: tuple[type[models.Model], ...] = (
    Patient,
    Encounter,
    Observation,
    Assessment,
    EligibilityCheck,
    TreatmentPlan,
    PatientDecision,
    AdministrationSession,
    VitalSigns,
    AdverseEvent,
    Discharge,
    FollowUpVisit,
    ConsultationRequest,
    ProductLot,
)
MAX_ENTRIES = 64
_store: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
_lock = threading.Lock()


def data_stamp() -> tuple[Any, ...]:
    """The audit trail's last sequence and every watched table's highest id, in one query."""
    quote = connection.ops.quote_name
    parts = [f"(SELECT MAX({quote('sequence')}) FROM {quote(AuditChainHead._meta.db_table)})"]
    parts += [f"(SELECT MAX({quote('id')}) FROM {quote(m._meta.db_table)})" for m in WATCHED]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        row = cursor.fetchone()
    return tuple(row or ())


def remembered(name: str, scope: Scope, compute: Callable[[], T], *extra: Hashable) -> T:
    """``compute()``, or what it gave for the same scope and data (and ``extra``) a moment ago."""
    seconds = int(getattr(settings, "STROMAL_ANALYTICS_CACHE_SECONDS", 0))
    if seconds <= 0:
        return compute()
    sites = None if scope.site_ids is None else tuple(sorted(scope.site_ids))
    key = (name, sites, connection.alias, data_stamp(), *extra)
    now = time.monotonic()
    with _lock:
        hit = _store.get(key)
        if hit is not None and hit[0] > now:
            _store.move_to_end(key)
            value: T = hit[1]
            return value
    value = compute()
    with _lock:
        _store[key] = (now + seconds, value)
        while len(_store) > MAX_ENTRIES:
            _store.popitem(last=False)
    return value


def forget() -> None:
    """Drop everything remembered (for tests and benchmarks)."""
    with _lock:
        _store.clear()


def rows_of(name: str, scope: Scope, queryset: Any, *extra: Hashable) -> list[Any]:
    """The rows of ``queryset`` (a scope-wide ``values`` or ``values_list``), remembered like ``remembered``."""
    return remembered(name, scope, lambda: list(queryset), *extra)
