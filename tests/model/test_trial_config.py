"""The trial TOML: the public example parses; each broken rule names its key."""

from __future__ import annotations

import copy
import tomllib
from typing import Any

import pytest

from stromal.clinical.protocol import Route, builtin_protocols
from stromal.model.trial_config import TrialConfigError, trial_config_from_dict

ISSUE_EXAMPLE = """
seed = 7
days = 90                      # follow each virtual patient this long
[population]
n_per_arm = 2000
severity = { mild = 0.3, moderate = 0.45, severe = 0.25 }   # Berlin grade mix at enrolment
aetiology = { viral = 0.6, sepsis = 0.3, trauma = 0.1 }
age_years = [18, 80]
[[arm]]
name = "control"
[[arm]]
name = "msc_iv"
route = "iv"
dose_cells_per_kg = 1e6
weight_basis = "actual"        # or "predicted"
days = [1, 2]                  # administration days after enrolment (day 0)
viability_pct = 90
[[arm]]
name = "exosome_inhaled"
route = "inhaled"
dose_particles = 2e8
days = [1, 2, 3, 4, 5]
device = "mesh"                # or "jet", "ventilator_inline"
"""


def example() -> dict[str, Any]:
    return copy.deepcopy(tomllib.loads(ISSUE_EXAMPLE))


def test_the_issue_example_parses_into_three_arms_with_a_control_reference() -> None:
    config = trial_config_from_dict(example())
    assert config.seed == 7 and config.days == 90
    assert [a.name for a in config.arms] == ["control", "msc_iv", "exosome_inhaled"]
    assert config.arms[1].route is Route.IV and config.arms[1].days == (1, 2)
    assert config.population.severity == {"mild": 0.3, "moderate": 0.45, "severe": 0.25}
    assert config.reference is not None and config.reference.name == "control"
    assert config.n_patients == 6000


def test_an_arm_can_be_taken_from_a_shipped_protocol() -> None:
    protocol = next(p for p in builtin_protocols() if any(a.route is Route.IV for a in p.arms))
    arm = next(a for a in protocol.arms if a.route is Route.IV)
    raw = example()
    raw["arm"][1] = {"protocol": protocol.code, "protocol_arm": arm.name, "name": "clinic"}
    config = trial_config_from_dict(raw)
    assert config.arms[1].dose_cells_per_kg == arm.dose_cells_per_kg
    assert config.arms[1].days == arm.days and config.arms[1].name == "clinic"


def refusal(raw: dict[str, Any]) -> TrialConfigError:
    with pytest.raises(TrialConfigError) as info:
        trial_config_from_dict(raw)
    return info.value


def test_it_refuses_an_unknown_top_level_key() -> None:
    raw = example()
    raw["sede"] = 3
    err = refusal(raw)
    assert err.key == "sede" and "unknown key" in err.rule


def test_it_refuses_an_unknown_key_inside_an_arm() -> None:
    raw = example()
    raw["arm"][1]["dose_per_kg"] = 1e6
    err = refusal(raw)
    assert err.key == "arm[1].dose_per_kg" and "unknown key" in err.rule


def test_it_refuses_a_dose_of_minus_one() -> None:
    raw = example()
    raw["arm"][1]["dose_cells_per_kg"] = -1
    err = refusal(raw)
    assert err.key == "arm[1].dose_cells_per_kg" and "> 0" in err.rule


def test_it_refuses_a_severity_mix_that_does_not_sum_to_one() -> None:
    raw = example()
    raw["population"]["severity"]["severe"] = 0.5
    err = refusal(raw)
    assert err.key == "population.severity" and "sum to 1" in err.rule


def test_it_refuses_an_unknown_route() -> None:
    raw = example()
    raw["arm"][1]["route"] = "intrathecal"
    err = refusal(raw)
    assert err.key == "arm[1].route" and "iv, inhaled" in err.rule


def test_it_refuses_an_unknown_severity_grade_and_a_missing_seed() -> None:
    raw = example()
    raw["population"]["severity"] = {"mild": 0.5, "critical": 0.5}
    assert refusal(raw).key == "population.severity.critical"
    raw = example()
    del raw["seed"]
    assert refusal(raw).key == "seed"


def test_it_refuses_a_sweep_of_cells_on_an_inhaled_arm() -> None:
    raw = example()
    raw["sweep"] = {"arm": "exosome_inhaled", "dose_cells_per_kg": [1e6]}
    assert refusal(raw).key == "sweep.dose_cells_per_kg"


def test_allocation_weights_default_to_one_and_count_patients_per_unit_of_weight() -> None:
    raw = example()
    assert trial_config_from_dict(raw).weights == (1, 1, 1)
    raw["arm"][1]["allocation"] = 2
    config = trial_config_from_dict(raw)
    assert config.weights == (1, 2, 1)
    assert config.n_patients == 2000 * 4
    assert config.arms[1].name == "msc_iv"  # the weight is not part of the arm itself


