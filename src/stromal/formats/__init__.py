"""Project format module (``settings.FORMAT_MODULE_PATH``): how dates are written into form inputs.

Browsers read the value of ``<input type="date">`` only as ``YYYY-MM-DD`` and of
``<input type="datetime-local">`` only as ``YYYY-MM-DDTHH:MM`` (HTML Living
Standard, "valid date string" and "valid normalized local date and time
string"). Django writes a bound value with the locale's *first* input format,
which for en-gb is ``31/01/1986``: the browser then shows an empty field and a
required date of birth blocks Save. Here the ISO forms come first; the
locale's own formats stay accepted when a value is typed by hand.
"""
