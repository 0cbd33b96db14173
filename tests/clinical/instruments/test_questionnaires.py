"""PHQ-9, GAD-7, MoCA and mMRC: worked cases from their sources and the cut-offs as properties."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stromal.clinical.instruments import INSTRUMENTS
from stromal.clinical.instruments.gad7 import SEVERITY_BANDS as GAD7_BANDS
from stromal.clinical.instruments.moca import adjusted_score
from stromal.clinical.instruments.phq9 import SEVERITY_BANDS as PHQ9_BANDS
from stromal.clinical.validation import ClinicalInputError

CASES = Path(__file__).parent / "cases"


def _cases(name: str) -> list[dict[str, Any]]:
    data = json.loads((CASES / name).read_text(encoding="utf-8"))
    assert data["source"]
    cases: list[dict[str, Any]] = data["cases"]
    return cases


def _answers(prefix: str, items: list[int]) -> dict[str, object]:
    return {f"{prefix}_{n}": v for n, v in enumerate(items, start=1)}


@pytest.mark.parametrize("case", _cases("phq9.json"), ids=lambda c: str(c["total"]))
def test_phq9_scores_the_worked_cases_of_kroenke_2001(case: dict[str, Any]) -> None:
    result = INSTRUMENTS["phq9"].score(_answers("phq9", case["items"]))
    assert result == {
        "total": case["total"],
        "severity": case["severity"],
        "item9_positive": case["item9_positive"],
    }


@pytest.mark.parametrize("case", _cases("gad7.json"), ids=lambda c: str(c["total"]))
def test_gad7_scores_the_worked_cases_of_spitzer_2006(case: dict[str, Any]) -> None:
    result = INSTRUMENTS["gad7"].score(_answers("gad7", case["items"]))
    assert result == {"total": case["total"], "severity": case["severity"]}


@pytest.mark.parametrize(
    "case", _cases("moca.json"), ids=lambda c: f"{c['moca_score']}-{c['education_years']}y"
)
def test_moca_adds_the_education_point_as_nasreddine_2005(case: dict[str, Any]) -> None:
    result = INSTRUMENTS["moca"].score(
        {"moca_score": case["moca_score"], "education_years": case["education_years"]}
    )
    assert result == {
        "raw_score": case["moca_score"],
        "education_point": case["education_point"],
        "adjusted_score": case["adjusted_score"],
        "impaired": case["impaired"],
    }


phq9_items = st.lists(st.integers(0, 3), min_size=9, max_size=9)
gad7_items = st.lists(st.integers(0, 3), min_size=7, max_size=7)


@given(phq9_items, st.integers(0, 8))
def test_phq9_total_stays_in_0_to_27_and_never_falls_when_an_answer_rises(
    items: list[int], which: int
) -> None:
    base = INSTRUMENTS["phq9"].score(_answers("phq9", items))
    assert 0 <= int(base["total"] or 0) <= 27
    raised = list(items)
    raised[which] = min(3, raised[which] + 1)
    higher = INSTRUMENTS["phq9"].score(_answers("phq9", raised))
    assert int(higher["total"] or 0) >= int(base["total"] or 0)
    order = [name for _, name in PHQ9_BANDS]
    assert order.index(str(higher["severity"])) >= order.index(str(base["severity"]))
    assert base["item9_positive"] is (items[8] > 0)


@given(gad7_items)
def test_gad7_total_stays_in_0_to_21(items: list[int]) -> None:
    assert 0 <= int(INSTRUMENTS["gad7"].score(_answers("gad7", items))["total"] or 0) <= 21


@pytest.mark.parametrize(("bands", "prefix", "count"), [(PHQ9_BANDS, "phq9", 9), (GAD7_BANDS, "gad7", 7)])
def test_each_cut_off_belongs_to_the_band_it_opens(
    bands: tuple[tuple[int, str], ...], prefix: str, count: int
) -> None:
    for (cut, name), (_, below) in zip(bands[1:], bands[:-1], strict=True):
        at = [3] * (cut // 3) + [cut % 3] + [0] * count
        just_below = [3] * ((cut - 1) // 3) + [(cut - 1) % 3] + [0] * count
        assert INSTRUMENTS[prefix].score(_answers(prefix, at[:count]))["severity"] == name
        assert INSTRUMENTS[prefix].score(_answers(prefix, just_below[:count]))["severity"] == below


@given(st.integers(0, 30), st.integers(0, 30))
def test_moca_adjusted_score_stays_in_range_and_impairment_is_below_26(raw: int, years: int) -> None:
    result = INSTRUMENTS["moca"].score({"moca_score": raw, "education_years": years})
    adjusted = int(result["adjusted_score"] or 0)
    assert raw <= adjusted <= min(30, raw + 1)
    assert result["impaired"] is (adjusted < 26)
    assert adjusted_score(raw, years) == adjusted


@given(st.integers(0, 29))
def test_moca_education_point_ends_after_exactly_12_years(raw: int) -> None:
    assert adjusted_score(raw, 12) == raw + 1
    assert adjusted_score(raw, 13) == raw


@pytest.mark.parametrize("grade", [0, 1, 2, 3, 4])
def test_mmrc_reports_the_grade_and_its_description(grade: int) -> None:
    result = INSTRUMENTS["mmrc"].score({"mmrc_grade": grade})
    assert result["grade"] == grade
    assert result["description"]


@pytest.mark.parametrize("bad", [5, -1, 2.5, "2", True])
def test_mmrc_refuses_a_grade_outside_0_to_4_naming_the_item(bad: object) -> None:
    with pytest.raises(ClinicalInputError) as err:
        INSTRUMENTS["mmrc"].score({"mmrc_grade": bad})
    assert err.value.field == "mmrc_grade"
    assert "0–4" in err.value.rule


def test_a_phq9_answer_of_4_is_refused_with_the_item_named() -> None:
    answers = _answers("phq9", [0] * 9) | {"phq9_3": 4}
    with pytest.raises(ClinicalInputError) as err:
        INSTRUMENTS["phq9"].score(answers)
    assert err.value.field == "phq9_3"


def test_a_phq9_with_a_missing_item_is_refused_not_prorated() -> None:
    answers = _answers("phq9", [1] * 9)
    del answers["phq9_9"]
    with pytest.raises(ClinicalInputError) as err:
        INSTRUMENTS["phq9"].score(answers)
    assert (err.value.field, err.value.rule) == ("phq9_9", "is required")
