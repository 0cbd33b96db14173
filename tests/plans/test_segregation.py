"""Segregation of duties: the physician who drafted a plan is not one of its two signers, unless
the plan's protocol turns the rule off (a protocol setting, on by default)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from stromal.clinical.protocol import ProtocolError, protocol_from_dict
from stromal.pathway.worklist import worklist
from stromal.plans.models import PlanStatus
from stromal.plans.services import DRAFTER_SIGNS, eligibility_check, plan_draft, plan_sign
from stromal.protocols.services import protocol_add_version
from tests.conftest import PASSWORD
from tests.pathway.factories import make_examination, make_patient, make_plan, protocol

pytestmark = pytest.mark.django_db


def _signers_awaited(user: Any) -> list[str]:
    sections = {s.key: s for s in worklist(user=user).sections}
    return [line.url for line in sections["wl-sign"].lines] if "wl-sign" in sections else []


def test_the_drafter_cannot_sign_their_own_plan(cast: Any) -> None:
    plan = make_plan(cast)
    assert plan.drafted_by == cast.dora
    with pytest.raises(ValidationError) as refused:
        plan_sign(plan=plan, physician=cast.dora, password=PASSWORD, version=plan.version)
    assert refused.value.messages == [DRAFTER_SIGNS.format(protocol=plan.protocol_version)]
    assert not plan.signatures.exists()
    plan_sign(plan=plan, physician=cast.alice, password=PASSWORD, version=plan.version)
    plan_sign(plan=plan, physician=cast.bob, password=PASSWORD, version=plan.version)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED


def test_the_drafter_sees_no_sign_button_and_a_post_is_refused_with_the_reason(cast: Any) -> None:
    plan = make_plan(cast)
    client = Client()
    client.force_login(cast.dora)
    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert reverse("plans:sign", args=[plan.pk]) not in page
    assert "Drafted by Dr Dora Drafter; two other physicians sign" in page
    response = client.post(
        reverse("plans:sign", args=[plan.pk]), {"version": 1, "username": "dora", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "You drafted this plan" in response.content.decode()
    assert not plan.signatures.exists()


def test_the_drafters_worklist_does_not_ask_them_to_sign(cast: Any) -> None:
    plan = make_plan(cast)
    url = reverse("plans:sign", args=[plan.pk])
    assert url not in _signers_awaited(cast.dora)
    assert url in _signers_awaited(cast.alice)


def _two_physician_protocol(cast: Any) -> Any:
    definition = dict(protocol().definition)
    definition.update(code="clinic-two-physicians", version="1.0", signers_exclude_drafter=False)
    return protocol_add_version(user=cast.ada, definition=definition)


def test_a_protocol_can_let_the_drafter_sign(cast: Any) -> None:
    version = _two_physician_protocol(cast)
    encounter = make_examination(cast, make_patient(cast.cora))
    check = eligibility_check(encounter=encounter, protocol_version=version, user=cast.alice)
    plan = plan_draft(check=check, user=cast.alice, arm_name="ucmsc_iv")
    assert reverse("plans:sign", args=[plan.pk]) in _signers_awaited(cast.alice)
    plan_sign(plan=plan, physician=cast.alice, password=PASSWORD, version=plan.version)
    plan_sign(plan=plan, physician=cast.bob, password=PASSWORD, version=plan.version)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED and plan.first_signer == plan.drafted_by


def test_the_setting_is_on_unless_a_protocol_says_otherwise_and_must_be_true_or_false() -> None:
    definition = _builtin()
    definition.pop("signers_exclude_drafter")
    assert protocol_from_dict(definition).signers_exclude_drafter is True
    with pytest.raises(ProtocolError, match="signers_exclude_drafter"):
        protocol_from_dict({**definition, "signers_exclude_drafter": "no"})


def _builtin() -> dict[str, Any]:
    from stromal.clinical.protocol import builtin_protocols

    data = builtin_protocols()[0].to_dict()
    data["arm"] = data.pop("arms")
    return data


def test_the_protocol_page_says_whether_the_drafter_may_sign(cast: Any) -> None:
    client = Client()
    client.force_login(cast.alice)
    page = client.get(reverse("protocols:detail", args=[protocol().pk])).content.decode()
    assert "the physician who drafted it is not one of them" in page
