"""COVID-CS (Caricchio 2021) and HScore (Fardet 2014): thresholds, clusters, missing data."""

from __future__ import annotations

from typing import Any

import pytest

from stromal.clinical.cytokine_storm import (
    covid_cytokine_storm,
    hscore,
    hscore_cytopenia_points,
    hscore_ferritin_points,
    hscore_probability_band,
    hscore_temperature_points,
    hscore_triglyceride_points,
)

ENTRY = {"ferritin_ng_ml": 800.0, "crp_mg_dl": 12.0}
ONE_PER_CLUSTER = {"albumin_g_dl": 2.5, "ldh_u_l": 500.0, "chloride_mmol_l": 108.0}


def _covid(labs: dict[str, float], **flags: Any) -> Any:
    return covid_cytokine_storm(
        covid_confirmed=flags.get("covid_confirmed", True),
        ground_glass_opacities=flags.get("ground_glass_opacities", True),
        labs=labs,
    )


def test_entry_criteria_and_one_item_per_cluster_meet_covid_cs() -> None:
    assert _covid({**ENTRY, **ONE_PER_CLUSTER}).meets is True


@pytest.mark.parametrize(
    ("key", "at", "above"),
    [("ferritin_ng_ml", 250.0, 250.1), ("crp_mg_dl", 4.6, 4.61)],
)
def test_entry_labs_must_be_strictly_above_their_threshold(key: str, at: float, above: float) -> None:
    assert _covid({**ENTRY, **ONE_PER_CLUSTER, key: at}).meets is False
    assert _covid({**ENTRY, **ONE_PER_CLUSTER, key: above}).meets is True


@pytest.mark.parametrize(
    ("key", "fires", "quiet"),
    [
        ("albumin_g_dl", 2.79, 2.8),
        ("lymphocytes_pct", 10.19, 10.2),
        ("neutrophils_10e3_per_ul", 11.41, 11.4),
    ],
)
def test_cluster_1_thresholds(key: str, fires: float, quiet: float) -> None:
    rest = {"ldh_u_l": 500.0, "chloride_mmol_l": 108.0}
    others = {"albumin_g_dl": 3.5, "lymphocytes_pct": 20.0, "neutrophils_10e3_per_ul": 5.0}
    assert _covid({**ENTRY, **rest, **others, key: fires}).meets is True
    assert _covid({**ENTRY, **rest, **others, key: quiet}).meets is False


@pytest.mark.parametrize(
    ("key", "fires", "quiet"),
    [
        ("alt_u_l", 60.1, 60.0),
        ("ast_u_l", 87.1, 87.0),
        ("d_dimer_ng_ml", 4930.1, 4930.0),
        ("ldh_u_l", 416.1, 416.0),
        ("troponin_i_ng_ml", 1.1, 1.09),
    ],
)
def test_cluster_2_thresholds(key: str, fires: float, quiet: float) -> None:
    rest = {"albumin_g_dl": 2.5, "chloride_mmol_l": 108.0}
    others = {
        "alt_u_l": 20.0,
        "ast_u_l": 20.0,
        "d_dimer_ng_ml": 500.0,
        "ldh_u_l": 200.0,
        "troponin_i_ng_ml": 0.01,
    }
    assert _covid({**ENTRY, **rest, **others, key: fires}).meets is True
    assert _covid({**ENTRY, **rest, **others, key: quiet}).meets is False


@pytest.mark.parametrize(
    ("key", "fires", "quiet"),
    [
        ("anion_gap_mmol_l", 6.79, 6.8),
        ("chloride_mmol_l", 106.1, 106.0),
        ("potassium_mmol_l", 4.91, 4.9),
        ("bun_creatinine_ratio", 29.1, 29.0),
    ],
)
def test_cluster_3_thresholds(key: str, fires: float, quiet: float) -> None:
    rest = {"albumin_g_dl": 2.5, "ldh_u_l": 500.0}
    others = {
        "anion_gap_mmol_l": 10.0,
        "chloride_mmol_l": 100.0,
        "potassium_mmol_l": 4.0,
        "bun_creatinine_ratio": 15.0,
    }
    assert _covid({**ENTRY, **rest, **others, key: fires}).meets is True
    assert _covid({**ENTRY, **rest, **others, key: quiet}).meets is False


def test_a_cluster_with_no_values_is_missing_not_unmet() -> None:
    result = _covid({**ENTRY, "albumin_g_dl": 2.5, "ldh_u_l": 500.0})
    assert result.meets is None
    assert result.as_dict()["missing"] == ["cluster_3"]


def test_no_covid_means_no_covid_cs() -> None:
    assert _covid({**ENTRY, **ONE_PER_CLUSTER}, covid_confirmed=False).meets is False


