"""Solver statuses: what became of one patient's solve (no numba, no NumPy: cheap to import).

The compiled solvers (:mod:`stromal.model.solver`, :mod:`stromal.model.gpu`)
store these values in ``CohortResult.status`` (``int8``); everything that
reads a status compares with these names, never with bare numbers.
"""

from __future__ import annotations

from enum import IntEnum


class SolverStatus(IntEnum):
    """Outcome of one patient's solve, stored as ``int8`` in ``CohortResult.status``."""

    OK = 0
    MAX_STEPS = 1
    STEP_UNDERFLOW = 2
    NON_FINITE = 3
    INVALID_INPUT = 4


STATUS_TEXT: dict[int, str] = {
    SolverStatus.OK: "ok",
    SolverStatus.MAX_STEPS: "maximum number of steps exceeded",
    SolverStatus.STEP_UNDERFLOW: "step size underflow (stiffness or discontinuity the solver could not pass)",
    SolverStatus.NON_FINITE: "non-finite state (NaN or infinity)",
    SolverStatus.INVALID_INPUT: "invalid input (non-finite or out-of-range parameter, initial state or dose)",
}
