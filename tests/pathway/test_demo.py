from __future__ import annotations

from typing import Any

import pytest

from stromal.audit.models import AuditEvent
from stromal.demo import load_demo
from stromal.intake.models import ConsultationRequest
from stromal.pathway.selectors import patient_timeline
from stromal.patients.models import Patient
from stromal.plans.models import PlanStatus, TreatmentPlan
from stromal.plans.selectors import ready_for_treatment

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings: Any, tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path
    load_demo()


def test_the_demo_is_synthetic_and_covers_every_step_on_all_three_protocols(demo: None) -> None:
    patients = Patient.objects.filter(mrn__in=[f"DEMO-{n:04d}" for n in range(1, 28)])
    assert patients.count() == 27 and all(p.synthetic and "synthetic" in p.family_name for p in patients)
    assert ConsultationRequest.objects.filter(status="new").count() == 4
    protocols = set(
        TreatmentPlan.objects.filter(patient__in=patients).values_list("protocol_version__code", flat=True)
    )
    assert len(protocols) == 3
    current_steps = {
        (patient_timeline(p).current.code if patient_timeline(p).current else "done") for p in patients
    }
    assert {"examination", "eligibility", "meeting", "signatures", "decision"} <= current_steps
    approved = TreatmentPlan.objects.filter(status=PlanStatus.APPROVED, patient__in=patients)
    assert sum(ready_for_treatment(p) for p in approved) == 3


def test_loading_the_demo_twice_adds_nothing(demo: None) -> None:
    counts = (Patient.objects.count(), ConsultationRequest.objects.count(), AuditEvent.objects.count())
    load_demo()
    assert (
        Patient.objects.count(),
        ConsultationRequest.objects.count(),
        AuditEvent.objects.count(),
    ) == counts
