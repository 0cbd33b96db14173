"""en-gb input formats, ISO first (see ``stromal.formats``); display formats stay Django's en-gb.

After the ISO entries come Django's own en-gb input formats (``django.conf.locale.en_GB``),
so a date typed by hand as ``31/01/1986`` is still read.
"""

from __future__ import annotations

#: The first entry is what a bound ``type="date"`` input gets as its value.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"]
#: The first entry is what a bound ``type="datetime-local"`` input gets as its value.
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S.%f",
    "%d/%m/%Y %H:%M",
    "%d/%m/%y %H:%M:%S",
    "%d/%m/%y %H:%M:%S.%f",
    "%d/%m/%y %H:%M",
]
