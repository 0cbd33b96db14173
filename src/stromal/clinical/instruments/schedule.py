"""Which instruments are due at which follow-up visit (REDCap's event-instrument mapping).

A ``VisitSchedule`` lists visits (events) with a target day, a window of days
before and after it, and the instrument codes due there. Visits are counted
either from enrolment (day 0, as ``stromal.clinical.protocol.FollowUpVisit``)
or from hospital discharge, whose day differs per patient.

``FIVE_YEAR`` is the shipped schedule: discharge, then 1 (day 28), 3, 6 and
12 months and yearly to 5 years after enrolment, the long-term ARDS outcome
schedule of Herridge MS et al. N Engl J Med 2011;364(14):1293-304,
doi:10.1056/NEJMoa1011802 (3, 6, 12 months and yearly to 5 years). Its
enrolment-based visits carry the same codes, days and windows as the
``follow_up`` of the three shipped protocols, so ``follow_up_visits()``
plugs into ``stromal.followup.schedule.visit_windows`` unchanged.

Pure data and functions; no Django.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from stromal.clinical.instruments import INSTRUMENTS, Instrument
from stromal.clinical.protocol import FollowUpVisit

UNKNOWN_INSTRUMENT = "unknown instrument {code!r}; known: {known}"


class ScheduleError(ValueError):
    """A schedule breaks a rule. Names the visit and the rule."""

    def __init__(self, key: str, rule: str) -> None:
        self.key = key
        self.rule = rule
        super().__init__(f"{key}: {rule}")


class Anchor(StrEnum):
    ENROLMENT = "enrolment"  # day 0 of the protocol
    DISCHARGE = "discharge"  # the patient's own hospital discharge date


@dataclass(frozen=True)
class ScheduledVisit:
    """One follow-up event: due ``day_offset`` days after its anchor, in
    ``[target - window_before_days, target + window_after_days]``, with the
    instruments (codes of ``INSTRUMENTS``) to complete there, in page order."""

    code: str
    name: str
    anchor: Anchor
    day_offset: int
    window_before_days: int
    window_after_days: int
    instruments: tuple[str, ...]

    def __post_init__(self) -> None:
        where = f"visit[{self.code}]"
        if min(self.day_offset, self.window_before_days, self.window_after_days) < 0:
            raise ScheduleError(where, "day offset and windows must be >= 0")
        if len(set(self.instruments)) != len(self.instruments):
            raise ScheduleError(f"{where}.instruments", "an instrument is listed twice")
        for code in self.instruments:
            if code not in INSTRUMENTS:
                raise ScheduleError(
                    f"{where}.instruments", UNKNOWN_INSTRUMENT.format(code=code, known=", ".join(INSTRUMENTS))
                )


@dataclass(frozen=True)
class VisitSchedule:
    """A versioned follow-up schedule. Immutable: a change is a new version."""

    code: str
    version: str
    source: str
    visits: tuple[ScheduledVisit, ...]

    def __post_init__(self) -> None:
        codes = [v.code for v in self.visits]
        if len(codes) != len(set(codes)):
            raise ScheduleError("visits.code", "visit codes must be unique")

    def visit(self, code: str) -> ScheduledVisit:
        for v in self.visits:
            if v.code == code:
                return v
        raise ScheduleError(f"visit[{code}]", f"no such visit in schedule {self.code}")

    def instruments_due(self, visit_code: str, *, deceased: bool = False) -> tuple[Instrument, ...]:
        """The instruments due at a visit. For a patient known to have died,
        only vital status remains due (to record the death), where scheduled."""
        codes = self.visit(visit_code).instruments
        if deceased:
            codes = tuple(c for c in codes if c == "vital_status")
        return tuple(INSTRUMENTS[c] for c in codes)

    def follow_up_visits(self, *, discharge_day: int | None = None) -> tuple[FollowUpVisit, ...]:
        """The schedule as protocol follow-up visits (day offsets from enrolment).

        Discharge-anchored visits are included only when ``discharge_day`` (days
        from enrolment to the actual discharge) is given.
        """
        out = []
        for v in self.visits:
            if v.anchor is Anchor.DISCHARGE:
                if discharge_day is None:
                    continue
                offset = discharge_day + v.day_offset
            else:
                offset = v.day_offset
            out.append(FollowUpVisit(v.code, v.name, offset, v.window_before_days, v.window_after_days))
        return tuple(out)


def missing_without_reason(
    due: Sequence[str], completed: Collection[str], reasons: Mapping[str, str]
) -> list[str]:
    """Due instrument codes neither completed nor excused by a non-blank reason.

    A visit may be completed only when this is empty: each due instrument is
    either recorded or has a reason why not (declined, too unwell, not done).
    """
    return [c for c in due if c not in completed and not reasons.get(c, "").strip()]


_FOLLOW_UP_CORE = (
    "vital_status",
    "six_minute_walk",
    "spirometry",
    "dlco",
    "mmrc",
    "moca",
    "phq9",
    "gad7",
    "rand36",
    "return_to_work",
    "readmissions",
)


def _with_ct(codes: tuple[str, ...]) -> tuple[str, ...]:
    return (*codes[:-2], "chest_ct", *codes[-2:])


def _visit(
    code: str, name: str, day: int, before: int, after: int, instruments: tuple[str, ...]
) -> ScheduledVisit:
    return ScheduledVisit(code, name, Anchor.ENROLMENT, day, before, after, instruments)


#: Discharge, day 28, months 3 and 6, then yearly to 5 years. Chest CT at 6
#: months, 1 year and 5 years (fibrotic-like changes were assessed at 6 months
#: by Han 2021 and lung CT at 5 years in the study behind doc 000).
FIVE_YEAR = VisitSchedule(
    code="five_year_follow_up",
    version="1",
    source=(
        "Herridge MS et al. N Engl J Med 2011;364(14):1293-304. doi:10.1056/NEJMoa1011802 "
        "(3, 6, 12 months and yearly to 5 years); visit days and windows as the shipped protocols"
    ),
    visits=(
        ScheduledVisit(
            "discharge", "Hospital discharge", Anchor.DISCHARGE, 0, 2, 0, ("mmrc", "moca", "phq9", "gad7")
        ),
        _visit("d28", "Day 28", 28, 3, 7, ("vital_status", "mmrc", "phq9", "gad7", "readmissions")),
        _visit("m3", "Month 3", 90, 14, 14, _FOLLOW_UP_CORE),
        _visit("m6", "Month 6", 180, 14, 28, _with_ct(_FOLLOW_UP_CORE)),
        _visit("y1", "Year 1", 365, 30, 30, _with_ct(_FOLLOW_UP_CORE)),
        _visit("y2", "Year 2", 730, 30, 60, _FOLLOW_UP_CORE),
        _visit("y3", "Year 3", 1095, 30, 60, _FOLLOW_UP_CORE),
        _visit("y4", "Year 4", 1460, 30, 60, _FOLLOW_UP_CORE),
        _visit("y5", "Year 5", 1825, 30, 60, _with_ct(_FOLLOW_UP_CORE)),
    ),
)
