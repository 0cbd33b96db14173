"""The plan's ``awaiting_decision`` flag follows every service that changes the facts it stands for."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone

from stromal.plans.models import PlanStatus, TreatmentPlan
from stromal.plans.selectors import current_decision
from stromal.plans.services import consent_record, decision_record, plan_update, plan_withdraw
from tests.pathway.factories import approve, make_patient, make_plan

pytestmark = pytest.mark.django_db


def _flag(plan: TreatmentPlan) -> bool:
    return TreatmentPlan.objects.values_list("awaiting_decision", flat=True).get(pk=plan.pk)


def _awaiting_by_the_facts(plan: TreatmentPlan) -> bool:
    """The definition the flag stands for, read from the decisions themselves."""
    plan.refresh_from_db()
    if plan.status == PlanStatus.WITHDRAWN:
        return False
    latest = current_decision(plan)
    return latest is None or latest.decision == "defer"


def _consent(cast: Any, plan: TreatmentPlan) -> Any:
    return consent_record(
        plan=plan,
        user=cast.cora,
        given_by="Test Person",
        given_at=timezone.now(),
        witness_name="Nina Novak",
        information_sheet_version="IS-2.1",
    )


def test_a_new_plan_awaits_the_patients_decision(cast: Any) -> None:
    plan = make_plan(cast)
    assert _flag(plan) is True
    assert _awaiting_by_the_facts(plan) is True


def test_signing_does_not_change_whether_a_decision_is_awaited(cast: Any) -> None:
    plan = approve(cast, make_plan(cast))
    assert _flag(plan) is True


def test_the_flag_follows_decisions_edits_and_withdrawal(cast: Any) -> None:
    plan = approve(cast, make_plan(cast))
    steps: list[Callable[[], object]] = [
        lambda: decision_record(plan=plan, user=cast.cora, decision="defer"),
        lambda: decision_record(plan=plan, user=cast.cora, decision="decline"),
        lambda: decision_record(plan=plan, user=cast.cora, decision="defer"),
        lambda: decision_record(plan=plan, user=cast.alice, decision="accept", consent=_consent(cast, plan)),
        lambda: plan_update(
            plan=plan, user=cast.alice, version=plan.version, reason="dose review", notes="n"
        ),
        lambda: decision_record(plan=plan, user=cast.cora, decision="decline"),
        lambda: plan_withdraw(plan=plan, user=cast.alice, version=plan.version, reason="patient transferred"),
    ]
    seen = []
    for step in steps:
        step()
        seen.append(_flag(plan))
        assert _flag(plan) is _awaiting_by_the_facts(plan)
    assert seen == [True, False, True, False, True, False, False]


def test_a_decision_on_an_outdated_version_leaves_the_flag_alone(cast: Any) -> None:
    plan = make_plan(cast)
    stale = TreatmentPlan.objects.get(pk=plan.pk)
    plan_update(plan=plan, user=cast.alice, version=plan.version, reason="dose review", notes="n")
    decision_record(plan=stale, user=cast.cora, decision="decline")
    assert _flag(plan) is True
    assert _awaiting_by_the_facts(plan) is True


def test_the_database_refuses_a_withdrawn_plan_that_awaits_a_decision(cast: Any) -> None:
    plan = make_plan(cast)
    plan_withdraw(plan=plan, user=cast.alice, version=plan.version, reason="patient transferred")
    with pytest.raises(IntegrityError), transaction.atomic():
        TreatmentPlan.objects.filter(pk=plan.pk).update(awaiting_decision=True)


def test_the_migration_fills_the_flag_from_the_recorded_decisions(cast: Any) -> None:
    undecided = make_plan(cast, patient=make_patient(cast.cora, mrn="MRN-0001"))
    declined = make_plan(cast, patient=make_patient(cast.cora, mrn="MRN-0002"))
    decision_record(plan=declined, user=cast.cora, decision="decline")
    deferred = make_plan(cast, patient=make_patient(cast.cora, mrn="MRN-0003"))
    decision_record(plan=deferred, user=cast.cora, decision="decline")
    decision_record(plan=deferred, user=cast.cora, decision="defer")
    withdrawn = make_plan(cast, patient=make_patient(cast.cora, mrn="MRN-0004"))
    plan_withdraw(plan=withdrawn, user=cast.alice, version=withdrawn.version, reason="patient transferred")
    TreatmentPlan.objects.update(awaiting_decision=False)

    migration = importlib.import_module("stromal.plans.migrations.0002_plan_awaiting_decision")
    migration.fill_awaiting_decision(apps, None)

    assert [_flag(p) for p in (undecided, declined, deferred, withdrawn)] == [True, False, True, False]
