"""Vital status, chest CT, return to work and readmissions: branching and clear refusals."""

from __future__ import annotations

import datetime as dt

import pytest

from stromal.clinical.instruments import INSTRUMENTS
from stromal.clinical.instruments.base import (
    DATE_IN_FUTURE,
    DATE_TOO_EARLY,
    NOT_A_DATE,
    NOT_APPLICABLE,
    REQUIRED_WHEN,
)
from stromal.clinical.instruments.chest_ct import EXTENT_NEEDED
from stromal.clinical.validation import ClinicalInputError

VITAL = INSTRUMENTS["vital_status"]
TODAY = dt.date(2026, 11, 30)
DEAD = {
    "vital_status": "dead",
    "vital_status_ascertainment": "death_registry",
    "date_of_death": "2026-03-02",
    "cause_of_death": "respiratory",
}


def test_a_living_patient_needs_no_death_items() -> None:
    result = VITAL.score({"vital_status": "alive", "vital_status_ascertainment": "visit"})
    assert result == {
        "vital_status": "alive",
        "dead": False,
        "date_of_death": None,
        "last_known_alive_date": None,
    }


def test_a_death_is_recorded_with_its_date_and_cause() -> None:
    result = VITAL.score(DEAD, today=TODAY)
    assert result["dead"] is True
    assert result["date_of_death"] == "2026-03-02"


@pytest.mark.parametrize("missing", ["date_of_death", "cause_of_death"])
def test_a_death_without_its_date_or_cause_is_refused(missing: str) -> None:
    answers = {k: v for k, v in DEAD.items() if k != missing}
    with pytest.raises(ClinicalInputError) as err:
        VITAL.validate(answers)
    assert err.value.field == missing
    assert err.value.rule == REQUIRED_WHEN.format(condition="when vital_status is dead")


def test_a_date_of_death_for_a_living_patient_is_refused() -> None:
    with pytest.raises(ClinicalInputError) as err:
        VITAL.validate(
            {"vital_status": "alive", "vital_status_ascertainment": "visit", "date_of_death": "2026-03-02"}
        )
    assert err.value.field == "date_of_death"
    assert err.value.rule == NOT_APPLICABLE.format(condition="when vital_status is dead")


def test_an_unknown_status_asks_for_the_last_date_known_alive() -> None:
    answers = {"vital_status": "unknown", "vital_status_ascertainment": "not_ascertained"}
    with pytest.raises(ClinicalInputError) as err:
        VITAL.validate(answers)
    assert err.value.field == "last_known_alive_date"
    result = VITAL.score(answers | {"last_known_alive_date": dt.date(2026, 1, 5)})
    assert result["dead"] is None and result["last_known_alive_date"] == "2026-01-05"


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("2026-12-01", DATE_IN_FUTURE.format(today="2026-11-30")),
        ("02/03/2026", NOT_A_DATE),
        ("1826-03-02", DATE_TOO_EARLY.format(earliest="1900-01-01")),
        (dt.datetime(2026, 3, 2, 10, 0), NOT_A_DATE),
        (20260302, NOT_A_DATE),
    ],
)
def test_a_bad_date_of_death_is_refused_with_the_rule(value: object, rule: str) -> None:
    with pytest.raises(ClinicalInputError) as err:
        VITAL.validate(DEAD | {"date_of_death": value}, today=TODAY)
    assert (err.value.field, err.value.rule) == ("date_of_death", rule)


def test_every_problem_is_reported_once_each_for_the_form() -> None:
    problems = VITAL.errors({"vital_status": "dead", "cause_of_death": "plague", "colour": "red"})
    assert [p.field for p in problems] == [
        "colour",
        "vital_status_ascertainment",
        "date_of_death",
        "cause_of_death",
    ]


def test_blank_text_counts_as_not_answered() -> None:
    with pytest.raises(ClinicalInputError) as err:
        VITAL.validate({"vital_status": "  ", "vital_status_ascertainment": "visit"})
    assert (err.value.field, err.value.rule) == ("vital_status", "is required")


CT = INSTRUMENTS["chest_ct"]


def test_a_normal_ct_needs_no_extent() -> None:
    result = CT.score({"ct_date": "2026-06-01", "ct_fibrotic_like_changes": False})
    assert result["fibrotic_like_changes"] is False and result["extent_pct"] is None


