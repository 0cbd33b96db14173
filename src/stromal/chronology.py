"""When a clinical event may have happened: never in the future, and in order.

One place for the time rules every service applies to the dates and
date-times it is given (issue #8, class 5): an event is refused when it lies
later than now (allowing ``CLOCK_SKEW`` for a bedside clock a little ahead of
the server), when it lies before the event that must precede it, and a date of
birth must give an age of 0 to ``MAX_AGE_YEARS`` years.

Each check raises ``django.core.exceptions.ValidationError`` keyed by the form
field it is about, so the message appears next to that field, and names the
rule in words.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

from stromal.accounts.zones import format_when

#: How far ahead of the server's clock a recorded time may be (a bedside device
#: or a workstation whose clock runs a little fast).
CLOCK_SKEW = dt.timedelta(minutes=5)

#: Oldest plausible age at any clinical event (years).
MAX_AGE_YEARS = 120

IN_THE_FUTURE = "{label} ({value}) cannot be later than now ({now})."
BEFORE_EARLIER_EVENT = "{label} ({value}) cannot be before {earlier_label} ({earlier})."
AGE_OUT_OF_RANGE = (
    "{label} ({value}) gives an age of {age} years; it must give an age of 0 to {max_age} years."
)


def _show(value: dt.date | dt.datetime) -> str:
    """A date as ``Y-m-d``, a date-time in the site's zone with the zone (``accounts.zones``)."""
    try:
        return format_when(value)
    except OverflowError:  # near year 1 or 9999: shown in the zone it was given in
        assert isinstance(value, dt.datetime)
        return value.strftime("%Y-%m-%d %H:%M %Z").strip()


def _as_comparable(value: dt.date | dt.datetime, like: dt.date | dt.datetime) -> dt.date | dt.datetime:
    """Bring ``value`` to the type of ``like``: a date-time becomes its local date
    when compared with a date; a date becomes its local midnight otherwise."""
    if isinstance(like, dt.datetime):
        if isinstance(value, dt.datetime):
            return value
        return timezone.make_aware(dt.datetime.combine(value, dt.time.min))
    if isinstance(value, dt.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def require_not_future(
    field: str,
    value: dt.date | dt.datetime | None,
    *,
    label: str,
    now: dt.datetime | None = None,
) -> None:
    """Refuse an event later than ``now`` (+ ``CLOCK_SKEW``; a date: later than today).

    ``None`` (not recorded) passes. ``now`` defaults to ``timezone.now()``; a
    date is compared with today's date in the active (site) time zone.

    Raises:
        ValidationError: ``{field: message}``.
    """
    if value is None:
        return
    current = now or timezone.now()
    if isinstance(value, dt.datetime):
        late = value > current + CLOCK_SKEW
        shown_now = _show(current)
    else:
        today = timezone.localdate(current)
        late = value > today
        shown_now = today.isoformat()
    if late:
        raise ValidationError({field: IN_THE_FUTURE.format(label=label, value=_show(value), now=shown_now)})


def require_not_before(
    field: str,
    value: dt.date | dt.datetime | None,
    earlier: dt.date | dt.datetime | None,
    *,
    label: str,
    earlier_label: str,
) -> None:
    """Refuse ``value`` when it lies before ``earlier`` (the event that must come first).

    Either being ``None`` passes. A date and a date-time are compared on the
    local date of the date-time.

    Raises:
        ValidationError: ``{field: message}``.
    """
    if value is None or earlier is None:
        return
    if isinstance(value, dt.datetime) and isinstance(earlier, dt.datetime):
        early = value < earlier
    else:
        early = _as_comparable(value, dt.date.min) < _as_comparable(earlier, dt.date.min)
    if early:
        raise ValidationError(
            {
                field: BEFORE_EARLIER_EVENT.format(
                    label=label, value=_show(value), earlier_label=earlier_label, earlier=_show(earlier)
                )
            }
        )


def age_in_years(date_of_birth: dt.date, on: dt.date) -> int:
    """Completed years between ``date_of_birth`` and ``on``."""
    return on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))


