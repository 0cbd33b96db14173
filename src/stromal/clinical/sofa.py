"""Sequential Organ Failure Assessment (SOFA) score.

Vincent JL, Moreno R, Takala J et al. The SOFA (Sepsis-related Organ Failure
Assessment) score to describe organ dysfunction/failure. Intensive Care Med
1996;22(7):707-10, doi:10.1007/BF01709751; table as reproduced in Singer M et
al., JAMA 2016;315(8):801-10 (PMC4968574).

Six systems, 0-4 each. Partial data give a partial total plus the list of
systems that could not be scored; a missing system is never counted as 0.

Interpretation choices, stated because the table leaves them open:
- respiratory 3-4 need "respiratory support": invasive ventilation or NIV/CPAP
  (``support`` in {"invasive", "niv"}); HFNO and conventional oxygen are not
  support here. With P/F < 200 and ``support`` unknown the system is missing.
- cardiovascular: scored when MAP or any vasoactive dose is given; a
  vasoactive drug that is not reported is taken as not running. Dopamine
  <= 5 or any dobutamine: 2; dopamine > 5 or epinephrine/norepinephrine
  <= 0.1: 3; dopamine > 15 or epinephrine/norepinephrine > 0.1: 4 (µg/kg/min
  for at least 1 h).
- renal: the worse of the creatinine and urine-output scores.
"""

from __future__ import annotations

from dataclasses import dataclass

from stromal.clinical.precision import recorded_pf

SOURCE = (
    "Vincent JL et al. The SOFA score to describe organ dysfunction/failure. "
    "Intensive Care Med 1996;22(7):707-10. doi:10.1007/BF01709751"
)

SYSTEMS = ("respiratory", "coagulation", "liver", "cardiovascular", "cns", "renal")
RESPIRATORY_SUPPORT = frozenset({"invasive", "niv"})

#: Respiratory cut-offs, P/F in mmHg: 1 point below 400, 2 below 300, 3 below
#: 200 with support, 4 below 100 with support ("<", so exactly 200 scores 2).
RESPIRATORY_PF_CUTOFFS = (400.0, 300.0, 200.0, 100.0)
#: Below this P/F the score depends on respiratory support (3-4 vs 2).
SUPPORT_NEEDED_BELOW_PF = RESPIRATORY_PF_CUTOFFS[2]
#: (lower bound, points) for platelets (10^3/µL), best band first.
PLATELET_BANDS: tuple[tuple[float, int], ...] = ((150.0, 0), (100.0, 1), (50.0, 2), (20.0, 3))
#: (upper bound, exclusive, points) for bilirubin (mg/dL) and creatinine (mg/dL).
BILIRUBIN_BANDS: tuple[tuple[float, int], ...] = ((1.2, 0), (2.0, 1), (6.0, 2), (12.0, 3))
CREATININE_BANDS: tuple[tuple[float, int], ...] = ((1.2, 0), (2.0, 1), (3.5, 2), (5.0, 3))
#: Urine output (mL/day): 3 points below the first, 4 below the second.
URINE_OUTPUT_CUTOFFS_ML_PER_DAY = (500.0, 200.0)


def sofa_respiratory(pf_ratio_mmhg: float, on_respiratory_support: bool) -> int:
    """>= 400: 0; < 400: 1; < 300: 2; < 200 with support: 3; < 100 with support: 4.

    Without respiratory support the score is capped at 2. P/F is compared at
    its recorded precision, 0.1 mmHg (``stromal.clinical.precision``).
    """
    pf = recorded_pf(pf_ratio_mmhg)
    one, two, three, four = RESPIRATORY_PF_CUTOFFS
    if pf >= one:
        return 0
    if pf >= two:
        return 1
    if pf >= three or not on_respiratory_support:
        return 2
    if pf >= four:
        return 3
    return 4


def sofa_coagulation(platelets_10e3_per_ul: float) -> int:
    """>= 150: 0; < 150: 1; < 100: 2; < 50: 3; < 20: 4."""
    for limit, points in PLATELET_BANDS:
        if platelets_10e3_per_ul >= limit:
            return points
    return 4


def sofa_liver(bilirubin_mg_dl: float) -> int:
    """< 1.2: 0; 1.2-1.9: 1; 2.0-5.9: 2; 6.0-11.9: 3; >= 12: 4."""
    for limit, points in BILIRUBIN_BANDS:
        if bilirubin_mg_dl < limit:
            return points
    return 4


