from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

#: A trial small enough for tests: two chunks of 12 patients, short follow-up, no long-term outcomes.
TINY_TOML = """
title = "Tiny web trial"
seed = 7
days = 28
chunk_size = 12
[population]
n_per_arm = 12
severity = { mild = 0.3, moderate = 0.45, severe = 0.25 }
aetiology = { viral = 0.6, sepsis = 0.3, trauma = 0.1 }
[analysis]
power_trials = 10
long_term = false
[[arm]]
name = "control"
[[arm]]
name = "msc_iv"
route = "iv"
product = "uc_msc"
dose_cells_per_kg = 1e6
days = [1]
viability_pct = 90
"""


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def south_investigator(other_site: Any) -> Any:
    """An investigator of the other site: the North site's runs do not exist for them."""
    from stromal.accounts.models import User

    return User.objects.create_user(
        username="sven", password="x", role="investigator", site=other_site, printed_name="Sven South"
    )
