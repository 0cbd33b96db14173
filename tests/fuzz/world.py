"""A small site with a record at every step of the pathway, for the fuzz test.

Built through the services, step by step; a step refused by a rule (rules
change) is left out instead of stopping the build, and ``WorldIds.missing``
says which. URLs whose object is missing get an id that does not exist (404).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from stromal.administrations import services as admin_services
from stromal.intake.models import ConsultationRequest
from stromal.plans.services import eligibility_check
from stromal.protocols.models import ProtocolVersion
from tests.administrations.factories import drafted_plan, ready_plan, running_session
from tests.pathway.factories import make_examination, make_patient, protocol
from tests.products.factories import received_lot

MISSING_ID = 2_000_000_001


@dataclass
class WorldIds:
    ids: dict[str, list[int]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    def add(self, kind: str, make: Callable[[], Any]) -> Any:
        try:
            obj = make()
        except ValidationError as exc:
            self.missing.append(f"{kind}: {exc.messages}")
            return None
        self.ids.setdefault(kind, []).append(obj.pk)
        return obj

    def of(self, kind: str) -> list[int]:
        return self.ids.get(kind) or [MISSING_ID]


def build_world(cast: Any) -> WorldIds:
    world = WorldIds()
    patient = world.add("patient", lambda: make_patient(cast.cora, "FZ-0001", family_name="Fuzz"))
    encounter = world.add("encounter", lambda: make_examination(cast, patient))
    world.add(
        "check", lambda: eligibility_check(encounter=encounter, protocol_version=protocol(), user=cast.alice)
    )
    plan = world.add("plan", lambda: ready_plan(cast, mrn="FZ-0003"))
    world.add("plan", lambda: drafted_plan(cast, patient=make_patient(cast.cora, "FZ-0002")))
    if plan is not None:
        world.ids.setdefault("patient", []).append(plan.patient_id)
        session = world.add("session", lambda: running_session(cast, plan, 1))
        if session is not None:
            world.add(
                "adverse_event",
                lambda: admin_services.adverse_event_report(
                    session=session, user=cast.nina, term="Fever", onset_at=timezone.now(), description=""
                ),
            )
        running = world.ids.get("session", [])
        others = plan.administrations.exclude(pk__in=running).values_list("pk", flat=True)
        world.ids["session"] = [*running, *others]

    world.add("lot", lambda: received_lot(cast.luke))
    world.add(
        "request",
        lambda: ConsultationRequest.objects.create(
            site=cast.cora.site,
            full_name="Fuzz Request",
            contact_method="email",
            email="f@example.org",
            condition="c",
        ),
    )
    world.ids["protocol"] = list(ProtocolVersion.objects.values_list("pk", flat=True)[:2])
    world.ids["user"] = [cast.nina.pk]
    world.ids["site"] = [cast.ada.site_id]
    if plan is not None:
        world.ids["consent"] = list(plan.consents.values_list("pk", flat=True))
    return world
