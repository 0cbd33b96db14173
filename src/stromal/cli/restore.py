"""``stromal restore FILE``: restore a backup into an empty database, then prove it.

The target is the database the environment points at (``DATABASE_URL``, or
the embedded SQLite file; with ``DATABASE_OWNER_URL`` set, the owner role restores and then
grants the application role its rights). A target that already holds tables is refused.
After the restore the audit chain is verified and every table's row count is
compared with the backup's manifest. Exit 0 when both hold, 1 when not, 2
when nothing was restored.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from stromal.cli._django import setup_django


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Restore a backup made by 'stromal backup' into an EMPTY database (DATABASE_URL or the "
            "embedded SQLite file), verify the audit chain and compare row counts with the manifest."
        ),
    )
    parser.add_argument("file", type=Path, help="the backup file")
    return parser


def run(args: argparse.Namespace) -> int:
    from stromal.dbroles import connect_as_owner, grant_app_role

    # With DATABASE_OWNER_URL the owner role restores (it owns the tables), then grants the app role.
    app_role = connect_as_owner()
    setup_django()
    from stromal.cli.backup import print_report
    from stromal.recovery import RecoveryError, restore_database

    try:
        report = restore_database(source=args.file)
    except RecoveryError as exc:
        print(f"stromal restore: {exc}")
        return 2
    if app_role is not None:
        from django.db import connection

        grant_app_role(connection, app_role)
        print(f"granted {app_role} its rights (stromal db grant)")
    print_report("restored", report)
    return 0 if report.ok else 1
