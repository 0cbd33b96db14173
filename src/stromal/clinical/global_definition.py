"""The 2023 Global Definition of ARDS.

Matthay MA, Arabi Y, Arroliga AC et al. A New Global Definition of Acute
Respiratory Distress Syndrome. Am J Respir Crit Care Med 2024;209(1):37-47,
doi:10.1164/rccm.202303-0558WS (online Sept 2023; ATS news release
site.thoracic.org, 5 Sept 2023). Criteria checked against the BMJ Best
Practice summary (bibliotheek.ehb.be mirror, "New Global Definition of ARDS"):

- common: acute onset within 1 week; bilateral opacities on CXR/CT or
  bilateral B-lines and/or consolidations on ultrasound; not primarily
  cardiogenic or fluid overload;
- non-intubated: P/F <= 300 or S/F <= 315 (if SpO2 <= 97 %) on HFNO
  >= 30 L/min or NIV/CPAP >= 5 cmH2O end-expiratory pressure; no grades;
- intubated: mild 200 < P/F <= 300 or 235 < S/F <= 315; moderate
  100 < P/F <= 200 or 148 < S/F <= 235; severe P/F <= 100 or S/F <= 148;
- resource-limited settings: S/F <= 315 (if SpO2 <= 97 %); neither PEEP nor a
  minimum oxygen flow nor a device is required.

Interpretation choices (documented because the definition is silent):
when both P/F and S/F are available for an intubated patient the grade comes
from P/F if P/F qualifies (the arterial measurement is the reference), else
from S/F. A resource-limited setting must be stated explicitly
(``resource_limited_setting``); it is never assumed.
"""

from __future__ import annotations

from dataclasses import dataclass

from stromal.clinical.criteria import Criterion, Status, codes, from_bool, overall
from stromal.clinical.precision import recorded_pf, recorded_sf

SOURCE = (
    "Matthay MA et al. A New Global Definition of Acute Respiratory Distress Syndrome. "
    "Am J Respir Crit Care Med 2024;209(1):37-47. doi:10.1164/rccm.202303-0558WS"
)

MAX_SPO2_FOR_SF_PCT = 97.0
MIN_HFNO_FLOW_L_MIN = 30.0
MIN_NIV_PEEP_CMH2O = 5.0
#: Oxygenation cut-offs. Each is the upper, inclusive end of its grade:
#: P/F (mmHg) mild 200 < P/F <= 300, moderate 100 < P/F <= 200, severe <= 100;
#: S/F mild 235 < S/F <= 315, moderate 148 < S/F <= 235, severe <= 148.
MAX_PF = 300.0
MODERATE_MAX_PF = 200.0
SEVERE_MAX_PF = 100.0
MAX_SF = 315.0
MODERATE_MAX_SF = 235.0
SEVERE_MAX_SF = 148.0
_PF_GRADES = ((MODERATE_MAX_PF, "mild"), (SEVERE_MAX_PF, "moderate"))
_SF_GRADES = ((MODERATE_MAX_SF, "mild"), (SEVERE_MAX_SF, "moderate"))


def _grade(value: float, limit: float, bands: tuple[tuple[float, str], ...]) -> str | None:
    if value > limit:
        return None
    for lower, name in bands:
        if value > lower:
            return name
    return "severe"


def intubated_severity_from_pf(pf_ratio_mmhg: float) -> str | None:
    """Grade of intubated ARDS from P/F (mmHg, compared at 0.1); None above 300."""
    return _grade(recorded_pf(pf_ratio_mmhg), MAX_PF, _PF_GRADES)


def intubated_severity_from_sf(sf_ratio: float) -> str | None:
    """Grade of intubated ARDS from S/F (compared at 0.1); None above 315. Use only with SpO2 <= 97 %."""
    return _grade(recorded_sf(sf_ratio), MAX_SF, _SF_GRADES)


def sf_usable(spo2_pct: float | None) -> bool:
    """S/F may be used only when SpO2 <= 97 % (the oxygen-haemoglobin curve is flat above)."""
    return spo2_pct is not None and spo2_pct <= MAX_SPO2_FOR_SF_PCT


@dataclass(frozen=True)
class GlobalResult:
    meets: bool | None
    category: str | None  # "intubated", "non_intubated", "resource_limited"
    severity: str | None
    criteria: tuple[Criterion, ...]

    @property
    def summary(self) -> str:
        """One line for a person; the definition grades severity only when intubated."""
        if self.meets:
            if self.category == "intubated":
                graded = f"{self.severity} ARDS" if self.severity else "ARDS"
                return f"meets the Global definition: {graded} (intubated)"
            if self.category == "resource_limited":
                return "meets the Global definition: ARDS by the resource-limited criteria (not graded)"
            return "meets the Global definition: ARDS, not intubated (severity is graded only when intubated)"
        if self.meets is False:
            return "not met: " + ", ".join(c.description for c in self.criteria if c.status is Status.UNMET)
        return "undetermined: missing " + ", ".join(codes(self.criteria, Status.MISSING)).replace("_", " ")

    def as_dict(self) -> dict[str, object]:
        return {
            "meets": self.meets,
            "category": self.category,
            "severity": self.severity,
            "summary": self.summary,
            "met": codes(self.criteria, Status.MET),
            "unmet": codes(self.criteria, Status.UNMET),
            "missing": codes(self.criteria, Status.MISSING),
            "criteria": [c.as_dict() for c in self.criteria],
            "source": SOURCE,
        }