@pytest.mark.parametrize(("temp", "points"), [(38.39, 0), (38.4, 33), (39.4, 33), (39.41, 49)])
def test_hscore_temperature(temp: float, points: int) -> None:
    assert hscore_temperature_points(temp) == points


@pytest.mark.parametrize(("ferritin", "points"), [(1999, 0), (2000, 35), (6000, 35), (6001, 50)])
def test_hscore_ferritin(ferritin: float, points: int) -> None:
    assert hscore_ferritin_points(ferritin) == points


@pytest.mark.parametrize(("tg", "points"), [(1.49, 0), (1.5, 44), (4.0, 44), (4.01, 64)])
def test_hscore_triglycerides(tg: float, points: int) -> None:
    assert hscore_triglyceride_points(tg) == points


@pytest.mark.parametrize(
    ("hb", "wbc", "plt", "points"),
    [(9.3, 5.1, 111, 0), (9.2, 5.1, 111, 0), (9.2, 5.0, 111, 24), (9.2, 5.0, 110, 34)],
)
def test_hscore_cytopenias_count_lineages(hb: float, wbc: float, plt: float, points: int) -> None:
    assert hscore_cytopenia_points(hb, wbc, plt) == points


@pytest.mark.parametrize(("score", "band"), [(90, "< 1 %"), (91, None), (249, None), (250, "> 99 %")])
def test_hscore_reports_only_the_verified_probability_anchors(score: int, band: str | None) -> None:
    assert hscore_probability_band(score) == band


def test_hscore_minimum_and_maximum() -> None:
    low: dict[str, Any] = {
        "known_immunosuppression": False,
        "temperature_c": 37.0,
        "hepatomegaly": False,
        "splenomegaly": False,
        "hemoglobin_g_dl": 13.0,
        "wbc_10e3_per_ul": 7.0,
        "platelets_10e3_per_ul": 250.0,
        "ferritin_ng_ml": 300.0,
        "triglycerides_mmol_l": 1.0,
        "fibrinogen_g_l": 3.0,
        "ast_u_l": 20.0,
        "marrow_hemophagocytosis": False,
    }
    assert hscore(**low).score == 0
    high = {
        **low,
        "known_immunosuppression": True,
        "temperature_c": 40.0,
        "hepatomegaly": True,
        "splenomegaly": True,
        "hemoglobin_g_dl": 8.0,
        "wbc_10e3_per_ul": 2.0,
        "platelets_10e3_per_ul": 50.0,
        "ferritin_ng_ml": 10000.0,
        "triglycerides_mmol_l": 5.0,
        "fibrinogen_g_l": 1.0,
        "ast_u_l": 100.0,
        "marrow_hemophagocytosis": True,
    }
    assert hscore(**high).score == 337


def test_incomplete_hscore_gives_a_partial_sum_and_no_total() -> None:
    result = hscore(
        known_immunosuppression=True,
        temperature_c=None,
        hepatomegaly=None,
        splenomegaly=None,
        hemoglobin_g_dl=None,
        wbc_10e3_per_ul=None,
        platelets_10e3_per_ul=None,
        ferritin_ng_ml=7000,
        triglycerides_mmol_l=None,
        fibrinogen_g_l=None,
        ast_u_l=None,
        marrow_hemophagocytosis=None,
    )
    assert result.score is None
    assert result.partial_score == 68
    assert "temperature" in result.missing


# --- every cut-off at exactly its value (issue #8, class 10: kill mutants at cut-offs) ---

from stromal.clinical.cytokine_storm import (  # noqa: E402
    _ENTRY_LABS,
    COVID_CS_CLUSTERS,
    HSCORE_DIAGNOSTIC_CUTOFF,
    hscore_ast_points,
    hscore_fibrinogen_points,
)

_ALL_ITEMS = [item for items in COVID_CS_CLUSTERS.values() for item in items] + list(_ENTRY_LABS)


@pytest.mark.parametrize("item", _ALL_ITEMS, ids=[i[0] for i in _ALL_ITEMS])
def test_a_covid_cs_lab_exactly_at_its_threshold_is_not_met_and_just_beyond_is(
    item: tuple[str, str, str, float],
) -> None:
    key, _, op, threshold = item
    # Caricchio 2021 words every item strictly (> or <).
    beyond = threshold + 0.01 if op == ">" else threshold - 0.01

    def status(value: float) -> str:
        result = covid_cytokine_storm(covid_confirmed=True, ground_glass_opacities=True, labs={key: value})
        return _item_status(result, key)

    assert status(threshold) != "met"
    assert status(beyond) == "met"


def _item_status(result: Any, key: str) -> str:
    for c in result.criteria:
        if c.code == key:
            return str(c.status)
        if c.code.startswith("cluster") and isinstance(c.observed, list) and key in c.observed:
            return "met"
    return "not met"


