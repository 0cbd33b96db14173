"""Date-times as people read them: in the site's zone, with the zone named.

One place for the display rule of issue #8 (class 4): every date-time shown
on a page or in a message carries its zone (``2026-11-30 14:05 CET``), so a
time read at another site, in an export or on a screenshot is never
ambiguous. Values are stored in UTC (``USE_TZ``); the zone shown is the one
active for the request (the user's site, ``accounts.middleware``).
"""

from __future__ import annotations

import datetime as dt

from django.utils import dateformat, timezone

#: Django date-format of a date-time on screen; the zone is always appended.
DATETIME_FORMAT = "Y-m-d H:i"

# The formats pages use, as strftime patterns (cheaper per row than Django's formatter,
# which handles any other format).
_STRFTIME = {"Y-m-d H:i": "%Y-%m-%d %H:%M", "Y-m-d H:i:s": "%Y-%m-%d %H:%M:%S", "H:i": "%H:%M"}
#: Formats that show a time of day only: the date is added when it is not today's (local).
TIME_ONLY_FORMATS = frozenset({"H:i", "H:i:s"})


def format_when(value: dt.datetime | dt.date | None, fmt: str = DATETIME_FORMAT) -> str:
    """``value`` in the active zone, formatted with ``fmt`` (Django's date format) plus the zone.

    A plain date has no zone and is shown as ``Y-m-d``; ``None`` is ``""`` (so
    a template's ``default`` filter still applies). A naive date-time (never
    stored with ``USE_TZ``) is taken to be in the active zone. A time-only
    format (``H:i``, ``TIME_ONLY_FORMATS``) gets the date in front when the
    value is not on today's local date, so "03:10" is never read as today's
    when it was last night's.
    """
    if value is None or value == "":
        return ""
    if not isinstance(value, dt.datetime):
        return dateformat.format(value, "Y-m-d")
    local = timezone.localtime(value) if timezone.is_aware(value) else timezone.make_aware(value)
    if fmt in TIME_ONLY_FORMATS and local.date() != timezone.localdate():
        fmt = f"Y-m-d {fmt}"
    pattern = _STRFTIME.get(fmt)
    shown = local.strftime(pattern) if pattern else dateformat.format(local, fmt)
    return f"{shown} {local.tzname()}"


def zone_help() -> str:
    """Help text for a date-time input: the zone a typed time is read in (the active, site zone)."""
    return f"Local time, {timezone.get_current_timezone_name()}"
