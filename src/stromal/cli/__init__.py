"""The ``stromal`` command.

Each subcommand lives in its own module ``stromal.cli.<name>`` exposing
``build_parser(prog) -> argparse.ArgumentParser`` and
``run(args) -> int``. Modules are imported only when their command runs, so
``stromal assess`` never pays for Django or the numerical engine.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from stromal import RESEARCH_DISCLAIMER, __version__
from stromal.env import SettingError

# command -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "assess": (
        "stromal.cli.assess",
        "ARDS and severity assessments from one JSON object of observations",
    ),
    "serve": ("stromal.cli.serve", "serve the web app with gunicorn (production-grade server)"),
    "worker": ("stromal.cli.worker", "run the background task worker"),
    "demo": ("stromal.cli.demo", "create demo logins and load the synthetic demo cohort"),
    "manage": ("stromal.cli.manage", "run a Django management command"),
    "audit": ("stromal.cli.audit", "verify the tamper-evident audit trail (hash chain)"),
    "db": ("stromal.cli.db", "grant the application's PostgreSQL role its rights (owner role split)"),
    "export": (
        "stromal.cli.export",
        "export the registry (CSV, SPSS .sav, CDISC ODM), pseudonymised unless --identified",
    ),
    "api-token": ("stromal.cli.api_token", "issue (printed once), revoke and list per-user API tokens"),
    "backup": ("stromal.cli.backup", "back the database up, verified (SQLite backup API / pg_dump)"),
    "restore": ("stromal.cli.restore", "restore a backup into an empty database and verify it"),
    "simulate": ("stromal.cli.simulate", "simulate one virtual patient or a cohort"),
    "trial": ("stromal.cli.trial", "run an in-silico trial from a TOML configuration"),
    "calibrate": (
        "stromal.cli.calibrate",
        "fit free model parameters and write a calibration report",
    ),
    "validate": (
        "stromal.cli.validate",
        "simulate held-out published MSC trials and compare with their results",
    ),
    "export-sbml": (
        "stromal.cli.export_sbml",
        "export the model (and a protocol's doses) as SBML Level 3",
    ),
}

USAGE_EXIT = 2


def _usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = [
        f"usage: stromal <command> [options]    (Stromal {__version__})",
        "",
        RESEARCH_DISCLAIMER,
        "",
        "commands:",
    ]
    lines += [f"  {name.ljust(width)}  {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "Run 'stromal <command> --help' for a command's options."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0 if args else USAGE_EXIT
    if args[0] == "--version":
        print(__version__)
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"stromal: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return USAGE_EXIT
    module = importlib.import_module(COMMANDS[name][0])
    parser = module.build_parser(f"stromal {name}")
    parsed = parser.parse_args(rest)
    from stromal.audit.context import audit_source

    try:
        with audit_source(f"command stromal {name}"):
            return int(module.run(parsed))
    except SettingError as exc:  # a wrong environment variable: say which, no traceback
        print(f"stromal: configuration error: {exc}", file=sys.stderr)
        return USAGE_EXIT


if __name__ == "__main__":
    sys.exit(main())
