from __future__ import annotations

import argparse

from stromal.cli._django import setup_django


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Run a Django management command.")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the management command and its arguments")
    return parser


def run(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["stromal manage", *args.command])
    return 0