def _category(
    support: str | None,
    peep_cmh2o: float | None,
    hfno_flow_l_min: float | None,
    resource_limited_setting: bool | None,
) -> tuple[str | None, Criterion]:
    code = "respiratory_support"
    text = (
        "invasive ventilation; or HFNO >= 30 L/min or NIV/CPAP >= 5 cmH2O; "
        "or any support in a resource-limited setting"
    )
    if support == "invasive":
        return "intubated", Criterion(code, text, Status.MET, support)
    if support == "hfno":
        if hfno_flow_l_min is None:
            return None, Criterion(code, text, Status.MISSING, support)
        if hfno_flow_l_min >= MIN_HFNO_FLOW_L_MIN:
            return "non_intubated", Criterion(code, text, Status.MET, hfno_flow_l_min)
    if support == "niv":
        if peep_cmh2o is None:
            return None, Criterion(code, text, Status.MISSING, support)
        if peep_cmh2o >= MIN_NIV_PEEP_CMH2O:
            return "non_intubated", Criterion(code, text, Status.MET, peep_cmh2o)
    if resource_limited_setting:
        return "resource_limited", Criterion(code, text, Status.MET, "resource_limited_setting")
    if support is None:
        return None, Criterion(code, text, Status.MISSING)
    return None, Criterion(code, text, Status.UNMET, support)


def _oxygenation(category: str | None, pf: float | None, sf: float | None) -> Criterion:
    """``sf`` must be None when SpO2 > 97 % (not usable)."""
    if category == "resource_limited":
        text = "S/F <= 315 (SpO2 <= 97 %)"
        measures = [] if sf is None else [sf <= MAX_SF]
        observed: object = sf
    else:
        text = "P/F <= 300 mmHg or S/F <= 315 (SpO2 <= 97 %)"
        measures = []
        if pf is not None:
            measures.append(pf <= MAX_PF)
        if sf is not None:
            measures.append(sf <= MAX_SF)
        observed = {"pf_ratio": pf, "sf_ratio": sf}
    if not measures:
        return Criterion("oxygenation", text, Status.MISSING)
    return Criterion("oxygenation", text, Status.MET if any(measures) else Status.UNMET, observed)


def global_definition(
    *,
    pf_ratio_mmhg: float | None,
    sf_ratio: float | None,
    spo2_pct: float | None,
    support: str | None,
    peep_cmh2o: float | None,
    hfno_flow_l_min: float | None,
    onset_within_7_days: bool | None,
    bilateral_opacities: bool | None,
    edema_explained_by_cardiac_or_fluid: bool | None,
    resource_limited_setting: bool | None = None,
) -> GlobalResult:
    """Evaluate the Global Definition; S/F is ignored unless SpO2 <= 97 %.

    ``severity`` is graded only for intubated ARDS and only when ``meets`` is True.
    P/F and S/F are compared, and reported, at their recorded precision
    (0.1, ``stromal.clinical.precision``).
    """
    if pf_ratio_mmhg is not None:
        pf_ratio_mmhg = recorded_pf(pf_ratio_mmhg)
    usable_sf = recorded_sf(sf_ratio) if sf_ratio is not None and sf_usable(spo2_pct) else None
    category, support_criterion = _category(support, peep_cmh2o, hfno_flow_l_min, resource_limited_setting)
    criteria = (
        from_bool(
            "timing",
            "acute onset or worsening within 1 week of a risk factor or new symptoms",
            onset_within_7_days,
        ),
        from_bool(
            "imaging",
            "bilateral opacities on CXR/CT, or bilateral B-lines/consolidations on ultrasound",
            bilateral_opacities,
        ),
        from_bool(
            "origin_of_edema",
            "not primarily due to cardiogenic edema or fluid overload",
            edema_explained_by_cardiac_or_fluid,
            wanted=False,
        ),
        support_criterion,
        _oxygenation(category, pf_ratio_mmhg, usable_sf),
    )
    meets = overall(criteria)
    severity = None
    if meets and category == "intubated":
        if pf_ratio_mmhg is not None and pf_ratio_mmhg <= MAX_PF:
            severity = intubated_severity_from_pf(pf_ratio_mmhg)
        elif usable_sf is not None:
            severity = intubated_severity_from_sf(usable_sf)
    return GlobalResult(meets, category if meets is not False else None, severity, criteria)
