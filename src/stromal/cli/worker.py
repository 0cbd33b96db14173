"""Run the database-backed background task worker (django-tasks-db).

``stromal worker`` waits for tasks for ever (a service); ``stromal worker --burst`` runs the tasks
already queued, then exits (scripts and tests: it is django-tasks-db's ``db_worker --batch``).
"""

from __future__ import annotations

import argparse

from stromal.cli._django import setup_django


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Run background tasks from the database queue.")
    parser.add_argument(
        "--burst",
        "--batch",
        dest="burst",
        action="store_true",
        help="run the tasks already queued, then exit (--batch is the older name)",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import call_command

    options = ["--batch", "--no-startup-delay"] if args.burst else []
    call_command("db_worker", *options)
    return 0
