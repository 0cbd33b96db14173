"""The Berlin definition of ARDS (2012).

ARDS Definition Task Force; Ranieri VM, Rubenfeld GD, Thompson BT et al.
Acute respiratory distress syndrome: the Berlin Definition. JAMA
2012;307(23):2526-33, doi:10.1001/jama.2012.5669 (Table 3). Checked against
the table as reproduced in PMC8450703 and PMC7700642: mild
200 < P/F <= 300 with PEEP or CPAP >= 5 cmH2O (which "may be delivered
noninvasively in the mild ARDS group"), moderate 100 < P/F <= 200 and severe
P/F <= 100 with PEEP >= 5; above 1000 m use P/F x (PB/760).
"""

from __future__ import annotations

from dataclasses import dataclass

from stromal.clinical.criteria import Criterion, Status, codes, from_bool, overall
from stromal.clinical.precision import recorded_pf

SOURCE = (
    "ARDS Definition Task Force (Ranieri VM et al.). Acute respiratory distress "
    "syndrome: the Berlin Definition. JAMA 2012;307(23):2526-33. doi:10.1001/jama.2012.5669"
)

MIN_PEEP_CMH2O = 5.0
#: Oxygenation cut-offs (mmHg). Each is the upper, inclusive end of its grade:
#: mild 200 < P/F <= 300, moderate 100 < P/F <= 200, severe P/F <= 100.
MILD_MAX_PF = 300.0
MODERATE_MAX_PF = 200.0
SEVERE_MAX_PF = 100.0

#: Support modes that deliver no PEEP/CPAP in the Berlin sense.
_NO_PEEP_SUPPORT = frozenset({"none", "conventional_o2", "hfno"})


def berlin_severity(pf_ratio_mmhg: float) -> str | None:
    """Berlin oxygenation grade for an (altitude-corrected) P/F in mmHg.

    ``mild`` for 200 < P/F <= 300, ``moderate`` for 100 < P/F <= 200,
    ``severe`` for P/F <= 100, ``None`` above 300 (no ARDS by oxygenation).
    P/F is compared at its recorded precision (``stromal.clinical.precision``).
    """
    pf = recorded_pf(pf_ratio_mmhg)
    if pf > MILD_MAX_PF:
        return None
    if pf > MODERATE_MAX_PF:
        return "mild"
    if pf > SEVERE_MAX_PF:
        return "moderate"
    return "severe"


@dataclass(frozen=True)
class BerlinResult:
    meets: bool | None
    severity: str | None
    criteria: tuple[Criterion, ...]

    @property
    def summary(self) -> str:
        """One line for a person: the decision and what decided it."""
        if self.meets:
            return f"meets the Berlin definition: {self.severity} ARDS"
        if self.meets is False:
            return "not met: " + ", ".join(c.description for c in self.criteria if c.status is Status.UNMET)
        return "undetermined: missing " + ", ".join(codes(self.criteria, Status.MISSING)).replace("_", " ")

    def as_dict(self) -> dict[str, object]:
        return {
            "meets": self.meets,
            "severity": self.severity,
            "summary": self.summary,
            "met": codes(self.criteria, Status.MET),
            "unmet": codes(self.criteria, Status.UNMET),
            "missing": codes(self.criteria, Status.MISSING),
            "criteria": [c.as_dict() for c in self.criteria],
            "source": SOURCE,
        }


def _ventilation(pf: float | None, peep: float | None, support: str | None) -> Criterion:
    code = "peep_or_cpap"
    text = (
        "PEEP >= 5 cmH2O on invasive ventilation, or CPAP >= 5 cmH2O (non-invasive allowed only in mild ARDS)"
    )
    if support in _NO_PEEP_SUPPORT:
        return Criterion(code, text, Status.UNMET, support)
    if peep is None:
        return Criterion(code, text, Status.MISSING)
    if peep < MIN_PEEP_CMH2O:
        return Criterion(code, text, Status.UNMET, peep)
    if support == "invasive":
        return Criterion(code, text, Status.MET, peep)
    # Non-invasive CPAP (support "niv") or unknown mode: acceptable only in the
    # mild range, so the decision needs the P/F.
    if pf is None:
        return Criterion(code, text, Status.MISSING, peep)
    if pf > MODERATE_MAX_PF:
        return Criterion(code, text, Status.MET, peep)
    if support == "niv":
        return Criterion(code, text, Status.UNMET, "niv")
    return Criterion(code, text, Status.MISSING, peep)  # mode unknown, P/F <= 200


def berlin_definition(
    *,
    pf_ratio_mmhg: float | None,
    peep_cmh2o: float | None,
    support: str | None,
    onset_within_7_days: bool | None,
    bilateral_opacities: bool | None,
    edema_explained_by_cardiac_or_fluid: bool | None,
) -> BerlinResult:
    """Evaluate the Berlin criteria. ``pf_ratio_mmhg`` must already be
    altitude-corrected (``oxygenation.pf_ratio`` does this).

    ``meets`` is True when every criterion is met, False when any is unmet and
    None when none is unmet but some are missing. ``severity`` is given only
    when ``meets`` is True. P/F is compared, and reported, at its recorded
    precision (0.1 mmHg, ``stromal.clinical.precision``).
    """
    if pf_ratio_mmhg is not None:
        pf_ratio_mmhg = recorded_pf(pf_ratio_mmhg)
    if pf_ratio_mmhg is None:
        oxygenation = Criterion("oxygenation", "P/F <= 300 mmHg", Status.MISSING)
    else:
        status = Status.MET if pf_ratio_mmhg <= MILD_MAX_PF else Status.UNMET
        oxygenation = Criterion("oxygenation", "P/F <= 300 mmHg", status, pf_ratio_mmhg)
    criteria = (
        from_bool(
            "timing",
            "within 1 week of a known clinical insult or new or worsening respiratory symptoms",
            onset_within_7_days,
        ),
        from_bool(
            "imaging",
            "bilateral opacities not fully explained by effusions, collapse or nodules",
            bilateral_opacities,
        ),
        from_bool(
            "origin_of_edema",
            "respiratory failure not fully explained by cardiac failure or fluid overload",
            edema_explained_by_cardiac_or_fluid,
            wanted=False,
        ),
        _ventilation(pf_ratio_mmhg, peep_cmh2o, support),
        oxygenation,
    )
    meets = overall(criteria)
    severity = berlin_severity(pf_ratio_mmhg) if meets and pf_ratio_mmhg is not None else None
    return BerlinResult(meets, severity, criteria)
