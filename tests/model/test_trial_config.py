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
