from __future__ import annotations

import argparse

from stromal.cli._django import setup_django


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Create one demo login per role and load the synthetic demo cohort. Idempotent.",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    setup_django()
    from stromal.demo import load_demo

    load_demo()
    return 0
