"""Which instruments a visit asks for: the five-year schedule fits each shipped protocol."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from stromal.clinical.instruments import INSTRUMENTS, Subject
from stromal.clinical.instruments.schedule import FIVE_YEAR
from stromal.clinical.protocol import Protocol, builtin_protocols
from stromal.followup.due import age_years_on, schedule_for, scoring_of
from stromal.patients.models import Patient


@pytest.mark.parametrize("protocol", builtin_protocols(), ids=lambda p: p.code)
def test_each_shipped_protocol_follows_the_five_year_schedule(protocol: Protocol) -> None:
    assert schedule_for(protocol) is FIVE_YEAR


def test_a_protocol_with_a_calendar_of_its_own_gets_no_instruments() -> None:
    protocol = builtin_protocols()[0]
    own = dataclasses.replace(protocol, follow_up=protocol.follow_up[:3])
    assert schedule_for(own) is None
    assert schedule_for(dataclasses.replace(protocol, follow_up=())) is None


def test_the_age_for_the_reference_equations_is_decimal_years() -> None:
    patient = Patient(date_of_birth=dt.date(1970, 1, 1))
    assert age_years_on(patient, dt.date(2026, 7, 2)) == pytest.approx(56.5, abs=0.01)


def test_derived_values_name_their_equation_and_version() -> None:
    man = Subject("male", 60, 175, 80)
    spiro = INSTRUMENTS["spirometry"].score(
        {"fev1_l": 2.8, "fvc_l": 3.9, "spirometry_equation": "gli_2012", "ethnicity": "caucasian"}, man
    )
    name, version = scoring_of(INSTRUMENTS["spirometry"], spiro)
    assert name == "gli_2012" and version.startswith("pyspiro ")
    assert scoring_of(INSTRUMENTS["dlco"], {})[0] == "gli_2017_dlco"
    assert scoring_of(INSTRUMENTS["six_minute_walk"], {}) == ("enright_sherrill_1998", "1")
    assert scoring_of(INSTRUMENTS["rand36"], {}) == ("rand36_scoring", "1.0")
