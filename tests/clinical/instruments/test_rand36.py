"""RAND-36 1.0: RAND's recoding table, scale means over answered items, worked cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stromal.clinical.instruments import INSTRUMENTS
from stromal.clinical.instruments.rand36 import RECODE, SCALES, recoded
from stromal.clinical.validation import ClinicalInputError

DATA = json.loads((Path(__file__).parent / "cases" / "rand36.json").read_text(encoding="utf-8"))
RAND36 = INSTRUMENTS["rand36"]
N_CATEGORIES = {n: len(values) for group, values in RECODE.items() for n in group}


@pytest.mark.parametrize("case", DATA["cases"], ids=lambda c: str(c["name"]))
def test_it_scores_the_worked_cases_by_rands_algorithm(case: dict[str, Any]) -> None:
    result = RAND36.score(case["answers"])
    for key, expected in case["expected"].items():
        if expected is None:
            assert result[key] is None, key
        else:
            assert result[key] == pytest.approx(expected, abs=1e-9), key


def test_every_item_1_to_36_is_recoded_exactly_once() -> None:
    numbers = sorted(n for group in RECODE for n in group)
    assert numbers == list(range(1, 37))


def test_every_scale_item_except_item_2_belongs_to_one_scale() -> None:
    in_scales = sorted(n for items in SCALES.values() for n in items)
    assert in_scales == [n for n in range(1, 37) if n != 2]


@pytest.mark.parametrize("item", range(1, 37))
def test_each_items_recoded_values_run_from_0_to_100_in_equal_steps(item: int) -> None:
    values = sorted(recoded(item, a) for a in range(1, N_CATEGORIES[item] + 1))
    step = 100 / (len(values) - 1)
    assert values == pytest.approx([i * step for i in range(len(values))])


answers = st.fixed_dictionaries(
    {},
    optional={f"rand36_{n}": st.integers(1, N_CATEGORIES[n]) for n in range(1, 37)},
)


@given(answers)
def test_every_scale_is_in_0_to_100_or_absent_when_none_of_its_items_is_answered(raw: dict[str, int]) -> None:
    result = RAND36.score(raw)
    for scale, items in SCALES.items():
        answered = [n for n in items if f"rand36_{n}" in raw]
        if answered:
            assert 0 <= float(result[scale] or 0) <= 100
        else:
            assert result[scale] is None
        assert result[f"{scale}_items_answered"] == len(answered)


@given(st.integers(1, 5))
def test_a_better_general_health_rating_never_lowers_general_health(answer: int) -> None:
    # Item 1 runs from 1 = excellent to 5 = poor.
    better = RAND36.score({"rand36_1": max(1, answer - 1)})["general_health"]
    worse = RAND36.score({"rand36_1": answer})["general_health"]
    assert float(better or 0) >= float(worse or 0)


@pytest.mark.parametrize(
    ("item", "bad"), [("rand36_13", 3), ("rand36_3", 4), ("rand36_21", 7), ("rand36_1", 0)]
)
def test_an_answer_outside_the_items_categories_is_refused_naming_the_item(item: str, bad: int) -> None:
    with pytest.raises(ClinicalInputError) as err:
        RAND36.score({item: bad})
    assert err.value.field == item
