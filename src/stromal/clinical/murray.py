"""Murray lung injury score (1988).

Murray JF, Matthay MA, Luce JM, Flick MR. An expanded definition of the adult
respiratory distress syndrome. Am Rev Respir Dis 1988;138(3):720-3,
doi:10.1164/ajrccm/138.3.720. Each component scores 0-4; the score is the sum
divided by the number of components used. 0 = no lung injury, 0.1-2.5 =
mild-to-moderate injury, > 2.5 = severe injury (ARDS).

Component bands (table 1 of the paper): CXR quadrants with consolidation 0-4;
P/F >= 300 / 225-299 / 175-224 / 100-174 / < 100; PEEP <= 5 / 6-8 / 9-11 /
12-14 / >= 15 cmH2O; compliance >= 80 / 60-79 / 40-59 / 20-39 / <= 19
mL/cmH2O. Continuous values between the published integer bands (e.g. PEEP
5.5) fall into the next band up, i.e. the published lower bound of each band
is the threshold. P/F here is PaO2/FiO2 without altitude correction, as in the
original.
"""

from __future__ import annotations

from dataclasses import dataclass

from stromal.clinical.precision import MURRAY_SCORE_DECIMALS, recorded, recorded_pf

SOURCE = (
    "Murray JF, Matthay MA, Luce JM, Flick MR. An expanded definition of the adult "
    "respiratory distress syndrome. Am Rev Respir Dis 1988;138(3):720-3. "
    "doi:10.1164/ajrccm/138.3.720"
)


#: (lower bound, points) of each hypoxaemia band, P/F in mmHg, best band first.
PF_BANDS: tuple[tuple[float, int], ...] = ((300.0, 0), (225.0, 1), (175.0, 2), (100.0, 3))
PF_WORST_POINTS = 4
#: (upper bound, points) of each PEEP band, cmH2O.
PEEP_BANDS: tuple[tuple[float, int], ...] = ((5.0, 0), (8.0, 1), (11.0, 2), (14.0, 3))
#: (lower bound, points) of each compliance band, mL/cmH2O.
COMPLIANCE_BANDS: tuple[tuple[float, int], ...] = ((80.0, 0), (60.0, 1), (40.0, 2), (20.0, 3))
#: Mean score above which the injury is severe (ARDS).
SEVERE_ABOVE_SCORE = 2.5


def murray_cxr_points(quadrants: int) -> int:
    """0-4 points: one per quadrant with alveolar consolidation."""
    if not 0 <= quadrants <= 4:
        raise ValueError("chest_xray_quadrants must be 0-4")
    return quadrants


def murray_pf_points(pf_ratio_mmhg: float) -> int:
    """>= 300: 0; >= 225: 1; >= 175: 2; >= 100: 3; < 100: 4 (P/F compared at 0.1 mmHg)."""
    pf = recorded_pf(pf_ratio_mmhg)
    for limit, points in PF_BANDS:
        if pf >= limit:
            return points
    return PF_WORST_POINTS


def murray_peep_points(peep_cmh2o: float) -> int:
    """<= 5: 0; <= 8: 1; <= 11: 2; <= 14: 3; > 14 (>= 15): 4."""
    for limit, points in PEEP_BANDS:
        if peep_cmh2o <= limit:
            return points
    return 4


def murray_compliance_points(compliance_ml_per_cmh2o: float) -> int:
    """>= 80: 0; >= 60: 1; >= 40: 2; >= 20: 3; < 20 (<= 19): 4."""
    for limit, points in COMPLIANCE_BANDS:
        if compliance_ml_per_cmh2o >= limit:
            return points
    return 4


@dataclass(frozen=True)
class MurrayResult:
    score: float | None
    components: dict[str, int]
    missing: tuple[str, ...]

    @property
    def interpretation(self) -> str | None:
        if self.score is None:
            return None
        if self.score == 0:
            return "no lung injury"
        if self.score <= SEVERE_ABOVE_SCORE:
            return "mild to moderate lung injury"
        return "severe lung injury (ARDS)"

    def as_dict(self) -> dict[str, object]:
        return {
            "score": self.score,
            "components": dict(self.components),
            "missing": list(self.missing),
            "interpretation": self.interpretation,
            "source": SOURCE,
        }


def murray_score(
    *,
    chest_xray_quadrants: int | None,
    pf_ratio_mmhg: float | None,
    peep_cmh2o: float | None,
    compliance_ml_per_cmh2o: float | None,
) -> MurrayResult:
    """Mean of the available components (recorded to 0.01, ``stromal.clinical.precision``); None if none."""
    components: dict[str, int] = {}
    missing: list[str] = []
    if chest_xray_quadrants is None:
        missing.append("chest_xray")
    else:
        components["chest_xray"] = murray_cxr_points(chest_xray_quadrants)
    if pf_ratio_mmhg is None:
        missing.append("hypoxemia")
    else:
        components["hypoxemia"] = murray_pf_points(pf_ratio_mmhg)
    if peep_cmh2o is None:
        missing.append("peep")
    else:
        components["peep"] = murray_peep_points(peep_cmh2o)
    if compliance_ml_per_cmh2o is None:
        missing.append("compliance")
    else:
        components["compliance"] = murray_compliance_points(compliance_ml_per_cmh2o)
    score = (
        recorded(sum(components.values()) / len(components), MURRAY_SCORE_DECIMALS) if components else None
    )
    return MurrayResult(score, components, tuple(missing))
