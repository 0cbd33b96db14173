"""The ``assess`` contract: keys, nulls explained, worked patients, refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stromal.clinical.assess import RULES_VERSION, assess
from stromal.clinical.validation import ClinicalInputError

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "cases" / "assess_patients.json").read_text()
)["cases"]

TOP_LEVEL_KEYS = {
    "pf_ratio",
    "sf_ratio",
    "oxygenation_index",
    "predicted_body_weight_kg",
    "berlin",
    "global_definition",
    "murray",
    "sofa",
    "covid_cs",
    "hscore",
    "six_minute_walk",
    "spirometry",
    "dlco",
    "moca",
    "mmrc",
    "out_of_reference_range",
    "unit_conversions",
    "missing",
    "sources",
    "rules_version",
}


def _dig(result: dict[str, Any], dotted: str) -> Any:
    value: Any = result
    for part in dotted.split("."):
        value = value[part]
    return value


def test_an_empty_observation_set_gives_every_key_with_reasons_for_the_nulls() -> None:
    result = assess({})
    assert set(result) == TOP_LEVEL_KEYS
    assert result["rules_version"] == RULES_VERSION
    for key in ("pf_ratio", "sf_ratio", "oxygenation_index", "predicted_body_weight_kg"):
        assert result[key] is None
        assert "needs" in result["missing"][key]
    assert result["sofa"]["total"] is None
    assert len(result["sofa"]["missing"]) == 6


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_worked_patients_give_the_expected_assessments(case: dict[str, Any]) -> None:
    result = assess(case["observations"])
    for dotted, expected in case["expected"].items():
        assert _dig(result, dotted) == expected, dotted


def test_the_result_is_json_serialisable() -> None:
    for case in CASES:
        json.dumps(assess(case["observations"]))


def test_a_null_value_means_not_measured() -> None:
    assert assess({"pao2_mmhg": None, "fio2": 0.5})["pf_ratio"] is None


def test_it_refuses_an_unknown_key() -> None:
    with pytest.raises(ClinicalInputError) as err:
        assess({"pao2": 80})
    assert err.value.field == "pao2"


def test_it_refuses_fio2_as_a_percentage() -> None:
    with pytest.raises(ClinicalInputError) as err:
        assess({"fio2": 40})
    assert err.value.suggestion is not None and "0.40" in err.value.suggestion


def test_it_refuses_negative_platelets() -> None:
    with pytest.raises(ClinicalInputError) as err:
        assess({"platelets_10e3_per_ul": -1})
    assert err.value.field == "platelets_10e3_per_ul"


def test_altitude_correction_applies_to_pf_but_not_to_murray_or_sofa() -> None:
    obs = {"pao2_mmhg": 90, "fio2": 0.3, "barometric_pressure_mmhg": 630, "support": "invasive"}
    result = assess(obs)
    assert result["pf_ratio"] == pytest.approx(300 * 630 / 760, abs=0.05)
    assert result["murray"]["components"]["hypoxemia"] == 0  # uncorrected P/F 300
    assert result["sofa"]["components"]["respiratory"] == 1  # uncorrected P/F 300
