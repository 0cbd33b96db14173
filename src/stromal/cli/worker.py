"""Run the database-backed background task worker (django-tasks-db)."""

from __future__ import annotations

import argparse

from stromal.cli._django import setup_django


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Run background tasks from the database queue.")
    parser.add_argument("--batch", action="store_true", help="run queued tasks, then exit")
    return parser


def run(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import call_command

    call_command("db_worker", *(["--batch"] if args.batch else []))
    return 0
