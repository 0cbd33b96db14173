"""``{{ value|when }}``: a date-time in the site's zone with its zone (a builtin filter, see settings)."""

from __future__ import annotations

import datetime as dt

from django import template

from stromal.accounts.zones import DATETIME_FORMAT, format_when

register = template.Library()


@register.filter(expects_localtime=False)
def when(value: dt.datetime | dt.date | None, fmt: str = DATETIME_FORMAT) -> str:
    """``2026-11-30 14:05 CET``; ``{{ t|when:"H:i" }}`` gives ``14:05 CET``."""
    return format_when(value, fmt)


@register.filter(expects_localtime=False)
def audit_value(value: object) -> object:
    """A value from the audit trail's old -> new: an ISO date-time (stored in UTC) is shown
    like any other date-time, in the site's zone with the zone; anything else as it is."""
    if isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and value[10:11] == "T":
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return format_when(parsed)
    return value
