"""SI (and other) laboratory units: converted once, in validation, to the one key the rules read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stromal.clinical.assess import assess
from stromal.clinical.observations import ALTERNATIVE_UNITS, ALTERNATIVES, FIELDS, validate_observations
from stromal.clinical.validation import ClinicalInputError

CASES = json.loads((Path(__file__).parent / "cases" / "si_units.json").read_text())


def _dig(result: dict[str, Any], dotted: str) -> Any:
    value: Any = result
    for part in dotted.split("."):
        value = value[part]
    return value


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["name"] for c in CASES["cases"]])
def test_si_values_reach_the_rules_in_the_canonical_unit(case: dict[str, Any]) -> None:
    result = assess(case["observations"])
    for dotted, expected in case["expected"].items():
        assert _dig(result, dotted) == expected, dotted


def test_the_published_factors_are_used() -> None:
    assert ALTERNATIVES["bilirubin_umol_l"].per_canonical_unit == 17.1
    assert ALTERNATIVES["creatinine_umol_l"].per_canonical_unit == 88.4
    assert ALTERNATIVES["triglycerides_mg_dl"].per_canonical_unit == pytest.approx(88.574, abs=1e-3)


def test_the_rules_never_see_the_alternative_key() -> None:
    clean = validate_observations({"creatinine_umol_l": 150.0, "bilirubin_umol_l": 40.0})
    assert clean == {"creatinine_mg_dl": 1.7, "bilirubin_mg_dl": 2.3}


@pytest.mark.parametrize("alt", ALTERNATIVE_UNITS, ids=[a.key for a in ALTERNATIVE_UNITS])
def test_one_quantity_in_two_units_is_refused_naming_both_fields(alt: Any) -> None:
    spec = FIELDS[alt.canonical]
    assert spec.maximum is not None
    with pytest.raises(ClinicalInputError) as err:
        validate_observations({alt.canonical: spec.maximum, alt.key: FIELDS[alt.key].maximum})
    assert alt.canonical in err.value.rule and alt.key in err.value.rule


@pytest.mark.parametrize("alt", ALTERNATIVE_UNITS, ids=[a.key for a in ALTERNATIVE_UNITS])
def test_an_alternative_fields_range_is_the_canonical_range_in_its_unit(alt: Any) -> None:
    canon, other = FIELDS[alt.canonical], FIELDS[alt.key]
    assert canon.maximum is not None and other.maximum is not None
    assert other.maximum == pytest.approx(canon.maximum * alt.per_canonical_unit, rel=1e-5)
    assert other.label == canon.label


@settings(max_examples=200, deadline=None)
@given(alt=st.sampled_from(ALTERNATIVE_UNITS), fraction=st.floats(0.0, 1.0))
def test_every_accepted_si_value_converts_inside_the_canonical_range(alt: Any, fraction: float) -> None:
    spec = FIELDS[alt.key]
    assert spec.minimum is not None and spec.maximum is not None
    value = spec.minimum + fraction * (spec.maximum - spec.minimum)
    clean = validate_observations({alt.key: value})
    canon = FIELDS[alt.canonical]
    assert canon.minimum is not None and canon.maximum is not None
    assert canon.minimum <= float(clean[alt.canonical]) <= canon.maximum


def test_a_creatinine_of_88_in_mg_dl_is_refused_with_the_si_hint() -> None:
    with pytest.raises(ClinicalInputError) as err:
        assess({"creatinine_mg_dl": 88})
    assert err.value.field == "creatinine_mg_dl"
    assert err.value.suggestion == "did you enter µmol/L? use creatinine_umol_l"
