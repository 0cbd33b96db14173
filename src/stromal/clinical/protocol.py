"""Treatment protocols as plain data, shared by the clinic and the engine.

A ``Protocol`` is what the clinic's protocol records convert to and from and
what an in-silico trial arm is made of, so a simulated arm and a real
protocol are the same object. Day numbering: day 0 is enrolment (the clinic's
"Day 1" examination); an administration on ``days = [1, 2]`` is the clinic's
"Day 2" and "Day 3".
"""

from __future__ import annotations

import math
import operator
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from importlib import resources
from typing import Any


class ProtocolError(ValueError):
    """A protocol or arm description breaks a rule. Names the key and the rule."""

    def __init__(self, key: str, rule: str) -> None:
        self.key = key
        self.rule = rule
        super().__init__(f"{key}: {rule}")


class Route(StrEnum):
    IV = "iv"
    INHALED = "inhaled"


class WeightBasis(StrEnum):
    ACTUAL = "actual"
    PREDICTED = "predicted"


class ProductType(StrEnum):
    UC_MSC = "uc_msc"
    BM_MSC = "bm_msc"
    AD_MSC = "ad_msc"
    MSC_EXOSOME = "msc_exosome"


class NebuliserDevice(StrEnum):
    MESH = "mesh"
    JET = "jet"
    VENTILATOR_INLINE = "ventilator_inline"


class StoppingRuleSet(StrEnum):
    """Pre-specified administration-associated events (clinical-reference §6)."""

    START = "start"  # Matthay 2019, NCT02097641
    LANZONI = "lanzoni"  # Lanzoni 2021, NCT04355728


@dataclass(frozen=True)
class Arm:
    """One treatment arm. An arm with no ``route`` is the control arm
    (conventional treatment only)."""

    name: str
    route: Route | None = None
    product: ProductType | None = None
    dose_cells_per_kg: float | None = None
    weight_basis: WeightBasis = WeightBasis.ACTUAL
    max_total_cells: float | None = None
    dose_particles: float | None = None
    days: tuple[int, ...] = ()
    viability_pct: float | None = None
    device: NebuliserDevice | None = None
    infusion_minutes_min: float | None = None
    infusion_minutes_max: float | None = None

    def __post_init__(self) -> None:
        where = f"arm[{self.name}]"
        if not self.name or not self.name.replace("_", "").replace("-", "").isalnum():
            raise ProtocolError(f"{where}.name", "must be letters, digits, '_' or '-'")
        if self.route is None:
            for key in ("dose_cells_per_kg", "dose_particles", "device", "product"):
                if getattr(self, key) is not None:
                    raise ProtocolError(f"{where}.{key}", "a control arm (no route) takes no dose")
            if self.days:
                raise ProtocolError(f"{where}.days", "a control arm (no route) has no administration days")
            return
        if not self.days:
            raise ProtocolError(f"{where}.days", "needs at least one administration day")
        if any(d < 0 or d > 365 for d in self.days) or list(self.days) != sorted(set(self.days)):
            raise ProtocolError(f"{where}.days", "must be increasing, distinct whole days in 0–365")
        if self.route is Route.IV:
            _positive(f"{where}.dose_cells_per_kg", self.dose_cells_per_kg, maximum=1e9)
            if self.dose_particles is not None:
                raise ProtocolError(f"{where}.dose_particles", "an IV cell arm is dosed in cells per kg")
            if self.device is not None:
                raise ProtocolError(f"{where}.device", "only inhaled arms have a nebuliser device")
            if self.max_total_cells is not None:
                _positive(f"{where}.max_total_cells", self.max_total_cells, maximum=1e12)
        else:
            _positive(f"{where}.dose_particles", self.dose_particles, maximum=1e15)
            if self.dose_cells_per_kg is not None:
                raise ProtocolError(f"{where}.dose_cells_per_kg", "an inhaled arm is dosed in particles")
            if self.device is None:
                raise ProtocolError(
                    f"{where}.device",
                    "an inhaled arm needs a device: mesh, jet or ventilator_inline",
                )
        if self.viability_pct is not None and not 0 < self.viability_pct <= 100:
            raise ProtocolError(f"{where}.viability_pct", "must be in (0, 100] %")
        lo, hi = self.infusion_minutes_min, self.infusion_minutes_max
        if (lo is None) != (hi is None):
            raise ProtocolError(f"{where}.infusion_minutes", "give both minimum and maximum, or neither")
        if lo is not None and hi is not None and not 0 < lo <= hi <= 24 * 60:
            raise ProtocolError(f"{where}.infusion_minutes", "need 0 < minimum ≤ maximum ≤ 1440 min")

    @property
    def is_control(self) -> bool:
        return self.route is None

    @property
    def n_administrations(self) -> int:
        return len(self.days)


