"""``stromal api-token create USERNAME | revoke PREFIX | list``: per-user API tokens from the command line.

``create`` prints the token once, as the last line of its output (scripts
read it with ``tail -n 1``); only its hash is stored. Both changes are
audited (the actor is the command, "system", with its source
``command stromal api-token``). Exit 0 on success, 1 when refused.
"""

from __future__ import annotations

import argparse
import sys

from stromal.cli._django import setup_django

REFUSED_EXIT = 1


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Issue, revoke and list the per-user tokens of the REST API and FHIR endpoints.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create",
        help="issue a token for USERNAME; the token is the last line of the output, shown once",
        description="Issue a token that acts as USERNAME (with that user's role and site).",
    )
    create.add_argument("username")
    create.add_argument("--name", default="issued on the command line", help="what the token is for")
    revoke = actions.add_parser("revoke", help="revoke the token with PREFIX (the part after 'stromal_')")
    revoke.add_argument("prefix")
    revoke.add_argument("--reason", default="", help="why (kept in the audit trail)")
    listing = actions.add_parser("list", help="list tokens (prefix, user, name, issued, last used, state)")
    listing.add_argument("--user", default=None, help="only this user's tokens")
    return parser


def run(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import ValidationError

    from stromal.accounts.models import User
    from stromal.api.models import ApiToken
    from stromal.api.services import api_token_create, api_token_revoke

    if args.action == "create":
        user = User.objects.filter(username=args.username).first()
        if user is None:
            print(f"stromal api-token: no user {args.username!r}", file=sys.stderr)
            return REFUSED_EXIT
        try:
            row, token = api_token_create(user=user, name=args.name, actor=None)
        except ValidationError as exc:
            print(f"stromal api-token: {' '.join(exc.messages)}", file=sys.stderr)
            return REFUSED_EXIT
        print(
            f"Token {row.prefix} issued for {user.username} ({user.role}, site {user.site_id}): {row.name}."
        )
        print("Copy it now: it is not stored and will not be shown again.")
        print(token)
        return 0
    if args.action == "revoke":
        found = (
            ApiToken.objects.select_related("user")
            .filter(prefix=args.prefix.removeprefix("stromal_")[:16])
            .first()
        )
        if found is None:
            print(f"stromal api-token: no token with prefix {args.prefix!r}", file=sys.stderr)
            return REFUSED_EXIT
        try:
            api_token_revoke(token=found, actor=None, reason=args.reason)
        except ValidationError as exc:
            print(f"stromal api-token: {' '.join(exc.messages)}", file=sys.stderr)
            return REFUSED_EXIT
        print(f"Token {found.prefix} of {found.user.username} revoked.")
        return 0
    tokens = ApiToken.objects.select_related("user").order_by("created_at", "id")
    if args.user:
        tokens = tokens.filter(user__username=args.user)
    for t in tokens:
        state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
        print(
            f"{t.prefix}  {t.user.username:<20} {t.created_at:%Y-%m-%d}  last used {used:<16}  {state:<24} {t.name}"
        )
    return 0
