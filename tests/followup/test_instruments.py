"""Outcome instruments at a follow-up visit: recorded whole or not at all, a missing one blocks
completion until a reason is given, corrections need a reason and are audited, a death closes
the later visits (issue #9)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from stromal.audit.locking import StaleEditError
from stromal.audit.models import AuditEvent
from stromal.clinical.instruments.schedule import FIVE_YEAR
from stromal.followup import services
from stromal.followup.models import InstrumentNotDone, InstrumentResponse, VisitStatus
from stromal.followup.selectors import death_of, visit_instruments
from stromal.patients.models import Patient
from tests.followup.factories import ANSWERS, DEAD, discharged, entries_for, excused, visit_of

pytestmark = pytest.mark.django_db

REASON = "Transcribed from the wrong line of the lab report."


def _record(
    visit: Any, user: Any, entries: Any, *, complete: bool = True, weight_kg: float | None = 70.0
) -> Any:
    return services.visit_record(
        visit=visit,
        user=user,
        version=visit.version,
        entries=entries,
        completed_on=visit.target_date,
        weight_kg=weight_kg,
        complete=complete,
    )


def test_month_6_asks_for_the_five_year_schedules_instruments(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    due = [s.instrument.code for s in visit_instruments(visit=visit).slots if s.due]
    assert due == list(FIVE_YEAR.visit("m6").instruments)


def test_a_whole_visit_is_saved_with_raw_values_and_derived_values_with_their_equation(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    _record(visit, cast.nina, entries_for(visit))
    visit.refresh_from_db()
    assert visit.status == VisitStatus.COMPLETED and visit.weight_kg == 70.0
    spiro = InstrumentResponse.objects.get(visit=visit, instrument_code="spirometry")
    assert spiro.answers == {"fev1_l": 2.1, "fvc_l": 2.6}
    assert spiro.scoring_name == "gli_global_2022" and spiro.scoring_version.startswith("pyspiro ")
    assert spiro.scores["fvc_percent_predicted"] < 100 and spiro.subject["height_cm"] == 165.0
    dlco = InstrumentResponse.objects.get(visit=visit, instrument_code="dlco")
    assert dlco.scoring_name == "gli_2017_dlco" and dlco.scores["below_lln"] is True
    walk = InstrumentResponse.objects.get(visit=visit, instrument_code="six_minute_walk")
    assert (
        walk.scoring_name == "enright_sherrill_1998" and walk.scores["outside_reference_population"] is False
    )
    moca = InstrumentResponse.objects.get(visit=visit, instrument_code="moca")
    assert moca.scores["adjusted_score"] == 25 and moca.scores["impaired"] is True
    assert InstrumentResponse.objects.get(visit=visit, instrument_code="phq9").scores["total"] == 9
    assert (
        AuditEvent.objects.filter(action="instrument_record", patient_id_at_event=visit.patient_id).count()
        == 12
    )


def test_the_gli_2012_equation_is_used_when_chosen_with_an_ethnicity(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    gli_2012 = {"fev1_l": 2.1, "fvc_l": 2.6, "spirometry_equation": "gli_2012", "ethnicity": "caucasian"}
    _record(visit, cast.nina, entries_for(visit, spirometry=gli_2012))
    spiro = InstrumentResponse.objects.get(visit=visit, instrument_code="spirometry")
    assert spiro.scoring_name == "gli_2012" and spiro.scores["equation"] == "gli_2012"


def test_one_bad_answer_saves_nothing_and_names_its_field(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    version = visit.version
    bad = entries_for(visit, spirometry={"fev1_l": 3.0, "fvc_l": 2.6}, phq9={**ANSWERS["phq9"], "phq9_3": 5})
    with pytest.raises(ValidationError) as err:
        _record(visit, cast.nina, bad)
    errors = err.value.message_dict
    assert "cannot exceed fvc_l" in errors["spirometry-fev1_l"][0]
    assert errors["phq9-phq9_3"] == [
        "Trouble falling or staying asleep, or sleeping too much 5 points is outside the accepted range 0–3 points"
    ]
    visit.refresh_from_db()
    assert visit.version == version and visit.status == VisitStatus.SCHEDULED
    assert not InstrumentResponse.objects.filter(visit=visit).exists()


def test_a_missing_instrument_blocks_completion_until_a_reason_is_given(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    entries = entries_for(visit)
    del entries["dlco"]
    with pytest.raises(ValidationError) as err:
        _record(visit, cast.nina, entries)
    assert err.value.message_dict == {
        "dlco": [
            services.INSTRUMENT_MISSING.format(title="Diffusing capacity for carbon monoxide (DLCO / TLCO)")
        ]
    }
    assert not InstrumentResponse.objects.filter(visit=visit).exists()
    entries["dlco"] = services.InstrumentEntry(not_done_reason="Gas analyser out of service")
    _record(visit, cast.nina, entries)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.COMPLETED
    assert (
        InstrumentNotDone.objects.get(visit=visit, instrument_code="dlco").reason
        == "Gas analyser out of service"
    )


def test_instruments_are_saved_before_the_visit_is_completed_and_the_rest_later(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    first = {code: e for code, e in entries_for(visit).items() if code in ("vital_status", "phq9")}
    _record(visit, cast.nina, first, complete=False, weight_kg=None)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SCHEDULED
    with pytest.raises(ValidationError) as err:
        services.visit_complete(
            visit=visit, user=cast.nina, version=visit.version, completed_on=visit.target_date
        )
    assert "vital_status" not in err.value.message_dict and "gad7" in err.value.message_dict
    rest = {code: e for code, e in entries_for(visit).items() if code not in first}
    _record(visit, cast.nina, rest)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.COMPLETED


def test_a_saved_instrument_is_not_saved_again_over_it(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    _record(visit, cast.nina, {"mmrc": services.InstrumentEntry({"mmrc_grade": 1})}, complete=False)
    visit.refresh_from_db()
    with pytest.raises(ValidationError) as err:
        _record(visit, cast.nina, {"mmrc": services.InstrumentEntry({"mmrc_grade": 3})}, complete=False)
    assert "already recorded" in err.value.message_dict["mmrc"][0]


def test_values_and_a_reason_for_one_instrument_are_refused(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    both = {"mmrc": services.InstrumentEntry({"mmrc_grade": 1}, not_done_reason="declined")}
    with pytest.raises(ValidationError) as err:
        _record(visit, cast.nina, both, complete=False)
    assert err.value.message_dict == {"mmrc-not_done_reason": [services.VALUES_AND_REASON]}


def test_the_walk_test_needs_the_weight_measured_at_the_visit(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    walk = {"six_minute_walk": services.InstrumentEntry(ANSWERS["six_minute_walk"])}
    with pytest.raises(ValidationError) as err:
        _record(visit, cast.nina, walk, complete=False, weight_kg=None)
    assert err.value.message_dict == {"weight_kg": [services.WEIGHT_NEEDED]}


def test_lung_function_needs_the_patients_height(cast: Any) -> None:
    plan = discharged(cast)
    Patient.objects.filter(pk=plan.patient_id).update(height_cm=None)
    visit = visit_of(plan, "m6")
    with pytest.raises(ValidationError) as err:
        _record(
            visit, cast.nina, {"spirometry": services.InstrumentEntry(ANSWERS["spirometry"])}, complete=False
        )
    assert err.value.message_dict == {
        "spirometry": [services.HEIGHT_NEEDED.format(title="Spirometry (FEV1, FVC)")]
    }


def test_a_value_its_equation_cannot_score_is_kept_with_the_reason(cast: Any) -> None:
    plan = discharged(cast)
    Patient.objects.filter(pk=plan.patient_id).update(date_of_birth=dt.date(1930, 1, 1))
    visit = visit_of(plan, "m6")
    _record(visit, cast.nina, {"dlco": services.InstrumentEntry(ANSWERS["dlco"])}, complete=False)
    dlco = InstrumentResponse.objects.get(visit=visit, instrument_code="dlco")
    assert dlco.answers == {"dlco_ml_min_mmhg": 14.0} and dlco.scores == {}
    assert dlco.scoring_problem.startswith("not scored: age_years")


def test_a_page_opened_before_someone_else_saved_is_refused(cast: Any) -> None:
    plan = discharged(cast)
    mine, theirs = visit_of(plan, "m6"), visit_of(plan, "m6")
    _record(theirs, cast.nina, {"mmrc": services.InstrumentEntry({"mmrc_grade": 1})}, complete=False)
    with pytest.raises(StaleEditError):
        _record(mine, cast.cora, {"mmrc": services.InstrumentEntry({"mmrc_grade": 3})}, complete=False)
    assert InstrumentResponse.objects.get(visit=mine, instrument_code="mmrc").answers == {"mmrc_grade": 1}


@pytest.mark.parametrize("who", ["mona", "ivan", "luke", "ada"])
def test_read_only_and_other_roles_cannot_record_instruments(cast: Any, who: str) -> None:
    visit = visit_of(discharged(cast), "m6")
    with pytest.raises(PermissionDenied):
        _record(visit, getattr(cast, who), entries_for(visit))
    assert not InstrumentResponse.objects.exists()


def test_another_sites_physician_cannot_record_or_correct_instruments(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    with pytest.raises(Http404):
        _record(visit, cast.oscar, entries_for(visit))
    _record(visit, cast.nina, entries_for(visit))
    response = InstrumentResponse.objects.get(visit=visit, instrument_code="mmrc")
    with pytest.raises(Http404):
        services.instrument_correct(
            visit=visit,
            user=cast.oscar,
            code="mmrc",
            version=response.version,
            reason=REASON,
            answers={"mmrc_grade": 1},
        )


def test_a_correction_needs_a_reason_and_is_audited_old_to_new(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    _record(visit, cast.nina, entries_for(visit))
    response = InstrumentResponse.objects.get(visit=visit, instrument_code="spirometry")
    corrected = {"fev1_l": 2.4, "fvc_l": 2.6}
    with pytest.raises(ValidationError) as err:
        services.instrument_correct(
            visit=visit,
            user=cast.cora,
            code="spirometry",
            version=response.version,
            reason=" ",
            answers=corrected,
        )
    assert err.value.message_dict == {"reason": [services.CORRECTION_NEEDS_REASON]}
    services.instrument_correct(
        visit=visit,
        user=cast.cora,
        code="spirometry",
        version=response.version,
        reason=REASON,
        answers=corrected,
    )
    response.refresh_from_db()
    assert response.answers == corrected and response.version == 2
    assert response.scores["fev1_measured"] == 2.4
    event = AuditEvent.objects.get(action="instrument_correct", object_id=str(response.pk))
    assert event.reason == REASON
    assert event.changes["answers"] == [{"fev1_l": 2.1, "fvc_l": 2.6}, corrected]


def test_a_correction_that_changes_nothing_or_is_invalid_is_refused(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    _record(visit, cast.nina, entries_for(visit))
    response = InstrumentResponse.objects.get(visit=visit, instrument_code="mmrc")
    with pytest.raises(ValidationError, match="changes nothing"):
        services.instrument_correct(
            visit=visit, user=cast.cora, code="mmrc", version=1, reason=REASON, answers={"mmrc_grade": 2}
        )
    with pytest.raises(ValidationError) as err:
        services.instrument_correct(
            visit=visit, user=cast.cora, code="mmrc", version=1, reason=REASON, answers={"mmrc_grade": 7}
        )
    assert list(err.value.message_dict) == ["mmrc-mmrc_grade"]
    response.refresh_from_db()
    assert response.answers == {"mmrc_grade": 2}


def test_an_instrument_not_done_is_later_recorded_by_a_correction(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    entries = entries_for(visit)
    entries["chest_ct"] = services.InstrumentEntry(not_done_reason="Report not back yet")
    _record(visit, cast.nina, entries)
    not_done = InstrumentNotDone.objects.get(visit=visit, instrument_code="chest_ct")
    services.instrument_correct(
        visit=visit,
        user=cast.alice,
        code="chest_ct",
        version=not_done.version,
        reason="Radiology report received",
        answers={"ct_date": "2026-01-05", "ct_fibrotic_like_changes": True, "ct_fibrosis_lobes": 2},
    )
    assert not InstrumentNotDone.objects.filter(visit=visit).exists()
    ct = InstrumentResponse.objects.get(visit=visit, instrument_code="chest_ct")
    assert ct.scores["lobes"] == 2
    assert AuditEvent.objects.filter(
        action="instrument_not_done_replaced", reason="Radiology report received"
    ).exists()


def test_a_death_leaves_only_vital_status_due_and_closes_the_later_visits(cast: Any) -> None:
    plan = discharged(cast, days_ago=400)
    y1 = visit_of(plan, "y1")
    died = timezone.localdate().isoformat()  # the factories discharge today
    _record(
        y1,
        cast.cora,
        {"vital_status": services.InstrumentEntry({**DEAD, "date_of_death": died})},
        weight_kg=None,
    )
    y1.refresh_from_db()
    assert y1.status == VisitStatus.COMPLETED
    later = [visit_of(plan, c) for c in ("y2", "y3", "y4", "y5")]
    assert {v.status for v in later} == {VisitStatus.NOT_DUE}
    assert "died on " + died in later[0].notes
    death = death_of(patient_id=plan.patient_id)
    assert death is not None and death.cause == "respiratory"
    assert [s.instrument.code for s in visit_instruments(visit=later[0]).slots if s.due] == ["vital_status"]

    response = InstrumentResponse.objects.get(visit=y1, instrument_code="vital_status")
    services.instrument_correct(
        visit=y1,
        user=cast.cora,
        code="vital_status",
        version=response.version,
        reason="Wrong patient: the relative spoke of another person",
        answers={"vital_status": "alive", "vital_status_ascertainment": "telephone_patient"},
    )
    assert {visit_of(plan, c).status for c in ("y2", "y3", "y4", "y5")} == {VisitStatus.SCHEDULED}
    assert death_of(patient_id=plan.patient_id) is None


def test_a_death_recorded_without_the_other_instruments_completes_the_visit(cast: Any) -> None:
    plan = discharged(cast, days_ago=400)
    y1 = visit_of(plan, "y1")
    died = timezone.localdate().isoformat()
    entries = {**excused(y1, ""), "vital_status": services.InstrumentEntry({**DEAD, "date_of_death": died})}
    entries["phq9"] = services.InstrumentEntry(ANSWERS["phq9"])
    with pytest.raises(ValidationError) as err:
        _record(y1, cast.cora, entries, weight_kg=None)
    assert "not due at this visit (the patient has died)" in err.value.message_dict["phq9"][0]


def test_an_adverse_event_found_at_a_visit_is_linked_to_it(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    onset = timezone.now() - dt.timedelta(hours=1)
    event = services.visit_adverse_event_report(
        visit=visit, user=cast.alice, term="Pneumonia", onset_at=onset
    )
    assert event.followup_visit == visit and event.session is None and event.ctcae_grade is None
    with pytest.raises(ValidationError) as err:
        services.visit_adverse_event_report(
            visit=visit, user=cast.alice, term="Rash", onset_at=timezone.now() - dt.timedelta(days=400)
        )
    assert "first administration" in err.value.message_dict["onset_at"][0]
    with pytest.raises(PermissionDenied):
        services.visit_adverse_event_report(visit=visit, user=cast.cora, term="Fall", onset_at=onset)


def test_the_weight_of_a_walk_test_is_corrected_with_a_reason_and_rescored(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    _record(visit, cast.nina, entries_for(visit), weight_kg=70.0)
    walk = InstrumentResponse.objects.get(visit=visit, instrument_code="six_minute_walk")
    predicted = walk.scores["predicted_m"]
    visit.refresh_from_db()
    services.instrument_correct(
        visit=visit,
        user=cast.cora,
        code="six_minute_walk",
        version=walk.version,
        reason="Scale read in pounds",
        answers=ANSWERS["six_minute_walk"],
        weight_kg=60.0,
    )
    walk.refresh_from_db()
    visit.refresh_from_db()
    assert visit.weight_kg == 60.0 and walk.subject["weight_kg"] == 60.0
    assert walk.scores["predicted_m"] != predicted
    assert AuditEvent.objects.filter(
        action="followup_amend", object_id=str(visit.pk), reason="Scale read in pounds"
    ).exists()


def test_a_date_of_death_before_the_discharge_is_refused(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    before_discharge = (timezone.localdate() - dt.timedelta(days=2)).isoformat()
    with pytest.raises(ValidationError) as err:
        _record(
            visit,
            cast.cora,
            {"vital_status": services.InstrumentEntry({**DEAD, "date_of_death": before_discharge})},
            complete=False,
        )
    assert "cannot be before the discharge" in err.value.message_dict["vital_status-date_of_death"][0]
    assert death_of(patient_id=visit.patient_id) is None