@pytest.mark.parametrize("weight", [0, -1, 1.5, True, "2", 11])
def test_it_refuses_an_allocation_that_is_not_a_whole_number_from_1_to_10(weight: object) -> None:
    raw = example()
    raw["arm"][1]["allocation"] = weight
    err = refusal(raw)
    assert err.key == "arm[1].allocation"


def test_an_arm_from_a_protocol_takes_an_allocation() -> None:
    raw = example()
    raw["arm"][1] = {"protocol": "start-like-single-iv", "protocol_arm": "bmmsc_iv", "allocation": 2}
    assert trial_config_from_dict(raw).weights == (1, 2, 1)


@pytest.mark.parametrize(
    ("where", "value", "key", "unit"),
    [
        ("arm", 1e9, "arm[1].dose_cells_per_kg", "cells/kg"),
        ("arm", 5e5, "arm[1].dose_cells_per_kg", "cells/kg"),
        ("inhaled", 1e10, "arm[2].dose_particles", "particles"),
        ("sweep", 3e7, "sweep.dose_cells_per_kg[1]", "cells/kg"),
    ],
)
def test_a_dose_outside_the_studied_range_is_refused_naming_the_key_the_range_and_its_sources(
    where: str, value: float, key: str, unit: str
) -> None:
    raw = example()
    if where == "arm":
        raw["arm"][1]["dose_cells_per_kg"] = value
    elif where == "inhaled":
        raw["arm"][2]["dose_particles"] = value
    else:
        raw["sweep"] = {"arm": "msc_iv", "dose_cells_per_kg": [1e6, value]}
    err = refusal(raw)
    assert err.key == key
    studied = "1e+06–1e+07 cells/kg" if unit == "cells/kg" else "2e+08–1.6e+09 particles"
    assert studied in err.rule and "allow_extrapolation = true" in err.rule
    # The sources of the range are named.
    assert ("Matthay" in err.rule and "Monsel" in err.rule) or (
        "MEXCOVID" in err.rule and "MEXVT" in err.rule
    )
    raw["allow_extrapolation"] = True
    config = trial_config_from_dict(raw)
    assert [e.key for e in config.extrapolated_doses()] == [key]


def test_the_doses_of_the_shipped_protocols_and_the_cited_trials_are_inside_the_range() -> None:
    from stromal.model.dose_range import STUDIED_DOSES, studied_range

    for route in (Route.IV, Route.INHALED):
        rng = studied_range(route)
        assert all(rng.low <= s.dose <= rng.high for s in STUDIED_DOSES if s.route is route)
        for protocol in builtin_protocols():
            for arm in protocol.arms:
                dose = arm.dose_cells_per_kg if route is Route.IV else arm.dose_particles
                if arm.route is route and dose is not None:
                    assert rng.low <= dose <= rng.high
    assert (studied_range(Route.IV).low, studied_range(Route.IV).high) == (1e6, 10e6)
    assert (studied_range(Route.INHALED).low, studied_range(Route.INHALED).high) == (2e8, 16e8)


def test_it_refuses_allow_extrapolation_that_is_not_a_boolean() -> None:
    raw = example()
    raw["allow_extrapolation"] = "yes"
    assert refusal(raw).key == "allow_extrapolation"


def test_enrolment_criteria_take_a_pf_range_and_a_range_of_hours_since_onset() -> None:
    raw = example()
    raw["population"]["severity"] = {"moderate": 0.6, "severe": 0.4}
    raw["population"]["pf_enrolment_mmhg"] = [0, 200]
    raw["population"]["enrolment_delay_h"] = [0, 96]
    population = trial_config_from_dict(raw).population
    assert population.pf_enrolment_mmhg == (0.0, 200.0)
    assert population.enrolment_delay_h == (0.0, 96.0)
    raw["population"]["enrolment_delay_h"] = 12
    assert trial_config_from_dict(raw).population.enrolment_delay_h == (12.0, 12.0)


@pytest.mark.parametrize(
    ("key", "value", "rule"),
    [
        ("pf_enrolment_mmhg", [250, 100], "minimum must not be above maximum"),
        ("pf_enrolment_mmhg", [0, 400], "between 0 and 300"),
        ("pf_enrolment_mmhg", 150, "[minimum, maximum]"),
        ("pf_enrolment_mmhg", [0, 200], "excludes every mild patient"),
        ("enrolment_delay_h", [0, 120], "between 0 and 96"),
        ("enrolment_delay_h", [48, 24], "minimum must not be above maximum"),
    ],
)
def test_it_refuses_enrolment_criteria_that_break_a_rule(key: str, value: object, rule: str) -> None:
    raw = example()  # its severity mix has mild patients
    raw["population"][key] = value
    err = refusal(raw)
    assert err.key == f"population.{key}" and rule in err.rule
