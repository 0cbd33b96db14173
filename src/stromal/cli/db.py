"""``stromal db grant``: give the application's PostgreSQL role its rights (see ``stromal.dbroles``).

Connects as ``DATABASE_OWNER_URL`` and grants the role of ``DATABASE_URL`` data
rights on every table, append-only rights on the audit trail and read-only on
``django_migrations``. ``stromal manage migrate`` and ``stromal restore`` do
this themselves; run it after anything else that creates tables.
"""

from __future__ import annotations

import argparse
import sys

from stromal.cli._django import setup_django

NO_OWNER = (
    "stromal db grant: DATABASE_OWNER_URL is not set; with a single database role there is "
    "nothing to grant (see the README, 'Database roles')"
)


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Database role tools (PostgreSQL).")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser(
        "grant",
        help="grant the DATABASE_URL role its rights, connecting as DATABASE_OWNER_URL",
        description=__doc__,
    )
    return parser


def run(args: argparse.Namespace) -> int:
    from stromal.dbroles import connect_as_owner, grant_app_role

    app_role = connect_as_owner()
    if app_role is None:
        print(NO_OWNER, file=sys.stderr)
        return 2
    setup_django()
    from django.db import connection

    for sql in grant_app_role(connection, app_role):
        print(f"{sql};")
    print(f"granted: {app_role} reads and writes data, appends to the audit trail, owns nothing")
    return 0