def test_the_published_covid_cs_thresholds() -> None:
    thresholds = {item[0]: (item[2], item[3]) for item in _ALL_ITEMS}
    assert thresholds == {
        "albumin_g_dl": ("<", 2.8),
        "lymphocytes_pct": ("<", 10.2),
        "neutrophils_10e3_per_ul": (">", 11.4),
        "alt_u_l": (">", 60.0),
        "ast_u_l": (">", 87.0),
        "d_dimer_ng_ml": (">", 4930.0),
        "ldh_u_l": (">", 416.0),
        "troponin_i_ng_ml": (">", 1.09),
        "anion_gap_mmol_l": ("<", 6.8),
        "chloride_mmol_l": (">", 106.0),
        "potassium_mmol_l": (">", 4.9),
        "bun_creatinine_ratio": (">", 29.0),
        "ferritin_ng_ml": (">", 250.0),
        "crp_mg_dl": (">", 4.6),
    }


@pytest.mark.parametrize(
    ("points", "value", "expected"),
    [
        (hscore_temperature_points, 38.39, 0),
        (hscore_temperature_points, 38.4, 33),
        (hscore_temperature_points, 39.4, 33),
        (hscore_temperature_points, 39.41, 49),
        (hscore_ferritin_points, 1999, 0),
        (hscore_ferritin_points, 2000, 35),
        (hscore_ferritin_points, 6000, 35),
        (hscore_ferritin_points, 6001, 50),
        (hscore_triglyceride_points, 1.49, 0),
        (hscore_triglyceride_points, 1.5, 44),
        (hscore_triglyceride_points, 4.0, 44),
        (hscore_triglyceride_points, 4.01, 64),
        (hscore_fibrinogen_points, 2.5, 30),
        (hscore_fibrinogen_points, 2.51, 0),
        (hscore_ast_points, 29.9, 0),
        (hscore_ast_points, 30, 19),
    ],
)
def test_each_hscore_item_at_its_published_cut_off(points: Any, value: float, expected: int) -> None:
    assert points(value) == expected


@pytest.mark.parametrize(
    ("hb", "wbc", "plt", "expected"),
    [
        (9.2, 5.0, 110.0, 34),
        (9.21, 5.0, 110.0, 24),
        (9.2, 5.01, 110.0, 24),
        (9.2, 5.0, 110.1, 24),
        (9.21, 5.01, 110.0, 0),
    ],
)
def test_cytopenias_count_at_exactly_their_cut_offs(hb: float, wbc: float, plt: float, expected: int) -> None:
    assert hscore_cytopenia_points(hb, wbc, plt) == expected


def _hscore(**items: Any) -> Any:
    base: dict[str, Any] = {
        "known_immunosuppression": False,
        "temperature_c": 37.0,
        "hepatomegaly": False,
        "splenomegaly": False,
        "hemoglobin_g_dl": 12.0,
        "wbc_10e3_per_ul": 8.0,
        "platelets_10e3_per_ul": 200.0,
        "ferritin_ng_ml": 500.0,
        "triglycerides_mmol_l": 1.0,
        "fibrinogen_g_l": 3.0,
        "ast_u_l": 20.0,
        "marrow_hemophagocytosis": False,
    }
    return hscore(**{**base, **items})


def test_an_hscore_of_exactly_169_is_above_the_diagnostic_cut_off_and_168_is_not() -> None:
    assert HSCORE_DIAGNOSTIC_CUTOFF == 169
    at = _hscore(
        known_immunosuppression=True,  # 18
        temperature_c=39.5,  # 49
        hepatomegaly=True,
        splenomegaly=True,  # 38
        hemoglobin_g_dl=9.0,
        wbc_10e3_per_ul=4.0,
        platelets_10e3_per_ul=100.0,  # 34
        fibrinogen_g_l=2.5,  # 30
    )
    assert at.score == 169 and at.as_dict()["above_diagnostic_cutoff"] is True
    below = _hscore(
        ferritin_ng_ml=7000.0,  # 50
        triglycerides_mmol_l=5.0,  # 64
        ast_u_l=40.0,  # 19
        marrow_hemophagocytosis=True,  # 35
    )
    assert below.score == 168 and below.as_dict()["above_diagnostic_cutoff"] is False


@pytest.mark.parametrize(
    ("liver", "spleen", "points"), [(False, False, 0), (True, False, 23), (False, True, 23), (True, True, 38)]
)
def test_organomegaly_scores_each_published_combination(liver: bool, spleen: bool, points: int) -> None:
    from stromal.clinical.cytokine_storm import hscore_organomegaly_points

    assert hscore_organomegaly_points(liver, spleen) == points
