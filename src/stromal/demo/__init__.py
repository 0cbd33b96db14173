"""The synthetic demo: a demo site, one login per role, and a synthetic cohort.

Everything here is invented (deterministic seed) and marked synthetic. The
demo passwords are random, printed once when the logins are created and kept
in ``var/demo-credentials.txt`` (readable only by the owner); they are for a
local demonstration only and must never be used on a real deployment.
"""

from __future__ import annotations

from stromal.demo.administrations import load_administrations
from stromal.demo.pathway import load_pathway
from stromal.demo.users import ensure_demo_users


def load_demo() -> None:
    ensure_demo_users()
    load_pathway()
    load_administrations()
