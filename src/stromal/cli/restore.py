"""``stromal restore FILE``: restore a backup into an empty database, then prove it.

The target is the database the environment points at (``DATABASE_URL``, or
the embedded SQLite file). A target that already holds tables is refused.
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
    setup_django()
    from stromal.cli.backup import print_report
    from stromal.recovery import RecoveryError, restore_database

    try:
        report = restore_database(source=args.file)
    except RecoveryError as exc:
        print(f"stromal restore: {exc}")
        return 2
    print_report("restored", report)
    return 0 if report.ok else 1
