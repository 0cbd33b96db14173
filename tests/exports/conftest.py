from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _analytics_recompute_every_time(settings: Any) -> None:
    """Each test builds its own registry; pages must not show an earlier test's remembered rows
    (``stromal.outcomes.memo``, tested on its own with the memory on)."""
    settings.STROMAL_ANALYTICS_CACHE_SECONDS = 0