def require_plausible_birth_date(
    field: str,
    date_of_birth: dt.date | None,
    *,
    label: str = "Date of birth",
    now: dt.datetime | None = None,
) -> None:
    """Refuse a date of birth in the future or giving an age above ``MAX_AGE_YEARS``.

    Raises:
        ValidationError: ``{field: message}``.
    """
    if date_of_birth is None:
        return
    require_not_future(field, date_of_birth, label=label, now=now)
    today = timezone.localdate(now or timezone.now())
    age = age_in_years(date_of_birth, today)
    if not 0 <= age <= MAX_AGE_YEARS:
        raise ValidationError(
            {
                field: AGE_OUT_OF_RANGE.format(
                    label=label, value=date_of_birth.isoformat(), age=age, max_age=MAX_AGE_YEARS
                )
            }
        )


#: How far ahead an appointment (examination, intake appointment) may be booked.
#: A year covers every visit of the study's follow-up (day 360 at the latest) and
#: any planned return; anything later is a typing slip (``9999`` for ``2025``) and
#: would overflow the conversion to UTC near ``datetime.max`` (a 500 before this rule).
SCHEDULING_HORIZON = dt.timedelta(days=365)

BEYOND_HORIZON = (
    "{label} ({value}) is more than {days} days ahead (after {limit}); book it at most {days} days ahead."
)


def require_schedulable(
    field: str,
    value: dt.datetime | None,
    *,
    earliest: dt.datetime | None,
    label: str,
    earliest_label: str,
    now: dt.datetime | None = None,
) -> None:
    """Refuse an appointment before ``earliest`` or more than ``SCHEDULING_HORIZON`` after ``now``.

    Works for any date-time a form can give (years 1 to 9999, in any zone): the
    comparisons never convert ``value`` across zones, so no ``OverflowError``.
    ``None`` passes.

    Raises:
        ValidationError: ``{field: message}``.
    """
    if value is None:
        return
    require_not_before(field, value, earliest, label=label, earlier_label=earliest_label)
    current = now or timezone.now()
    limit = current + SCHEDULING_HORIZON
    if value > limit:
        raise ValidationError(
            {
                field: BEYOND_HORIZON.format(
                    label=label, value=_show(value), days=SCHEDULING_HORIZON.days, limit=_show(limit)
                )
            }
        )


#: How early a scheduled measurement (a vitals time point of an infusion) may be
#: recorded: the nurse takes the 15-minute vitals a few minutes ahead while at the
#: bedside; the time point itself must have (almost) come.
TIME_POINT_EARLY_TOLERANCE = dt.timedelta(minutes=5)

TIME_POINT_NOT_REACHED = (
    "{label} {minute} min is not reached yet: it is {elapsed} min since {start_label}; "
    "it can be recorded from minute {earliest}."
)


def require_time_point_reached(
    field: str,
    minute: int | None,
    *,
    at: dt.datetime,
    start: dt.datetime,
    label: str = "Time point",
    start_label: str = "the start",
) -> None:
    """Refuse recording the scheduled time point ``minute`` (minutes after ``start``) at ``at``
    when more than ``TIME_POINT_EARLY_TOLERANCE`` is still left before it. ``None`` passes.

    Raises:
        ValidationError: ``{field: message}``.
    """
    if minute is None:
        return
    due = start + dt.timedelta(minutes=minute)
    if at < due - TIME_POINT_EARLY_TOLERANCE:
        elapsed = int((at - start).total_seconds() // 60)
        earliest = minute - int(TIME_POINT_EARLY_TOLERANCE.total_seconds() // 60)
        raise ValidationError(
            {
                field: TIME_POINT_NOT_REACHED.format(
                    label=label,
                    minute=minute,
                    elapsed=elapsed,
                    start_label=start_label,
                    earliest=max(earliest, 0),
                )
            }
        )
