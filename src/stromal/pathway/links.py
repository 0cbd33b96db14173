"""Links to many records of one kind at the cost of one URL reversal.

A list page links every row to its record; reversing the URL once per row
(``reverse`` or ``{% url %}``) is a visible part of the page's time. The URL
patterns these lists use take the primary key as their only argument, so the
URL of any row is the URL of one row with the key swapped: ``pk_reverse``
reverses each URL name once (per script prefix) and fills in the key.
"""

from __future__ import annotations

from functools import lru_cache

from django.urls import get_script_prefix, reverse

_MARKER = 987654321987  # a key no table reaches, to find the key's place in the reversed URL


def pk_reverse(name: str, pk: int) -> str:
    """The same as ``reverse(name, args=[pk])`` for a URL whose only argument is ``pk``."""
    head, tail = _around_pk(name, get_script_prefix())
    return f"{head}{pk}{tail}"


@lru_cache(maxsize=256)
def _around_pk(name: str, script_prefix: str) -> tuple[str, str]:
    head, tail = reverse(name, args=[_MARKER]).split(str(_MARKER))
    return head, tail
