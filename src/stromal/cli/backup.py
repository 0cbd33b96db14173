"""``stromal backup --out PATH``: a consistent copy of the database, verified.

SQLite through its online backup API, PostgreSQL through ``pg_dump`` custom
format; ``PATH.manifest.json`` records the row count of every table and the
audit chain's last hash. Exit 0 when the copy's audit chain is intact, 1 when
it is not (the backup is kept: it is evidence), 2 when no backup was made.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from stromal.cli._django import setup_django


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Back the database up (SQLite online backup API; PostgreSQL pg_dump custom format), "
            "then verify the audit chain and write PATH.manifest.json with every table's row count."
        ),
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="the backup file to write (never overwritten)"
    )
    return parser


def print_report(title: str, report: object) -> None:
    from stromal.recovery import RecoveryReport

    assert isinstance(report, RecoveryReport)
    print(f"{title}: {report.path}")
    for table, count in report.row_counts.items():
        print(f"  {table:<48} {count:>10}")
    print(f"  {'total rows':<48} {sum(report.row_counts.values()):>10}")
    if report.audit.first_break is None:
        print(f"audit trail intact: {report.audit.events} events, last hash {report.audit.last_hash}")
    else:
        print(f"BROKEN: {report.audit.first_break}")
    for table, (expected, found) in report.count_mismatches.items():
        print(f"ROW COUNT MISMATCH {table}: backup had {expected}, restored {found}")


def run(args: argparse.Namespace) -> int:
    setup_django()
    from stromal.recovery import RecoveryError, backup_database

    try:
        report = backup_database(out=args.out)
    except RecoveryError as exc:
        print(f"stromal backup: {exc}")
        return 2
    print_report("backup written", report)
    return 0 if report.ok else 1
