"""The ``stromal trial`` configuration: TOML in, validated frozen objects out.

The public keys (``seed``, ``days``, ``[population]`` with ``n_per_arm``,
``severity``, ``aetiology``, ``age_years``, and ``[[arm]]``) are a fixed
contract (issue 5). Arms are built with
:func:`stromal.clinical.protocol.arm_from_dict`, so an in-silico arm and a
clinic protocol arm are the same object; ``protocol = "<code>"`` with
``protocol_arm = "<name>"`` takes an arm from the shipped protocols instead.

Every error is a :class:`TrialConfigError` naming the key and the rule.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from stromal.clinical.protocol import Arm, ProtocolError, Route, arm_from_dict, builtin_protocols
from stromal.model.dose_range import Extrapolation, extrapolations

SEVERITIES = ("mild", "moderate", "severe")
AETIOLOGIES = ("viral", "sepsis", "trauma")
SUBGROUPS = ("severity", "aetiology", "age_band")

#: Tolerance when checking that a mix sums to 1 (TOML decimals are not exact).
MIX_SUM_TOLERANCE = 1e-6

_TOP_KEYS = {
    "seed",
    "days",
    "population",
    "arm",
    "analysis",
    "sweep",
    "title",
    "chunk_size",
    "allow_extrapolation",
}
_POPULATION_KEYS = {
    "n_per_arm",
    "severity",
    "aetiology",
    "age_years",
    "enrolment_delay_h",
    "onset_window_h",
    "pf_enrolment_mmhg",
    "max_candidates_factor",
    "calibrated",
}
_ANALYSIS_KEYS = {
    "paired",
    "power_trials",
    "power_n_per_arm",
    "subgroups",
    "long_term",
    "ventilation_pf_threshold_mmhg",
    "reference_arm",
}
_SWEEP_KEYS = {"arm", "dose_cells_per_kg", "dose_particles", "schedules", "n_patients"}


#: Marks a key without a default in :data:`KEYS`.
REQUIRED = "required"


@dataclass(frozen=True)
class KeyDoc:
    """One TOML key of the trial configuration, as ``docs/trial-config.md`` documents it.

    ``default`` is the value used when the key is absent (:data:`REQUIRED`
    when it must be given, ``None`` when absence means "none"); a test checks
    these defaults against the config classes and the key list against the
    keys the validator accepts, so the reference cannot drift.
    """

    key: str
    type: str
    unit: str
    default: Any
    rule: str
    meaning: str


_DOSE_RULE = "> 0 and ≤ {maximum}; inside the studied range ({range}) unless allow_extrapolation = true"

KEYS: tuple[KeyDoc, ...] = (
    KeyDoc(
        "seed",
        "integer",
        "",
        REQUIRED,
        "≥ 0",
        "seed of every random stream (chunk k draws from SeedSequence([seed, k]))",
    ),
    KeyDoc(
        "days", "integer", "days", 90, "1–3650", "follow-up from enrolment (day 0); later deaths are censored"
    ),
    KeyDoc("title", "text", "", "In-silico trial", "any text", "title of the report"),
    KeyDoc(
        "chunk_size",
        "integer",
        "patients",
        500,
        "1–100000; rounded up to a multiple of the sum of the allocation weights",
        "patients simulated and written per chunk (memory is bounded by one chunk)",
    ),
    KeyDoc(
        "allow_extrapolation",
        "boolean",
        "",
        False,
        "true or false",
        "run doses outside the studied range; summary.json (dose_extrapolated) and report.html then mark them",
    ),
    KeyDoc(
        "population.n_per_arm",
        "integer",
        "patients",
        REQUIRED,
        "1–10000000",
        "patients in an arm of allocation 1; an arm of allocation w gets w × n_per_arm",
    ),
    KeyDoc(
        "population.severity",
        "table of fractions {mild, moderate, severe}",
        "fraction",
        REQUIRED,
        f"each 0–1, summing to 1 (± {MIX_SUM_TOLERANCE:g}); missing grades are 0",
        "Berlin grade mix at enrolment (quota sampling)",
    ),
    KeyDoc(
        "population.aetiology",
        "table of fractions {viral, sepsis, trauma}",
        "fraction",
        REQUIRED,
        f"each 0–1, summing to 1 (± {MIX_SUM_TOLERANCE:g}); missing aetiologies are 0",
        "aetiology mix at enrolment (assumed independent of severity)",
    ),
    KeyDoc(
        "population.age_years",
        "[minimum, maximum]",
        "years",
        (18.0, 80.0),
        "18–100, minimum < maximum",
        "age range at enrolment",
    ),
    KeyDoc(
        "population.enrolment_delay_h",
        "number or [minimum, maximum]",
        "h",
        (24.0, 24.0),
        "0–96, minimum ≤ maximum; whole hours",
        "time from ARDS onset (first P/F ≤ 300) to enrolment; a range draws each candidate's delay uniformly",
    ),
    KeyDoc(
        "population.onset_window_h",
        "number",
        "h",
        168.0,
        "24–336",
        "ARDS onset must happen within this time of the insult",
    ),
    KeyDoc(
        "population.pf_enrolment_mmhg",
        "[minimum, maximum]",
        "mmHg",
        (0.0, 300.0),
        "0–300, minimum ≤ maximum (both inclusive); must reach every grade whose severity fraction is > 0",
        "inclusion range of P/F at enrolment (e.g. [0, 200] for moderate-severe ARDS as in START)",
    ),
    KeyDoc(
        "population.max_candidates_factor",
        "integer",
        "",
        40,
        "2–1000",
        "candidates tried per enrolment quota before a cell is reported as shortfall",
    ),
    KeyDoc(
        "population.calibrated",
        "boolean",
        "",
        True,
        "true or false",
        "apply the installed calibration (calibrated.toml)",
    ),
    KeyDoc("arm[].name", "text", "", REQUIRED, "letters, digits, '_' or '-'; unique", "arm name"),
    KeyDoc(
        "arm[].allocation",
        "integer",
        "",
        1,
        "1–10",
        "relative allocation weight (START: placebo 1, MSC 2); randomisation is stratified by severity in "
        "permuted blocks of 2 × the sum of the weights",
    ),
    KeyDoc(
        "arm[].route", '"iv" or "inhaled"', "", None, "absent for the control arm", "administration route"
    ),
    KeyDoc(
        "arm[].product",
        '"uc_msc", "bm_msc", "ad_msc" or "msc_exosome"',
        "",
        None,
        "treated arms only",
        "product type",
    ),
    KeyDoc(
        "arm[].dose_cells_per_kg",
        "number",
        "cells/kg per administration",
        None,
        "required for iv; " + _DOSE_RULE.format(maximum="1e9", range="{iv}"),
        "MSC dose per administration",
    ),
    KeyDoc("arm[].weight_basis", '"actual" or "predicted"', "", "actual", "", "body weight the dose is per"),
    KeyDoc(
        "arm[].max_total_cells",
        "number",
        "cells",
        None,
        "> 0 and ≤ 1e12; iv only",
        "cap on the cells of one administration",
    ),
    KeyDoc(
        "arm[].dose_particles",
        "number",
        "particles per administration",
        None,
        "required for inhaled; " + _DOSE_RULE.format(maximum="1e15", range="{inhaled}"),
        "exosome dose per nebulisation",
    ),
    KeyDoc(
        "arm[].days",
        "list of whole numbers",
        "days after enrolment",
        (),
        "treated arms: at least one; increasing, distinct, 0–365; control arm: none",
        "administration days (day 0 = enrolment)",
    ),
    KeyDoc(
        "arm[].viability_pct",
        "number",
        "%",
        None,
        "(0, 100]",
        "viable fraction of the product (scales the dose)",
    ),
    KeyDoc(
        "arm[].device", '"mesh", "jet" or "ventilator_inline"', "", None, "required for inhaled", "nebuliser"
    ),
    KeyDoc(
        "arm[].infusion_minutes_min",
        "number",
        "min",
        None,
        "with its maximum; 0 < minimum ≤ maximum ≤ 1440",
        "shortest infusion",
    ),
    KeyDoc("arm[].infusion_minutes_max", "number", "min", None, "with its minimum", "longest infusion"),
    KeyDoc(
        "arm[].protocol",
        "text",
        "",
        None,
        "a shipped protocol code ({protocols}); with protocol_arm; only name and allocation besides",
        "take the arm from a shipped protocol",
    ),
    KeyDoc("arm[].protocol_arm", "text", "", None, "an arm of that protocol", "which arm of the protocol"),
    KeyDoc(
        "analysis.paired",
        "boolean",
        "",
        True,
        "true or false",
        "also simulate every patient under every arm (digital twins)",
    ),
    KeyDoc("analysis.power_trials", "integer", "", 200, "0–100000", "Monte-Carlo trials per power estimate"),
    KeyDoc(
        "analysis.power_n_per_arm",
        "list of integers",
        "patients",
        (),
        "each ≥ 2; empty: n_per_arm",
        "trial sizes to estimate power for",
    ),
    KeyDoc(
        "analysis.subgroups", "list", "", SUBGROUPS, "drawn from " + ", ".join(SUBGROUPS), "subgroup analyses"
    ),
    KeyDoc(
        "analysis.long_term",
        "boolean",
        "",
        True,
        "true or false",
        "FVC, DLCO and 6MWD of survivors at 6 months, 1 and 5 years",
    ),
    KeyDoc(
        "analysis.ventilation_pf_threshold_mmhg",
        "number",
        "mmHg",
        250.0,
        "50–400",
        "weaning-readiness P/F; liberation once sustained 48 h",
    ),
    KeyDoc(
        "analysis.reference_arm",
        "text",
        "",
        None,
        "an arm name; absent: the first control arm",
        "arm the others are compared with",
    ),
    KeyDoc(
        "sweep.arm",
        "text",
        "",
        REQUIRED,
        "a treated arm of this trial",
        "arm whose dose or schedule is swept",
    ),
    KeyDoc(
        "sweep.dose_cells_per_kg",
        "list of numbers",
        "cells/kg per administration",
        (),
        "iv arm only; each " + _DOSE_RULE.format(maximum="1e9", range="{iv}"),
        "doses to sweep",
    ),
    KeyDoc(
        "sweep.dose_particles",
        "list of numbers",
        "particles per administration",
        (),
        "inhaled arm only; each " + _DOSE_RULE.format(maximum="1e15", range="{inhaled}"),
        "doses to sweep",
    ),
    KeyDoc(
        "sweep.schedules",
        "list of day lists",
        "days after enrolment",
        (),
        "each a valid arm days list",
        "schedules to sweep",
    ),
    KeyDoc(
        "sweep.n_patients",
        "integer",
        "patients",
        1000,
        "10–1000000; at least one dose or schedule list",
        "enrolled patients the sweep simulates",
    ),
)


class TrialConfigError(ValueError):
    """A trial configuration breaks a rule. ``key`` is the dotted TOML key."""

    def __init__(self, key: str, rule: str) -> None:
        self.key = key
        self.rule = rule
        super().__init__(f"{key}: {rule}")


@dataclass(frozen=True)
class PopulationConfig:
    """Who is enrolled. Mixes are target fractions at enrolment.

    ``enrolment_delay_h``: hours from first meeting P/F <= 300 (ARDS onset)
    to enrolment, when the Berlin grade is assessed: one value, or a range
    (minimum, maximum) from which each candidate's delay is drawn uniformly
    (START enrolled within 96 h of meeting criteria; Matthay 2019).
    ``onset_window_h``: onset must happen within this many hours of the
    insult (Berlin: within 1 week). ``pf_enrolment_mmhg``: inclusion range
    (minimum, maximum), both inclusive, of P/F at enrolment (START: below
    200 mmHg, moderate-severe ARDS).
    """

    n_per_arm: int
    severity: Mapping[str, float]
    aetiology: Mapping[str, float]
    age_years: tuple[float, float] = (18.0, 80.0)
    enrolment_delay_h: tuple[float, float] = (24.0, 24.0)
    onset_window_h: float = 168.0
    pf_enrolment_mmhg: tuple[float, float] = (0.0, 300.0)
    max_candidates_factor: int = 40
    calibrated: bool = True


@dataclass(frozen=True)
class AnalysisConfig:
    """Optional analysis settings (``[analysis]``).

    ``paired``: also simulate every enrolled virtual patient under every arm
    (the "digital twin" paired estimate, reported beside the randomised one).
    ``ventilation_pf_threshold_mmhg``: weaning-readiness oxygenation; a
    patient is liberated once P/F stays at or above it for 48 h (see
    ``stromal.model.endpoints.ventilation_days`` and ``WEANING_PF_MMHG``).
    """

    paired: bool = True
    power_trials: int = 200
    power_n_per_arm: tuple[int, ...] = ()
    subgroups: tuple[str, ...] = SUBGROUPS
    long_term: bool = True
    ventilation_pf_threshold_mmhg: float = 250.0
    reference_arm: str | None = None


@dataclass(frozen=True)
class SweepConfig:
    """A dose–response / schedule sweep of one arm on the same virtual patients."""

    arm: str
    dose_cells_per_kg: tuple[float, ...] = ()
    dose_particles: tuple[float, ...] = ()
    schedules: tuple[tuple[int, ...], ...] = ()
    n_patients: int = 1000


@dataclass(frozen=True)
class TrialConfig:
    seed: int
    days: int
    population: PopulationConfig
    arms: tuple[Arm, ...]
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)
    sweep: SweepConfig | None = None
    title: str = "In-silico trial"
    chunk_size: int = 500
    raw: Mapping[str, Any] = field(default_factory=dict)
    #: Relative allocation weight of each arm, aligned with ``arms`` (``[[arm]] allocation``).
    allocation: tuple[int, ...] = ()
    #: ``allow_extrapolation = true``: run doses outside the studied range, marked in every report.
    allow_extrapolation: bool = False

    @property
    def reference(self) -> Arm | None:
        """The arm others are compared with: ``reference_arm`` or the first control arm."""
        if self.analysis.reference_arm is not None:
            return next(a for a in self.arms if a.name == self.analysis.reference_arm)
        return next((a for a in self.arms if a.is_control), None)

    @property
    def weights(self) -> tuple[int, ...]:
        """Allocation weight per arm (1 each unless ``allocation`` is given)."""
        return self.allocation or (1,) * len(self.arms)

    @property
    def n_patients(self) -> int:
        """Enrolled patients: ``n_per_arm`` per unit of allocation weight."""
        return self.population.n_per_arm * sum(self.weights)

    def extrapolated_doses(self) -> list[Extrapolation]:
        """Configured doses (arms and sweep) outside the studied range (see ``dose_range``)."""
        return extrapolations(configured_doses(self.arms, self.sweep))


def load_trial_config(path: str | Path) -> TrialConfig:
    """Read and validate a trial TOML file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise TrialConfigError("config", f"cannot read {p}: {exc.strerror}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TrialConfigError("config", f"not valid TOML: {exc}") from None
    return trial_config_from_dict(raw)


def trial_config_from_dict(raw: Mapping[str, Any]) -> TrialConfig:
    """Validate plain data (parsed TOML) into a :class:`TrialConfig`."""
    _no_unknown(raw, _TOP_KEYS, "")
    seed = _integer(raw, "seed", "seed", minimum=0, default=None)
    days = _integer(raw, "days", "days", minimum=1, maximum=3650, default=90)
    chunk_size = _integer(raw, "chunk_size", "chunk_size", minimum=1, maximum=100_000, default=500)
    title = raw.get("title", "In-silico trial")
    if not isinstance(title, str):
        raise TrialConfigError("title", "must be text")
    allow = raw.get("allow_extrapolation", False)
    if not isinstance(allow, bool):
        raise TrialConfigError("allow_extrapolation", "must be true or false")
    population = _population(_table(raw, "population", required=True))
    arms, allocation = _arms(raw.get("arm"))
    analysis = _analysis(_table(raw, "analysis", required=False), arms)
    sweep_raw = _table(raw, "sweep", required=False)
    sweep = _sweep(sweep_raw, arms) if sweep_raw else None
    if not allow:
        outside = extrapolations(configured_doses(arms, sweep))
        if outside:
            raise TrialConfigError(outside[0].key, outside[0].message())
    return TrialConfig(
        seed=seed,
        days=days,
        population=population,
        arms=arms,
        analysis=analysis,
        sweep=sweep,
        title=title,
        chunk_size=chunk_size,
        raw=dict(raw),
        allocation=allocation,
        allow_extrapolation=allow,
    )


def configured_doses(arms: tuple[Arm, ...], sweep: SweepConfig | None) -> list[tuple[str, Route, float]]:
    """``(key, route, dose per administration)`` of every treated arm and sweep dose."""
    out: list[tuple[str, Route, float]] = []
    for i, arm in enumerate(arms):
        if arm.route is Route.IV and arm.dose_cells_per_kg is not None:
            out.append((f"arm[{i}].dose_cells_per_kg", Route.IV, arm.dose_cells_per_kg))
        elif arm.route is Route.INHALED and arm.dose_particles is not None:
            out.append((f"arm[{i}].dose_particles", Route.INHALED, arm.dose_particles))
    if sweep is not None:
        out += [(f"sweep.dose_cells_per_kg[{j}]", Route.IV, d) for j, d in enumerate(sweep.dose_cells_per_kg)]
        out += [(f"sweep.dose_particles[{j}]", Route.INHALED, d) for j, d in enumerate(sweep.dose_particles)]
    return out


def _no_unknown(raw: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        key = f"{where}.{unknown[0]}" if where else unknown[0]
        raise TrialConfigError(key, "unknown key; allowed: " + ", ".join(sorted(allowed)))


def _table(raw: Mapping[str, Any], key: str, *, required: bool) -> Mapping[str, Any]:
    value = raw.get(key)
    if value is None:
        if required:
            raise TrialConfigError(key, "is required (a table)")
        return {}
    if not isinstance(value, Mapping):
        raise TrialConfigError(key, "must be a table")
    return value


def _integer(
    raw: Mapping[str, Any],
    key: str,
    where: str,
    *,
    minimum: int,
    maximum: int | None = None,
    default: int | None,
) -> int:
    if key not in raw:
        if default is None:
            raise TrialConfigError(where, "is required (a whole number)")
        return default
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise TrialConfigError(where, "must be a whole number")
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and ≤ {maximum}" if maximum is not None else ""
        raise TrialConfigError(where, f"must be ≥ {minimum}{upper}")
    return value


def _number(value: Any, where: str, *, minimum: float, maximum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TrialConfigError(where, "must be a number")
    if not minimum <= value <= maximum:
        raise TrialConfigError(where, f"must be between {minimum:g} and {maximum:g}")
    return float(value)


def _mix(raw: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> dict[str, float]:
    where = f"population.{key}"
    value = raw.get(key)
    if not isinstance(value, Mapping) or not value:
        raise TrialConfigError(
            where, "is required: a table of fractions, e.g. { " + " = ..., ".join(allowed) + " = ... }"
        )
    mix: dict[str, float] = {}
    for name, fraction in value.items():
        if name not in allowed:
            raise TrialConfigError(f"{where}.{name}", "unknown category; allowed: " + ", ".join(allowed))
        mix[name] = _number(fraction, f"{where}.{name}", minimum=0.0, maximum=1.0)
    total = sum(mix.values())
    if abs(total - 1.0) > MIX_SUM_TOLERANCE:
        raise TrialConfigError(where, f"fractions must sum to 1 (they sum to {total:g})")
    return {name: mix.get(name, 0.0) for name in allowed}


def _population(raw: Mapping[str, Any]) -> PopulationConfig:
    _no_unknown(raw, _POPULATION_KEYS, "population")
    n_per_arm = _integer(
        raw, "n_per_arm", "population.n_per_arm", minimum=1, maximum=10_000_000, default=None
    )
    ages = raw.get("age_years", [18, 80])
    if not isinstance(ages, list | tuple) or len(ages) != 2:
        raise TrialConfigError("population.age_years", "must be [minimum, maximum] in years")
    low = _number(ages[0], "population.age_years", minimum=18, maximum=100)
    high = _number(ages[1], "population.age_years", minimum=18, maximum=100)
    if low >= high:
        raise TrialConfigError("population.age_years", "minimum must be below maximum")
    window = raw.get("onset_window_h", 168.0)
    calibrated = raw.get("calibrated", True)
    if not isinstance(calibrated, bool):
        raise TrialConfigError("population.calibrated", "must be true or false")
    return PopulationConfig(
        n_per_arm=n_per_arm,
        severity=_mix(raw, "severity", SEVERITIES),
        aetiology=_mix(raw, "aetiology", AETIOLOGIES),
        age_years=(low, high),
        enrolment_delay_h=_range(
            raw, "enrolment_delay_h", default=(24.0, 24.0), minimum=0.0, maximum=96.0, unit="h"
        ),
        onset_window_h=_number(window, "population.onset_window_h", minimum=24.0, maximum=336.0),
        pf_enrolment_mmhg=_pf_range(raw),
        max_candidates_factor=_integer(
            raw,
            "max_candidates_factor",
            "population.max_candidates_factor",
            minimum=2,
            maximum=1000,
            default=40,
        ),
        calibrated=calibrated,
    )


def _range(
    raw: Mapping[str, Any],
    key: str,
    *,
    default: tuple[float, float],
    minimum: float,
    maximum: float,
    unit: str,
) -> tuple[float, float]:
    """A number (a range of one value) or ``[minimum, maximum]`` with minimum ≤ maximum."""
    where = f"population.{key}"
    value = raw.get(key, list(default))
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = _number(value, where, minimum=minimum, maximum=maximum)
        return (number, number)
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise TrialConfigError(where, f"must be a number or [minimum, maximum] in {unit}")
    low = _number(value[0], where, minimum=minimum, maximum=maximum)
    high = _number(value[1], where, minimum=minimum, maximum=maximum)
    if low > high:
        raise TrialConfigError(where, "minimum must not be above maximum")
    return (low, high)


#: Berlin P/F bands (Ranieri 2012): a grade is enrolled only if its band meets the P/F range.
_BERLIN_BANDS_MMHG = {"mild": (200.0, 300.0), "moderate": (100.0, 200.0), "severe": (0.0, 100.0)}


def _pf_range(raw: Mapping[str, Any]) -> tuple[float, float]:
    if isinstance(raw.get("pf_enrolment_mmhg"), int | float):
        raise TrialConfigError("population.pf_enrolment_mmhg", "must be [minimum, maximum] in mmHg")
    low, high = _range(
        raw, "pf_enrolment_mmhg", default=(0.0, 300.0), minimum=0.0, maximum=300.0, unit="mmHg"
    )
    severity = raw.get("severity")
    if isinstance(severity, Mapping):
        for grade, (band_low, band_high) in _BERLIN_BANDS_MMHG.items():
            fraction = severity.get(grade, 0.0)
            # Bands are (low, high]: a grade is reachable only if the range overlaps it.
            reachable = low <= band_high and high > band_low
            if isinstance(fraction, int | float) and fraction > 0 and not reachable:
                raise TrialConfigError(
                    "population.pf_enrolment_mmhg",
                    f"[{low:g}, {high:g}] mmHg excludes every {grade} patient (P/F {band_low:g}–{band_high:g}), "
                    f"but severity.{grade} = {fraction:g}",
                )
    return (low, high)


#: Largest allocation weight (a 10:1 design is already far outside published MSC trials).
MAX_ALLOCATION = 10


def _allocation(raw: Mapping[str, Any], where: str) -> int:
    value = raw.get("allocation", 1)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TrialConfigError(f"{where}.allocation", "must be a whole number (relative allocation weight)")
    if not 1 <= value <= MAX_ALLOCATION:
        raise TrialConfigError(f"{where}.allocation", f"must be ≥ 1 and ≤ {MAX_ALLOCATION}")
    return value


def _arm(raw: Any, where: str) -> Arm:
    if not isinstance(raw, Mapping):
        raise TrialConfigError(where, "must be a table")
    raw = {k: v for k, v in raw.items() if k != "allocation"}
    if "protocol" in raw or "protocol_arm" in raw:
        return _protocol_arm(raw, where)
    try:
        return arm_from_dict(raw, where)
    except ProtocolError as exc:
        # The Arm's own checks name it arm[<name>]; report the TOML position instead.
        key = exc.key.replace(f"arm[{raw.get('name')}]", where, 1)
        raise TrialConfigError(key, exc.rule) from None


def _protocol_arm(raw: Mapping[str, Any], where: str) -> Arm:
    extra = sorted(set(raw) - {"protocol", "protocol_arm", "name"})
    if extra:
        raise TrialConfigError(
            f"{where}.{extra[0]}", "an arm taken from a protocol takes only protocol, protocol_arm and name"
        )
    code, arm_name = raw.get("protocol"), raw.get("protocol_arm")
    if not isinstance(code, str) or not isinstance(arm_name, str):
        raise TrialConfigError(
            f"{where}.protocol", 'needs both protocol = "<code>" and protocol_arm = "<name>"'
        )
    protocols = {p.code: p for p in builtin_protocols()}
    if code not in protocols:
        raise TrialConfigError(
            f"{where}.protocol", f"{code!r} is not a shipped protocol; known: " + ", ".join(sorted(protocols))
        )
    try:
        arm = protocols[code].arm(arm_name)
    except ProtocolError:
        names = ", ".join(a.name for a in protocols[code].arms)
        raise TrialConfigError(
            f"{where}.protocol_arm", f"protocol {code!r} has no arm {arm_name!r}; arms: {names}"
        ) from None
    name = raw.get("name")
    if name is not None:
        try:
            arm = replace(arm, name=str(name))
        except ProtocolError as exc:
            raise TrialConfigError(f"{where}.name", exc.rule) from None
    return arm


def _arms(raw: Any) -> tuple[tuple[Arm, ...], tuple[int, ...]]:
    if not isinstance(raw, list) or not raw:
        raise TrialConfigError("arm", "at least one [[arm]] table is required")
    arms = tuple(_arm(a, f"arm[{i}]") for i, a in enumerate(raw))
    allocation = tuple(_allocation(a, f"arm[{i}]") for i, a in enumerate(raw))
    names = [a.name for a in arms]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise TrialConfigError(f"arm[{i}].name", f"arm names must be unique ({name!r} repeats)")
    return arms, allocation


def _analysis(raw: Mapping[str, Any], arms: tuple[Arm, ...]) -> AnalysisConfig:
    _no_unknown(raw, _ANALYSIS_KEYS, "analysis")
    defaults = AnalysisConfig()
    flags = {}
    for key in ("paired", "long_term"):
        value = raw.get(key, getattr(defaults, key))
        if not isinstance(value, bool):
            raise TrialConfigError(f"analysis.{key}", "must be true or false")
        flags[key] = value
    sizes = raw.get("power_n_per_arm", [])
    if not isinstance(sizes, list) or not all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 2 for s in sizes
    ):
        raise TrialConfigError(
            "analysis.power_n_per_arm", "must be a list of whole numbers ≥ 2 (patients per arm)"
        )
    subgroups = raw.get("subgroups", list(SUBGROUPS))
    if not isinstance(subgroups, list) or any(s not in SUBGROUPS for s in subgroups):
        raise TrialConfigError("analysis.subgroups", "must be a list drawn from " + ", ".join(SUBGROUPS))
    reference = raw.get("reference_arm")
    if reference is not None and reference not in {a.name for a in arms}:
        raise TrialConfigError("analysis.reference_arm", f"no arm named {reference!r}")
    threshold = raw.get("ventilation_pf_threshold_mmhg", defaults.ventilation_pf_threshold_mmhg)
    return AnalysisConfig(
        paired=flags["paired"],
        power_trials=_integer(
            raw, "power_trials", "analysis.power_trials", minimum=0, maximum=100_000, default=200
        ),
        power_n_per_arm=tuple(sizes),
        subgroups=tuple(subgroups),
        long_term=flags["long_term"],
        ventilation_pf_threshold_mmhg=_number(
            threshold, "analysis.ventilation_pf_threshold_mmhg", minimum=50.0, maximum=400.0
        ),
        reference_arm=reference,
    )


def _sweep(raw: Mapping[str, Any], arms: tuple[Arm, ...]) -> SweepConfig:
    _no_unknown(raw, _SWEEP_KEYS, "sweep")
    name = raw.get("arm")
    by_name = {a.name: a for a in arms}
    if name not in by_name or by_name[name].is_control:
        raise TrialConfigError("sweep.arm", "must name a treated arm of this trial")
    arm = by_name[name]
    cells = _number_list(raw, "dose_cells_per_kg", maximum=1e9)
    particles = _number_list(raw, "dose_particles", maximum=1e15)
    if cells and arm.route is not None and arm.route.value != "iv":
        raise TrialConfigError("sweep.dose_cells_per_kg", "only an IV arm is dosed in cells per kg")
    if particles and arm.route is not None and arm.route.value != "inhaled":
        raise TrialConfigError("sweep.dose_particles", "only an inhaled arm is dosed in particles")
    schedules_raw = raw.get("schedules", [])
    if not isinstance(schedules_raw, list):
        raise TrialConfigError("sweep.schedules", "must be a list of day lists, e.g. [[1], [1, 2]]")
    schedules = []
    for i, days in enumerate(schedules_raw):
        try:
            candidate = arm_from_dict({**_arm_dict(arm), "days": days}, f"sweep.schedules[{i}]")
        except ProtocolError as exc:
            raise TrialConfigError(exc.key, exc.rule) from None
        schedules.append(candidate.days)
    if not cells and not particles and not schedules:
        raise TrialConfigError("sweep", "give dose_cells_per_kg, dose_particles or schedules to sweep")
    return SweepConfig(
        arm=str(name),
        dose_cells_per_kg=cells,
        dose_particles=particles,
        schedules=tuple(schedules),
        n_patients=_integer(
            raw, "n_patients", "sweep.n_patients", minimum=10, maximum=1_000_000, default=1000
        ),
    )


def _number_list(raw: Mapping[str, Any], key: str, *, maximum: float) -> tuple[float, ...]:
    values = raw.get(key, [])
    if not isinstance(values, list):
        raise TrialConfigError(f"sweep.{key}", "must be a list of numbers")
    out = []
    for i, v in enumerate(values):
        number = _number(v, f"sweep.{key}[{i}]", minimum=0.0, maximum=maximum)
        if number <= 0:
            raise TrialConfigError(f"sweep.{key}[{i}]", "must be > 0")
        out.append(number)
    return tuple(out)


def _arm_dict(arm: Arm) -> dict[str, Any]:
    """Plain data for ``arm_from_dict`` (enums as their values, Nones dropped)."""
    out: dict[str, Any] = {}
    for key in (
        "name",
        "route",
        "product",
        "dose_cells_per_kg",
        "weight_basis",
        "max_total_cells",
        "dose_particles",
        "days",
        "viability_pct",
        "device",
        "infusion_minutes_min",
        "infusion_minutes_max",
    ):
        value = getattr(arm, key)
        if value is None:
            continue
        out[key] = list(value) if isinstance(value, tuple) else getattr(value, "value", value)
    return out


def arm_variant(arm: Arm, **changes: Any) -> Arm:
    """A copy of ``arm`` with changed fields, validated again (for sweeps)."""
    data = {**_arm_dict(arm), **changes}
    try:
        return arm_from_dict(data, f"arm[{arm.name}]")
    except ProtocolError as exc:
        raise TrialConfigError(exc.key, exc.rule) from None
