"""Pure clinical rules for ARDS and MSC therapy: no Django, no I/O.

Every function cites its source in its docstring and is tested on worked
cases from that source (``tests/clinical/cases/``).
"""
