"""Kaplan-Meier worked by hand on five patients, then the same five through the survival page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from stromal.outcomes.cohort import CohortFilter, cohort_build
from stromal.outcomes.scope import Scope
from stromal.outcomes.survival import at_risk, kaplan_meier, survival_by, survival_report
from tests.outcomes.factories import KM_COURSES, Course, make_cohort

# Deaths on days 10 and 20; censored on days 15, 30, 30.
DAYS = [10, 15, 20, 30, 30]
DIED = [True, False, True, False, False]
# By hand: S(10) = 1 - 1/5 = 0.8 (5 at risk); S(20) = 0.8 x (1 - 1/3) = 0.5333 (3 at risk).
S10 = 1 - 1 / 5
S20 = S10 * (1 - 1 / 3)


def test_the_estimate_matches_the_product_limit_worked_by_hand() -> None:
    km = kaplan_meier("all", DAYS, DIED)
    deaths = [s for s in km.steps if s.deaths]
    assert [(s.day, s.at_risk, s.survival) for s in deaths] == [
        (10.0, 5, pytest.approx(S10, abs=1e-12)),
        (20.0, 3, pytest.approx(S20, abs=1e-12)),
    ]
    assert all(s.low <= s.survival <= s.high for s in km.steps)


def test_the_median_is_not_reached_while_survival_stays_above_one_half() -> None:
    assert kaplan_meier("all", DAYS, DIED).median_days is None


def test_the_median_follow_up_is_the_reverse_kaplan_meier_median() -> None:
    # Censoring as the event: 15 (4 at risk: 0.75), then both at 30 (0): the median is day 30.
    assert kaplan_meier("all", DAYS, DIED).follow_up_median_days == 30


def test_numbers_at_risk_count_everyone_still_followed_on_that_day() -> None:
    assert [at_risk(DAYS, d) for d in (0, 10, 11, 20, 30, 31)] == [5, 5, 4, 3, 2, 0]


def test_a_group_without_patients_is_refused() -> None:
    with pytest.raises(ValueError, match="no patients"):
        kaplan_meier("empty", [], [])


@pytest.mark.django_db
def test_the_survival_page_shows_the_hand_computed_estimate_of_a_known_cohort(cast: Any) -> None:
    make_cohort(cast, KM_COURSES)
    client = Client()
    client.force_login(cast.ivan)
    page = client.get("/outcomes/survival/?by=none").content.decode()
    # The values in order, whatever their alignment class.
    cells = re.sub(r"\s+", "", page).replace('<tdclass="num">', "<td>")
    assert "<td>Allpatients</td><td>10</td><td>5</td><td>1</td><td>0</td><td>0.8</td>" in cells
    assert "<td>Allpatients</td><td>20</td><td>3</td><td>1</td><td>0</td><td>0.533</td>" in cells
    assert 'id="cohort-size">5<' in page
    assert "Median follow-up for the whole cohort (reverse Kaplan-Meier): 30 days." in page


@pytest.mark.django_db
def test_a_death_dated_before_the_enrolment_is_left_out_and_named_not_counted_at_day_0(cast: Any) -> None:
    make_cohort(cast, [*KM_COURSES, Course("ODD-1", KM_COURSES[0].day0, died_day=-30, discharge_day=None)])
    cohort = cohort_build(scope=Scope(None), filters=CohortFilter())
    odd = next(r for r in cohort.rows if r.death is not None and r.day(r.death.on) < 0)
    result = survival_by(cohort, "none")
    assert result.dated_before_enrolment == [odd.study_id]
    assert sum(len(d) for d in result.durations.values()) == len(cohort.rows) - 1
    notes = " ".join(survival_report(cohort, "none").notes)
    assert "1 patient(s) left out of the survival estimate" in notes and odd.study_id in notes
