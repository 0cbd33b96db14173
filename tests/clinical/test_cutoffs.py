"""Every cut-off on a computed ratio puts exactly the cut-off in the band its source gives it.

The cut-offs are read from the rule modules (named constants); the band at
exactly each cut-off is written here from the source's wording (Berlin and
Global: "P/F <= c" belongs to the lower grade; SOFA: "< c" scores the higher
points only below c; Murray: a band starts at its lower bound). PaO2 is
c x FiO2 for every FiO2 the calculator form can take: the form is free entry,
so the grid is 0.21..1.00 in 0.01 steps (and any float in between, by
hypothesis). The displayed P/F must equal c, and the band must be the
source's band for c (``stromal.clinical.precision``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stromal.clinical import berlin, global_definition, murray, sofa
from stromal.clinical.assess import assess
from stromal.clinical.observations import FIELDS
from stromal.clinical.precision import recorded

FIO2_GRID = [round(0.21 + i / 100, 2) for i in range(80)]
MEETS_ARDS = {
    "support": "invasive",
    "peep_cmh2o": 10,
    "onset_within_7_days": True,
    "bilateral_opacities": True,
    "edema_explained_by_cardiac_or_fluid": False,
}

# Band at exactly the cut-off, as each source words it.
BERLIN_AT = {
    berlin.MILD_MAX_PF: "mild",  # mild 200 < P/F <= 300
    berlin.MODERATE_MAX_PF: "moderate",  # moderate 100 < P/F <= 200
    berlin.SEVERE_MAX_PF: "severe",  # severe P/F <= 100
}
GLOBAL_PF_AT = {
    global_definition.MAX_PF: "mild",
    global_definition.MODERATE_MAX_PF: "moderate",
    global_definition.SEVERE_MAX_PF: "severe",
}
GLOBAL_SF_AT = {
    global_definition.MAX_SF: "mild",  # mild 235 < S/F <= 315
    global_definition.MODERATE_MAX_SF: "moderate",  # moderate 148 < S/F <= 235
    global_definition.SEVERE_MAX_SF: "severe",  # severe S/F <= 148
}
# SOFA (Vincent 1996): >= 400: 0; < 400: 1; < 300: 2; < 200 with support: 3; < 100: 4.
SOFA_AT = dict(zip(sofa.RESPIRATORY_PF_CUTOFFS, (0, 1, 2, 3), strict=True))
# Murray 1988: >= 300: 0; 225-299: 1; 175-224: 2; 100-174: 3; < 100: 4.
MURRAY_AT = dict(murray.PF_BANDS)

PF_CUTOFFS = sorted({*BERLIN_AT, *GLOBAL_PF_AT, *SOFA_AT, *MURRAY_AT})


def _in_range(field: str, value: float) -> bool:
    spec = FIELDS[field]
    assert spec.minimum is not None and spec.maximum is not None
    return spec.minimum <= value <= spec.maximum


def _check_pf(result: dict[str, Any], cutoff: float) -> None:
    assert result["pf_ratio"] == cutoff  # the value printed is the value compared
    if cutoff in BERLIN_AT:
        assert result["berlin"]["severity"] == BERLIN_AT[cutoff]
    if cutoff in GLOBAL_PF_AT:
        assert result["global_definition"]["severity"] == GLOBAL_PF_AT[cutoff]
    if cutoff in SOFA_AT:
        assert result["sofa"]["components"]["respiratory"] == SOFA_AT[cutoff]
    if cutoff in MURRAY_AT:
        assert result["murray"]["components"]["hypoxemia"] == MURRAY_AT[cutoff]


def test_the_cutoffs_are_those_of_the_sources() -> None:
    # Guards the constants themselves (a changed constant is a changed rule).
    assert sorted(BERLIN_AT) == [100.0, 200.0, 300.0]
    assert sorted(GLOBAL_SF_AT) == [148.0, 235.0, 315.0]
    assert PF_CUTOFFS == [100.0, 175.0, 200.0, 225.0, 300.0, 400.0]


@pytest.mark.parametrize("cutoff", PF_CUTOFFS)
def test_pao2_equal_to_cutoff_times_fio2_gives_the_cutoffs_band_on_the_whole_fio2_grid(cutoff: float) -> None:
    checked = 0
    for fio2 in FIO2_GRID:
        pao2 = cutoff * fio2
        if not _in_range("pao2_mmhg", pao2):
            continue
        _check_pf(assess({"pao2_mmhg": pao2, "fio2": fio2, **MEETS_ARDS}), cutoff)
        checked += 1
    assert checked >= 40  # most of the grid is reachable for every cut-off


@settings(max_examples=300, deadline=None)
@given(cutoff=st.sampled_from(PF_CUTOFFS), fio2=st.floats(0.21, 1.0))
def test_any_fio2_gives_the_cutoffs_band(cutoff: float, fio2: float) -> None:
    pao2 = cutoff * fio2
    if _in_range("pao2_mmhg", pao2):
        _check_pf(assess({"pao2_mmhg": pao2, "fio2": fio2, **MEETS_ARDS}), cutoff)


@settings(max_examples=200, deadline=None)
@given(
    cutoff=st.sampled_from(sorted(BERLIN_AT)),
    fio2=st.sampled_from(FIO2_GRID),
    pressure=st.sampled_from([523.0, 600.0, 630.0, 700.0]),
)
def test_the_altitude_corrected_pf_at_a_cutoff_gets_the_cutoffs_band(
    cutoff: float, fio2: float, pressure: float
) -> None:
    # Berlin above 1000 m: P/F x PB/760. PaO2 chosen so the corrected P/F is c.
    pao2 = cutoff * fio2 * 760.0 / pressure
    if not _in_range("pao2_mmhg", pao2):
        return
    result = assess({"pao2_mmhg": pao2, "fio2": fio2, "barometric_pressure_mmhg": pressure, **MEETS_ARDS})
    assert result["pf_ratio"] == cutoff
    assert result["berlin"]["severity"] == BERLIN_AT[cutoff]
    assert result["global_definition"]["severity"] == GLOBAL_PF_AT[cutoff]


@pytest.mark.parametrize("cutoff", sorted(GLOBAL_SF_AT))
def test_spo2_equal_to_cutoff_times_fio2_gives_the_global_sf_band(cutoff: float) -> None:
    checked = 0
    for fio2 in FIO2_GRID:
        spo2 = cutoff * fio2
        if not _in_range("spo2_pct", spo2) or spo2 > global_definition.MAX_SPO2_FOR_SF_PCT:
            continue
        result = assess({"spo2_pct": spo2, "fio2": fio2, **MEETS_ARDS})
        assert result["sf_ratio"] == cutoff
        assert result["global_definition"]["severity"] == GLOBAL_SF_AT[cutoff]
        checked += 1
    assert checked >= 5


def test_the_oxygenation_index_is_shown_at_the_precision_of_the_policy() -> None:
    # 0.57 x 20 x 100 / 57 = 20 exactly in decimal, 20.000000000000004 in binary.
    result = assess({"fio2": 0.57, "mean_airway_pressure_cmh2o": 20, "pao2_mmhg": 57})
    assert result["oxygenation_index"] == 20.0


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (199.99999999999997, 1, 200.0),
        (200.05, 1, 200.1),
        (200.04999, 1, 200.0),
        (-0.25, 1, -0.3),
        (2.675, 2, 2.68),
    ],
)
def test_recorded_rounds_half_away_from_zero_on_the_printed_digits(
    value: float, decimals: int, expected: float
) -> None:
    assert recorded(value, decimals) == expected


@settings(max_examples=300, deadline=None)
@given(value=st.floats(allow_nan=False, allow_infinity=False), decimals=st.integers(0, 9))
def test_recorded_moves_a_value_by_at_most_half_a_last_digit(value: float, decimals: int) -> None:
    result = recorded(value, decimals)
    assert abs(result - value) <= 0.5 * 10**-decimals + abs(value) * 1e-15


CASES = json.loads((Path(__file__).parent / "cases" / "cutoffs.json").read_text())


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["name"] for c in CASES["cases"]])
def test_regression_cases_at_exact_cutoffs(case: dict[str, Any]) -> None:
    result = assess(case["observations"])
    for dotted, expected in case["expected"].items():
        value: Any = result
        for part in dotted.split("."):
            value = value[part]
        assert value == expected, dotted
