"""``stromal export --out DIR``: the registry's data as CSV, SPSS .sav and CDISC ODM 1.3.2 files.

The same code as the web's Export page (``stromal.exports.services``), run here in the
foreground. Pseudonymised unless ``--identified`` (which needs ``--reason``); audited like
every export. ``--user`` runs it with a reader's rights (their sites, their role); without it,
the operator exports every site.

Exit status: 0 written; 2 bad arguments or a refusal (the message names the option).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stromal.cli._django import setup_django

USAGE_EXIT = 2
#: A refused field -> the option that set it.
OPTION = {"formats": "format", "site": "site", "protocol": "protocol", "reason": "reason"}


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Export the registry: patients.csv, visits.csv, administrations.csv, adverse_events.csv, "
            "observations_long.csv and data_dictionary.csv; .sav files with labels; odm.xml (CDISC ODM 1.3.2)."
        ),
    )
    parser.add_argument(
        "--out", required=True, type=Path, help="directory to write into (created if missing)"
    )
    parser.add_argument(
        "--format",
        default="csv",
        help="comma-separated formats: csv, sav, odm (default: csv)",
    )
    parser.add_argument(
        "--protocol",
        default="",
        help="only patients whose current plan follows this protocol: CODE or CODE@VERSION",
    )
    parser.add_argument("--site", default="", help="only this site (its code)")
    parser.add_argument(
        "--identified",
        action="store_true",
        help="include names, record numbers, contact details and dates (needs --reason)",
    )
    parser.add_argument(
        "--reason", default="", help="why an identified export is needed (kept in the audit trail)"
    )
    parser.add_argument("--user", default="", help="run with this reader's rights (investigator or monitor)")
    return parser


def run(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import PermissionDenied, ValidationError

    from stromal.accounts.models import User
    from stromal.exports.services import export_request, export_run_execute
    from stromal.outcomes.cohort import CohortFilter

    user = None
    if args.user:
        user = User.objects.filter(username=args.user, is_active=True).first()
        if user is None:
            print(f"stromal export: --user: no active user {args.user!r}", file=sys.stderr)
            return USAGE_EXIT
    # CODE or CODE@VERSION, as the Analytics pages write a protocol version.
    code, _, version = args.protocol.partition("@")
    filters = CohortFilter(protocol_code=code, protocol_version=version, site_code=args.site)
    try:
        run = export_request(
            user=user,
            filters=filters,
            formats=args.format.split(","),
            identified=args.identified,
            reason=args.reason,
            source="command",
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            print(f"stromal export: --{OPTION.get(field, field)}: {' '.join(messages)}", file=sys.stderr)
        return USAGE_EXIT
    except PermissionDenied as exc:
        print(f"stromal export: refused: {exc}", file=sys.stderr)
        return USAGE_EXIT
    done = export_run_execute(run_id=run.pk, out_dir=args.out)
    if done.status != "done":
        print(f"stromal export: failed: {done.error}", file=sys.stderr)
        return 1
    kind = "identified" if done.identified else "pseudonymised"
    print(f"{kind} export #{done.pk}: {done.n_patients} patients written to {args.out}")
    for path in sorted(args.out.iterdir()):
        print(f"  {path.name}")
    return 0