def sofa_cardiovascular(
    *,
    map_mmhg: float | None,
    dopamine_ug_kg_min: float = 0.0,
    dobutamine_ug_kg_min: float = 0.0,
    epinephrine_ug_kg_min: float = 0.0,
    norepinephrine_ug_kg_min: float = 0.0,
) -> int | None:
    """Cardiovascular points; None when MAP is unknown and no vasoactive drug runs."""
    epi_or_ne = max(epinephrine_ug_kg_min, norepinephrine_ug_kg_min)
    if dopamine_ug_kg_min > 15 or epi_or_ne > 0.1:
        return 4
    if dopamine_ug_kg_min > 5 or epi_or_ne > 0:
        return 3
    if dopamine_ug_kg_min > 0 or dobutamine_ug_kg_min > 0:
        return 2
    if map_mmhg is None:
        return None
    return 1 if map_mmhg < 70 else 0


def sofa_cns(gcs: int) -> int:
    """15: 0; 13-14: 1; 10-12: 2; 6-9: 3; < 6: 4."""
    for limit, points in ((15, 0), (13, 1), (10, 2), (6, 3)):
        if gcs >= limit:
            return points
    return 4


def sofa_renal(creatinine_mg_dl: float | None, urine_output_ml_per_day: float | None) -> int | None:
    """Creatinine < 1.2: 0; 1.2-1.9: 1; 2.0-3.4: 2; 3.5-4.9: 3; >= 5.0: 4;
    urine output < 500 mL/d: 3, < 200 mL/d: 4. The worse of the two."""
    scores = []
    if creatinine_mg_dl is not None:
        creatinine_points = 4
        for limit, points in CREATININE_BANDS:
            if creatinine_mg_dl < limit:
                creatinine_points = points
                break
        scores.append(creatinine_points)
    if urine_output_ml_per_day is not None:
        uo = urine_output_ml_per_day
        three, four = URINE_OUTPUT_CUTOFFS_ML_PER_DAY
        scores.append(4 if uo < four else 3 if uo < three else 0)
    return max(scores) if scores else None


@dataclass(frozen=True)
class SofaResult:
    total: int | None
    components: dict[str, int]
    missing: dict[str, str]  # system -> why it could not be scored

    @property
    def complete(self) -> bool:
        return not self.missing

    def as_dict(self) -> dict[str, object]:
        return {
            "total": self.total,
            "complete": self.complete,
            "components": dict(self.components),
            "missing": sorted(self.missing),
            "missing_reasons": dict(self.missing),
            "source": SOURCE,
        }


def sofa_score(
    *,
    pf_ratio_mmhg: float | None = None,
    support: str | None = None,
    platelets_10e3_per_ul: float | None = None,
    bilirubin_mg_dl: float | None = None,
    map_mmhg: float | None = None,
    dopamine_ug_kg_min: float | None = None,
    dobutamine_ug_kg_min: float | None = None,
    epinephrine_ug_kg_min: float | None = None,
    norepinephrine_ug_kg_min: float | None = None,
    gcs: int | None = None,
    creatinine_mg_dl: float | None = None,
    urine_output_ml_per_day: float | None = None,
) -> SofaResult:
    """Score every system the data allow. ``total`` is the sum of the scored
    systems (a partial total when ``missing`` is not empty), None if none."""
    components: dict[str, int] = {}
    missing: dict[str, str] = {}

    if pf_ratio_mmhg is None:
        missing["respiratory"] = "needs pao2_mmhg and fio2"
    elif recorded_pf(pf_ratio_mmhg) < SUPPORT_NEEDED_BELOW_PF and support is None:
        missing["respiratory"] = "P/F < 200: needs support to tell 2 from 3-4"
    else:
        components["respiratory"] = sofa_respiratory(pf_ratio_mmhg, support in RESPIRATORY_SUPPORT)

    if platelets_10e3_per_ul is None:
        missing["coagulation"] = "needs platelets_10e3_per_ul"
    else:
        components["coagulation"] = sofa_coagulation(platelets_10e3_per_ul)

    if bilirubin_mg_dl is None:
        missing["liver"] = "needs bilirubin_mg_dl or bilirubin_umol_l"
    else:
        components["liver"] = sofa_liver(bilirubin_mg_dl)

    cardio = sofa_cardiovascular(
        map_mmhg=map_mmhg,
        dopamine_ug_kg_min=dopamine_ug_kg_min or 0.0,
        dobutamine_ug_kg_min=dobutamine_ug_kg_min or 0.0,
        epinephrine_ug_kg_min=epinephrine_ug_kg_min or 0.0,
        norepinephrine_ug_kg_min=norepinephrine_ug_kg_min or 0.0,
    )
    if cardio is None:
        missing["cardiovascular"] = "needs map_mmhg or a vasopressor dose"
    else:
        components["cardiovascular"] = cardio

    if gcs is None:
        missing["cns"] = "needs gcs"
    else:
        components["cns"] = sofa_cns(gcs)

    renal = sofa_renal(creatinine_mg_dl, urine_output_ml_per_day)
    if renal is None:
        missing["renal"] = "needs creatinine_mg_dl, creatinine_umol_l or urine_output_ml_per_day"
    else:
        components["renal"] = renal

    total = sum(components.values()) if components else None
    return SofaResult(total, components, missing)
