"""Remembered scope-wide rows: reused while the registry is unchanged, recomputed after any write."""

from __future__ import annotations

from typing import Any

import pytest

from stromal.outcomes import memo
from stromal.outcomes.scope import Scope
from stromal.patients.services import patient_update
from tests.outcomes.factories import TODAY, Course, make_course
from tests.pathway.factories import make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def memory_on(settings: Any) -> Any:
    settings.STROMAL_ANALYTICS_CACHE_SECONDS = 600
    memo.forget()
    yield
    memo.forget()


def _counting() -> tuple[list[int], Any]:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    return calls, compute


def test_rows_are_computed_once_while_nothing_changes(memory_on: Any, cast: Any) -> None:
    calls, compute = _counting()
    scope = Scope(frozenset({cast.alice.site_id}))
    assert memo.remembered("x", scope, compute) == memo.remembered("x", scope, compute) == 1
    assert len(calls) == 1
    assert memo.remembered("x", Scope(None), compute) == 2  # another scope is another entry


def test_a_write_through_the_services_is_seen_at_once(memory_on: Any, cast: Any) -> None:
    patient = make_patient(cast.cora)
    calls, compute = _counting()
    scope = Scope(None)
    memo.remembered("x", scope, compute)
    patient_update(
        patient=patient, user=cast.cora, version=patient.version, height_cm=170.0, reason="measured"
    )
    memo.remembered("x", scope, compute)
    assert len(calls) == 2


def test_rows_added_around_the_services_are_seen_at_once(memory_on: Any, cast: Any) -> None:
    calls, compute = _counting()
    memo.remembered("x", Scope(None), compute)
    make_course(cast, Course("MEMO-1", TODAY.replace(year=2025)))
    memo.remembered("x", Scope(None), compute)
    assert len(calls) == 2


def test_zero_seconds_keeps_nothing(settings: Any, cast: Any) -> None:
    settings.STROMAL_ANALYTICS_CACHE_SECONDS = 0
    calls, compute = _counting()
    memo.remembered("x", Scope(None), compute)
    memo.remembered("x", Scope(None), compute)
    assert len(calls) == 2