@dataclass(frozen=True)
class EligibilityCriterion:
    """One inclusion or exclusion criterion over a named observation.

    ``field`` is an observation key (``stromal.clinical.observations``) or a
    derived value (``pf_ratio``, ``sf_ratio``, ``hours_since_ards_onset``).
    An inclusion criterion must be true; an exclusion criterion must be false.
    """

    code: str
    description: str
    field: str
    op: str
    value: float | bool | str | tuple[str, ...]
    exclusion: bool = False

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ProtocolError(f"eligibility[{self.code}].op", "must be one of " + ", ".join(_OPS))


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "in": lambda a, b: a in b,
}


@dataclass(frozen=True)
class CriterionResult:
    code: str
    description: str
    status: str  # "met", "unmet" or "missing"
    observed: object = None


@dataclass(frozen=True)
class EligibilityResult:
    results: tuple[CriterionResult, ...]

    @property
    def unmet(self) -> list[CriterionResult]:
        return [r for r in self.results if r.status == "unmet"]

    @property
    def missing(self) -> list[CriterionResult]:
        return [r for r in self.results if r.status == "missing"]

    @property
    def eligible(self) -> bool | None:
        """True if every criterion is met; False if any is unmet; None if undecided."""
        if self.unmet:
            return False
        if self.missing:
            return None
        return True


def evaluate_eligibility(
    criteria: Sequence[EligibilityCriterion], observations: Mapping[str, object]
) -> EligibilityResult:
    """Check each criterion; an absent observation is "missing", never assumed."""
    results = []
    for c in criteria:
        observed = observations.get(c.field)
        if observed is None:
            results.append(CriterionResult(c.code, c.description, "missing"))
            continue
        holds = _OPS[c.op](observed, c.value)
        ok = (not holds) if c.exclusion else holds
        results.append(CriterionResult(c.code, c.description, "met" if ok else "unmet", observed))
    return EligibilityResult(tuple(results))


@dataclass(frozen=True)
class FollowUpVisit:
    """A scheduled visit: ``day_offset`` after enrolment, allowed window in days."""

    code: str
    name: str
    day_offset: int
    window_before_days: int = 0
    window_after_days: int = 0

    def __post_init__(self) -> None:
        if self.day_offset < 0 or self.window_before_days < 0 or self.window_after_days < 0:
            raise ProtocolError(f"follow_up[{self.code}]", "day offset and windows must be ≥ 0")


