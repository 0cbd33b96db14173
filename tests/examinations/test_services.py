from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from stromal.audit.locking import STALE_EDIT
from stromal.audit.models import AuditEvent
from stromal.clinical.assess import RULES_VERSION
from stromal.examinations.models import Assessment, Encounter, EncounterStatus, Observation
from stromal.examinations.services import (
    AMENDMENT_NEEDS_REASON,
    ENCOUNTER_CLOSED,
    current_values,
    encounter_amend,
    encounter_close,
    encounter_schedule,
    observations_record,
)
from tests.pathway.factories import make_examination, make_patient

pytestmark = pytest.mark.django_db


def _scheduled(cast: Any) -> Encounter:
    return encounter_schedule(patient=make_patient(cast.cora), user=cast.cora, scheduled_for=timezone.now())


def test_results_arrive_in_parts_the_same_day(cast: Any) -> None:
    encounter = _scheduled(cast)
    observations_record(
        encounter=encounter, user=cast.nina, values={"spo2_pct": 90, "weight_kg": 72}, version=1
    )
    assert encounter.status == EncounterStatus.OPEN
    observations_record(
        encounter=encounter,
        user=cast.luke,
        values={"crp_mg_dl": 8.5, "il6_pg_ml": 40},
        version=encounter.version,
    )
    assert current_values(encounter) == {"spo2_pct": 90, "weight_kg": 72, "crp_mg_dl": 8.5, "il6_pg_ml": 40}


def test_each_change_of_results_stores_an_assessment_with_the_rule_version(cast: Any) -> None:
    encounter = _scheduled(cast)
    observations_record(
        encounter=encounter, user=cast.alice, values={"pao2_mmhg": 70, "fio2": 0.4}, version=1
    )
    first = Assessment.objects.get(encounter=encounter)
    assert first.rules_version == RULES_VERSION
    assert first.results["pf_ratio"] == 175.0
    observations_record(encounter=encounter, user=cast.alice, values={"fio2": 0.5}, version=encounter.version)
    latest = encounter.assessments.order_by("-sequence").first()
    assert latest is not None and latest.sequence == 2 and latest.results["pf_ratio"] == 140.0
    first.refresh_from_db()
    assert first.results["pf_ratio"] == 175.0  # history is never rewritten


def test_an_unchanged_value_stores_no_new_assessment(cast: Any) -> None:
    encounter = _scheduled(cast)
    observations_record(encounter=encounter, user=cast.alice, values={"pao2_mmhg": 70}, version=1)
    observations_record(
        encounter=encounter, user=cast.alice, values={"pao2_mmhg": 70.0}, version=encounter.version
    )
    assert encounter.assessments.count() == 1


def test_out_of_range_values_are_refused_naming_field_value_and_rule(cast: Any) -> None:
    encounter = _scheduled(cast)
    with pytest.raises(ValidationError) as info:
        observations_record(
            encounter=encounter,
            user=cast.nina,
            values={"fio2": 40, "spo2_pct": 95},
            version=encounter.version,
        )
    message = info.value.message_dict["fio2"][0]
    assert (
        message.startswith("FiO2 40 is outside the accepted range 0.21–1") and "did you mean 0.40" in message
    )
    assert not Observation.objects.exists()  # nothing partial


def test_a_closed_encounter_is_not_overwritten_but_amended_with_a_reason(cast: Any) -> None:
    encounter = make_examination(cast, make_patient(cast.cora))
    encounter_close(encounter=encounter, user=cast.alice, version=encounter.version)
    with pytest.raises(ValidationError, match=ENCOUNTER_CLOSED):
        observations_record(
            encounter=encounter, user=cast.alice, values={"pao2_mmhg": 60}, version=encounter.version
        )
    with pytest.raises(ValidationError, match=AMENDMENT_NEEDS_REASON):
        encounter_amend(
            encounter=encounter,
            user=cast.alice,
            values={"pao2_mmhg": 60},
            reason="",
            version=encounter.version,
        )
    amendment = encounter_amend(
        encounter=encounter,
        user=cast.alice,
        values={"pao2_mmhg": 60},
        reason="transcription error",
        version=encounter.version,
    )
    history = list(encounter.observations.filter(key="pao2_mmhg").order_by("id"))
    assert [o.value for o in history] == [70.0, 60.0]
    assert [o.current for o in history] == [False, True]
    assert history[1].amendment == amendment
    event = AuditEvent.objects.get(action="amend")
    assert event.changes == {"pao2_mmhg": [70.0, 60.0]} and event.reason == "transcription error"


def test_the_database_keeps_one_current_value_per_key(cast: Any) -> None:
    encounter = make_examination(cast, make_patient(cast.cora))
    with pytest.raises(IntegrityError), transaction.atomic():
        Observation.objects.create(
            encounter=encounter, key="pao2_mmhg", value_number=50, recorded_by=cast.alice
        )


def test_the_database_refuses_a_closed_encounter_without_who_and_when(cast: Any) -> None:
    encounter = _scheduled(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        Encounter.objects.filter(pk=encounter.pk).update(status=EncounterStatus.CLOSED)


def test_concurrent_result_entry_refuses_the_second_save(cast: Any) -> None:
    encounter = _scheduled(cast)
    other = Encounter.objects.get(pk=encounter.pk)
    observations_record(encounter=encounter, user=cast.nina, values={"spo2_pct": 90}, version=1)
    with pytest.raises(ValidationError, match=STALE_EDIT):
        observations_record(encounter=other, user=cast.luke, values={"spo2_pct": 88}, version=other.version)


def test_read_only_roles_and_coordinators_enter_no_results(cast: Any) -> None:
    encounter = _scheduled(cast)
    for user in (cast.mona, cast.ivan, cast.cora, cast.ada):
        with pytest.raises(PermissionDenied):
            observations_record(encounter=encounter, user=user, values={"spo2_pct": 90}, version=1)


def test_only_a_physician_closes_an_encounter(cast: Any) -> None:
    encounter = _scheduled(cast)
    with pytest.raises(PermissionDenied):
        encounter_close(encounter=encounter, user=cast.nina, version=encounter.version)


def test_the_database_refuses_to_rewrite_an_assessment(cast: Any) -> None:
    from django.db import DatabaseError

    encounter = make_examination(cast, make_patient(cast.cora))
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        Assessment.objects.filter(encounter=encounter).update(rules_version="0.0.0")


def test_a_value_given_as_not_measured_is_removed_and_a_value_not_given_is_kept(cast: Any) -> None:
    from stromal.examinations.services import current_values

    encounter = make_examination(cast, make_patient(cast.cora))
    changes = observations_record(
        encounter=encounter, user=cast.nina, values={"crp_mg_dl": None}, version=encounter.version
    )
    assert changes == {"crp_mg_dl": [12.0, None]}
    values = current_values(encounter)
    assert "crp_mg_dl" not in values and values["weight_kg"] == 80.0
    encounter.refresh_from_db()
    again = observations_record(
        encounter=encounter, user=cast.nina, values={"crp_mg_dl": None}, version=encounter.version
    )
    assert again == {}  # nothing recorded, nothing removed
