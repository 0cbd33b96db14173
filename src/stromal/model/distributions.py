"""Population distributions of model parameters.

Small immutable objects, each able to draw ``n`` values with a NumPy
``Generator`` and to describe itself in one line for ``docs/model.md``.
They validate themselves on creation, so a bad prior fails at import time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


class Distribution(Protocol):
    def sample(self, rng: np.random.Generator, n: int) -> FloatArray: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class Fixed:
    """The same value for every virtual patient."""

    value: float

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return np.full(n, self.value, dtype=np.float64)

    def describe(self) -> str:
        return "fixed"


@dataclass(frozen=True)
class LogNormal:
    """Log-normal with the given median and coefficient of variation (sd/mean)."""

    median: float
    cv: float

    def __post_init__(self) -> None:
        if not (self.median > 0 and self.cv > 0):
            raise ValueError(f"LogNormal needs median > 0 and cv > 0, got {self.median}, {self.cv}")

    @property
    def sigma(self) -> float:
        return math.sqrt(math.log1p(self.cv**2))

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return np.asarray(self.median * np.exp(self.sigma * rng.standard_normal(n)), dtype=np.float64)

    def describe(self) -> str:
        return f"LogNormal(median {self.median:g}, CV {self.cv:g})"


@dataclass(frozen=True)
class Uniform:
    """Uniform on [low, high]."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if not self.low < self.high:
            raise ValueError(f"Uniform needs low < high, got {self.low}, {self.high}")

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return np.asarray(rng.uniform(self.low, self.high, n), dtype=np.float64)

    def describe(self) -> str:
        return f"Uniform({self.low:g}, {self.high:g})"


@dataclass(frozen=True)
class Normal:
    """Normal(mean, sd) truncated to [low, high] by redrawing out-of-range values."""

    mean: float
    sd: float
    low: float = -math.inf
    high: float = math.inf

    def __post_init__(self) -> None:
        if not (self.sd > 0 and self.low < self.mean < self.high):
            raise ValueError(f"Normal needs sd > 0 and low < mean < high, got {self}")

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        out = self.mean + self.sd * rng.standard_normal(n)
        bad = (out < self.low) | (out > self.high)
        # Redraw only the out-of-range values; the truncation keeps the shape inside.
        while bad.any():
            out[bad] = self.mean + self.sd * rng.standard_normal(int(bad.sum()))
            bad = (out < self.low) | (out > self.high)
        return np.asarray(out, dtype=np.float64)

    def describe(self) -> str:
        bounds = (
            "" if math.isinf(self.low) and math.isinf(self.high) else f", in [{self.low:g}, {self.high:g}]"
        )
        return f"Normal(mean {self.mean:g}, SD {self.sd:g}{bounds})"


@dataclass(frozen=True)
class Bernoulli:
    """1.0 with probability ``p``, else 0.0 (e.g. sex_male)."""

    p: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.p <= 1.0:
            raise ValueError(f"Bernoulli needs 0 <= p <= 1, got {self.p}")

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return (rng.random(n) < self.p).astype(np.float64)

    def describe(self) -> str:
        return f"Bernoulli(p {self.p:g})"
