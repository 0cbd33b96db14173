"""``stromal audit verify``: check that no audit event was changed, deleted or inserted out of order.

Exit status 0 when the hash chain holds, 1 naming the first broken event,
2 for a usage error or a database it cannot read.
"""

from __future__ import annotations

import argparse

from stromal.cli._django import setup_django

BROKEN_EXIT = 1
UNREADABLE_EXIT = 2


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="Tools for the tamper-evident audit trail (a SHA-256 hash chain)."
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser(
        "verify",
        help="check every event against the hash chain; exit 1 naming the first broken one",
        description=(
            "Recompute the hash of every audit event in sequence order. Exit 0 and print the number "
            "of events and the last hash (keep it outside the database) when the chain holds; exit 1 "
            "naming the first event that was changed, deleted or inserted out of order."
        ),
    )
    return parser


def run(args: argparse.Namespace) -> int:
    setup_django()
    from django.db import DatabaseError

    from stromal.audit.services import audit_chain_verify

    try:
        report = audit_chain_verify()
    except DatabaseError as exc:
        print(f"stromal audit verify: cannot read the audit trail ({exc}); is the database migrated?")
        return UNREADABLE_EXIT
    if report.first_break is not None:
        print(f"BROKEN: {report.first_break}")
        print(f"{report.events} events verified before the break.")
        return BROKEN_EXIT
    print(f"audit trail intact: {report.events} events, last hash {report.last_hash}")
    return 0
