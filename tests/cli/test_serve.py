"""``stromal serve`` loads the settings before it starts gunicorn: a wrong environment variable is
one line naming it and exit 2, never "serving on ..." followed by a traceback per worker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("zone", ["", "Mars/Olympus"])
def test_serve_with_a_wrong_time_zone_says_so_in_one_line_and_starts_nothing(
    tmp_path: Path, zone: str
) -> None:
    full = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "STROMAL_ENV"}}
    out = subprocess.run(
        [sys.executable, "-m", "stromal.cli", "serve", "--bind", "127.0.0.1:0", "--workers", "1"],
        capture_output=True,
        text=True,
        env=full | {"STROMAL_VAR_DIR": str(tmp_path), "STROMAL_TIME_ZONE": zone},
        timeout=60,
        check=False,
    )
    assert out.returncode == 2
    assert out.stderr.strip() == (
        f"stromal: configuration error: STROMAL_TIME_ZONE={zone!r}: expected an IANA time-zone name "
        "such as Europe/Paris or UTC (see the tz database list of zones)"
    )
    assert "serving" not in out.stdout
