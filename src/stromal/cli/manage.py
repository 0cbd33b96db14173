from __future__ import annotations

import argparse

from stromal.cli._django import setup_django

#: Commands that change the schema: run as DATABASE_OWNER_URL when it is set (``stromal.dbroles``).
OWNER_COMMANDS = frozenset({"migrate"})


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Run a Django management command. 'migrate' connects as DATABASE_OWNER_URL when it is "
            "set, then grants the DATABASE_URL role its rights."
        ),
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the management command and its arguments")
    return parser


def run(args: argparse.Namespace) -> int:
    from stromal.dbroles import connect_as_owner, grant_app_role

    app_role = connect_as_owner() if args.command[:1] and args.command[0] in OWNER_COMMANDS else None
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["stromal manage", *args.command])
    if app_role is not None:
        from django.db import connection

        grant_app_role(connection, app_role)
        print(f"granted {app_role} its rights (stromal db grant)")
    return 0
