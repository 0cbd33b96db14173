from __future__ import annotations

import argparse
import sys

from stromal.cli._django import setup_django


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Create one demo login per role and load the synthetic demo cohort. Idempotent.",
    )
    return parser


DEMO_IN_PRODUCTION = (
    "stromal demo: refused because STROMAL_ENV=production; the demo creates logins with "
    "printed passwords and synthetic patients, which have no place in a production database"
)


def run(args: argparse.Namespace) -> int:
    setup_django()
    from django.conf import settings

    if settings.PRODUCTION:
        print(DEMO_IN_PRODUCTION, file=sys.stderr)
        return 2
    from stromal.demo import load_demo

    load_demo()
    return 0
