"""Criterion results shared by the ARDS definitions and cytokine-storm criteria.

A criterion is ``met``, ``unmet`` or ``missing``: missing means the data
needed to decide it were not given, which is never the same as unmet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    MET = "met"
    UNMET = "unmet"
    MISSING = "missing"


@dataclass(frozen=True)
class Criterion:
    """One criterion: a stable ``code``, human ``description``, its status and
    the observed value that decided it (``None`` when missing)."""

    code: str
    description: str
    status: Status
    observed: object = None

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "description": self.description,
            "status": str(self.status),
            "observed": self.observed,
        }


def from_bool(code: str, description: str, value: bool | None, *, wanted: bool = True) -> Criterion:
    """A criterion met when a yes/no observation equals ``wanted``."""
    if value is None:
        return Criterion(code, description, Status.MISSING)
    return Criterion(code, description, Status.MET if value is wanted else Status.UNMET, value)


def overall(criteria: Sequence[Criterion]) -> bool | None:
    """All met -> True; any unmet -> False; otherwise (some missing) -> None."""
    if any(c.status is Status.UNMET for c in criteria):
        return False
    if any(c.status is Status.MISSING for c in criteria):
        return None
    return True


def codes(criteria: Sequence[Criterion], status: Status) -> list[str]:
    return [c.code for c in criteria if c.status is status]