@dataclass(frozen=True)
class Protocol:
    """A versioned treatment protocol. Immutable: a change is a new version."""

    code: str
    version: str
    title: str
    source: str
    arms: tuple[Arm, ...]
    eligibility: tuple[EligibilityCriterion, ...] = ()
    vitals_minutes: tuple[int, ...] = ()  # vitals during/after each administration, from its start
    stopping_rules: StoppingRuleSet = StoppingRuleSet.START
    stopping_window_hours: float = 6.0
    # Days an administration may be given before / after its scheduled day without a
    # physician's documented reason (0, 0: on the scheduled day only).
    administration_window_days_before: int = 0
    administration_window_days_after: int = 0
    follow_up: tuple[FollowUpVisit, ...] = ()
    discharge_day: int | None = None
    outpatient: bool = False
    # Segregation of duties (issue #11): the physician who drafted a plan is not one of its two
    # signers, so two people other than its author approve it. On unless a protocol turns it
    # off (a clinic with only two physicians).
    signers_exclude_drafter: bool = True
    notes: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.arms:
            raise ProtocolError("arm", "a protocol needs at least one arm")
        names = [a.name for a in self.arms]
        if len(names) != len(set(names)):
            raise ProtocolError("arm.name", "arm names must be unique")
        if list(self.vitals_minutes) != sorted(set(self.vitals_minutes)) or any(
            m < 0 for m in self.vitals_minutes
        ):
            raise ProtocolError("vitals_minutes", "must be increasing, distinct minutes ≥ 0")
        codes = [v.code for v in self.follow_up]
        if len(codes) != len(set(codes)):
            raise ProtocolError("follow_up.code", "visit codes must be unique")
        if not isinstance(self.signers_exclude_drafter, bool):
            raise ProtocolError("signers_exclude_drafter", "must be true or false")
        for key in ("administration_window_days_before", "administration_window_days_after"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 30:
                raise ProtocolError(key, "must be a whole number of days in 0–30")

    def arm(self, name: str) -> Arm:
        for a in self.arms:
            if a.name == name:
                return a
        raise ProtocolError("arm", f"no arm named {name!r}")

    def to_dict(self) -> dict[str, Any]:
        plain: dict[str, Any] = _plain(asdict(self))
        return plain


def _positive(key: str, value: float | None, *, maximum: float) -> None:
    if value is None:
        raise ProtocolError(key, "is required for this route")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProtocolError(key, "must be a number")
    if not 0 < value <= maximum:
        raise ProtocolError(key, f"must be > 0 and ≤ {maximum:g}")


def _plain(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


_ARM_KEYS = {
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
}


def _enum(enum: type[StrEnum], key: str, value: Any) -> Any:
    if value is None:
        return None
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise ProtocolError(key, f"{value!r} is not one of {allowed}") from None


def arm_from_dict(raw: Mapping[str, Any], where: str = "arm") -> Arm:
    """Build an ``Arm`` from plain data (TOML, JSON, a database row)."""
    unknown = set(raw) - _ARM_KEYS
    if unknown:
        raise ProtocolError(
            f"{where}.{sorted(unknown)[0]}", "unknown key; allowed: " + ", ".join(sorted(_ARM_KEYS))
        )
    if "name" not in raw:
        raise ProtocolError(f"{where}.name", "is required")
    days = raw.get("days", ())
    if not isinstance(days, list | tuple) or not all(
        isinstance(d, int) and not isinstance(d, bool) for d in days
    ):
        raise ProtocolError(f"{where}.days", "must be a list of whole days")
    for key in (
        "dose_cells_per_kg",
        "dose_particles",
        "viability_pct",
        "max_total_cells",
        "infusion_minutes_min",
        "infusion_minutes_max",
    ):
        v = raw.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
            raise ProtocolError(f"{where}.{key}", "must be a number")
    return Arm(
        name=str(raw["name"]),
        route=_enum(Route, f"{where}.route", raw.get("route")),
        product=_enum(ProductType, f"{where}.product", raw.get("product")),
        dose_cells_per_kg=raw.get("dose_cells_per_kg"),
        weight_basis=_enum(WeightBasis, f"{where}.weight_basis", raw.get("weight_basis", "actual")),
        max_total_cells=raw.get("max_total_cells"),
        dose_particles=raw.get("dose_particles"),
        days=tuple(days),
        viability_pct=raw.get("viability_pct"),
        device=_enum(NebuliserDevice, f"{where}.device", raw.get("device")),
        infusion_minutes_min=raw.get("infusion_minutes_min"),
        infusion_minutes_max=raw.get("infusion_minutes_max"),
    )


def protocol_from_dict(raw: Mapping[str, Any]) -> Protocol:
    """Build a ``Protocol`` from plain data; errors name the key and the rule."""
    allowed = {
        "code",
        "version",
        "title",
        "source",
        "arm",
        "eligibility",
        "vitals_minutes",
        "stopping_rules",
        "stopping_window_hours",
        "administration_window_days_before",
        "administration_window_days_after",
        "follow_up",
        "discharge_day",
        "outpatient",
        "signers_exclude_drafter",
        "notes",
        "extra",
    }
    unknown = set(raw) - allowed
    if unknown:
        raise ProtocolError(sorted(unknown)[0], "unknown key; allowed: " + ", ".join(sorted(allowed)))
    for key in ("code", "version", "title", "source"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise ProtocolError(key, "is required text")
    arms = tuple(arm_from_dict(a, f"arm[{i}]") for i, a in enumerate(raw.get("arm", [])))
    criteria = []
    for i, c in enumerate(raw.get("eligibility", [])):
        try:
            value = c["value"]
            criteria.append(
                EligibilityCriterion(
                    code=c["code"],
                    description=c["description"],
                    field=c["field"],
                    op=c["op"],
                    value=tuple(value) if isinstance(value, list) else value,
                    exclusion=bool(c.get("exclusion", False)),
                )
            )
        except KeyError as exc:
            raise ProtocolError(f"eligibility[{i}].{exc.args[0]}", "is required") from None
    visits = []
    for i, v in enumerate(raw.get("follow_up", [])):
        try:
            visits.append(
                FollowUpVisit(
                    code=v["code"],
                    name=v["name"],
                    day_offset=int(v["day_offset"]),
                    window_before_days=int(v.get("window_before_days", 0)),
                    window_after_days=int(v.get("window_after_days", 0)),
                )
            )
        except KeyError as exc:
            raise ProtocolError(f"follow_up[{i}].{exc.args[0]}", "is required") from None
    return Protocol(
        code=raw["code"],
        version=raw["version"],
        title=raw["title"],
        source=raw["source"],
        arms=arms,
        eligibility=tuple(criteria),
        vitals_minutes=tuple(raw.get("vitals_minutes", ())),
        stopping_rules=_enum(StoppingRuleSet, "stopping_rules", raw.get("stopping_rules", "start")),
        stopping_window_hours=float(raw.get("stopping_window_hours", 6.0)),
        administration_window_days_before=raw.get("administration_window_days_before", 0),
        administration_window_days_after=raw.get("administration_window_days_after", 0),
        follow_up=tuple(visits),
        discharge_day=raw.get("discharge_day"),
        outpatient=bool(raw.get("outpatient", False)),
        signers_exclude_drafter=raw.get("signers_exclude_drafter", True),
        notes=str(raw.get("notes", "")),
        extra=dict(raw.get("extra", {})),
    )


def builtin_protocols() -> list[Protocol]:
    """The protocols Stromal ships (``stromal/clinical/protocols/*.toml``)."""
    folder = resources.files("stromal.clinical") / "protocols"
    out = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            out.append(protocol_from_dict(tomllib.loads(entry.read_text(encoding="utf-8"))))
    return out