@pytest.mark.parametrize(
    "extent",
    [
        {"ct_fibrosis_extent_pct": 12.5},
        {"ct_fibrosis_lobes": 2},
        {"ct_fibrosis_extent_pct": 5, "ct_fibrosis_lobes": 1},
    ],
)
def test_fibrotic_changes_take_an_extent_in_percent_or_lobes(extent: dict[str, float]) -> None:
    result = CT.score({"ct_date": "2026-06-01", "ct_fibrotic_like_changes": True} | extent)
    assert result["fibrotic_like_changes"] is True
    assert result["extent_pct"] == extent.get("ct_fibrosis_extent_pct")
    assert result["lobes"] == extent.get("ct_fibrosis_lobes")


def test_fibrotic_changes_without_an_extent_are_refused() -> None:
    with pytest.raises(ClinicalInputError) as err:
        CT.validate({"ct_date": "2026-06-01", "ct_fibrotic_like_changes": True})
    assert (err.value.field, err.value.rule) == ("ct_fibrosis_extent_pct", EXTENT_NEEDED)


@pytest.mark.parametrize(
    ("item", "bad"), [("ct_fibrosis_extent_pct", 120), ("ct_fibrosis_lobes", 6), ("ct_fibrosis_lobes", 0)]
)
def test_an_impossible_extent_is_refused(item: str, bad: float) -> None:
    with pytest.raises(ClinicalInputError) as err:
        CT.validate({"ct_date": "2026-06-01", "ct_fibrotic_like_changes": True, item: bad})
    assert err.value.field == item


RTW = INSTRUMENTS["return_to_work"]


def test_return_to_work_is_asked_only_of_those_who_worked_before() -> None:
    not_working = RTW.score({"worked_before_illness": False, "usual_activity_resumed": "partly"})
    assert not_working["returned_to_work"] is None
    with pytest.raises(ClinicalInputError) as err:
        RTW.validate({"worked_before_illness": True, "usual_activity_resumed": "fully"})
    assert err.value.field == "returned_to_work"
    back = RTW.score(
        {"worked_before_illness": True, "returned_to_work": "reduced", "usual_activity_resumed": "partly"}
    )
    assert back["returned_to_work"] is True and back["reduced_work"] is True


def test_a_work_return_date_for_someone_not_back_is_refused() -> None:
    with pytest.raises(ClinicalInputError) as err:
        RTW.validate(
            {
                "worked_before_illness": True,
                "returned_to_work": "no",
                "work_return_date": "2026-05-01",
                "usual_activity_resumed": "not",
            }
        )
    assert err.value.field == "work_return_date"
    assert err.value.rule == NOT_APPLICABLE.format(
        condition="when returned_to_work is one of same_hours, reduced"
    )


READMIT = INSTRUMENTS["readmissions"]


def test_no_readmission_needs_no_reasons() -> None:
    assert READMIT.score({"readmissions_count": 0}) == {
        "readmissions_count": 0,
        "readmitted": False,
        "respiratory_readmission": False,
    }


def test_readmissions_need_their_reasons() -> None:
    with pytest.raises(ClinicalInputError) as err:
        READMIT.validate({"readmissions_count": 1, "readmission_respiratory": True})
    assert (err.value.field, err.value.rule) == (
        "readmission_reasons",
        REQUIRED_WHEN.format(condition="when readmissions_count is at least 1"),
    )
    result = READMIT.score(
        {"readmissions_count": 2, "readmission_reasons": "pneumonia; fall", "readmission_respiratory": True}
    )
    assert result == {"readmissions_count": 2, "readmitted": True, "respiratory_readmission": True}


def test_reasons_longer_than_the_limit_are_refused() -> None:
    with pytest.raises(ClinicalInputError) as err:
        READMIT.validate(
            {"readmissions_count": 1, "readmission_reasons": "x" * 2001, "readmission_respiratory": False}
        )
    assert err.value.field == "readmission_reasons"


def test_a_bad_status_is_the_only_error_not_also_its_dependent_items() -> None:
    problems = VITAL.errors(
        {"vital_status": "dea", "vital_status_ascertainment": "visit", "date_of_death": "2026-03-02"}
    )
    assert [p.field for p in problems] == ["vital_status"]
