from __future__ import annotations

from typing import Any

from stromal.products.release import release_findings

PASSING_CELLS: dict[str, Any] = {
    "sterility": "no_growth",
    "mycoplasma": "negative",
    "endotoxin_eu_per_ml": 0.1,
    "endotoxin_limit_eu_per_ml": 0.5,
    "viability_pct": 92.0,
    "cell_count": 1e8,
    "cd105_pct": 98.0,
    "cd73_pct": 99.0,
    "cd90_pct": 97.5,
    "cd45_pct": 0.5,
    "cd34_pct": 0.3,
    "cd14_cd11b_pct": 1.0,
    "cd79a_cd19_pct": 0.2,
    "hla_dr_pct": 1.9,
}


def _fields(**changes: Any) -> set[str]:
    results = {**PASSING_CELLS, **changes}
    return {f.field for f in release_findings(is_exosome=False, results=results)}


def test_a_cell_lot_meeting_every_isct_criterion_is_releasable() -> None:
    assert _fields() == set()


def test_cd105_below_95_percent_blocks_release() -> None:
    assert _fields(cd105_pct=94.9) == {"cd105_pct"}


def test_exactly_95_percent_and_exactly_2_percent_are_acceptable_bounds() -> None:
    assert _fields(cd90_pct=95.0, hla_dr_pct=2.0) == set()


def test_hla_dr_above_2_percent_blocks_release() -> None:
    assert _fields(hla_dr_pct=2.1) == {"hla_dr_pct"}


def test_pending_sterility_and_positive_mycoplasma_block_release() -> None:
    assert _fields(sterility="pending", mycoplasma="positive") == {"sterility", "mycoplasma"}


def test_endotoxin_at_the_limit_blocks_release() -> None:
    assert _fields(endotoxin_eu_per_ml=0.5) == {"endotoxin_eu_per_ml"}


def test_viability_below_70_percent_blocks_release() -> None:
    assert _fields(viability_pct=65.0) == {"viability_pct"}


def test_missing_markers_are_listed_not_assumed() -> None:
    assert _fields(cd73_pct=None) == {"cd73_pct"}


def test_an_exosome_lot_needs_no_cell_markers_but_a_particle_count() -> None:
    base = {"sterility": "no_growth", "mycoplasma": "negative", "endotoxin_eu_per_ml": 0.1}
    assert [f.field for f in release_findings(is_exosome=True, results=base)] == ["particle_count"]
    assert release_findings(is_exosome=True, results={**base, "particle_count": 2e8}) == []
