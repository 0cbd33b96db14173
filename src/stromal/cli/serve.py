"""Serve the app with gunicorn, a production-grade WSGI server."""

from __future__ import annotations

import argparse
import os
import sys

from stromal.cli._django import setup_django
from stromal.env import env_int, env_str


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Serve Stromal with gunicorn.")
    parser.add_argument("--bind", default=env_str("STROMAL_BIND", "127.0.0.1:8000"))
    parser.add_argument("--workers", type=int, default=env_int("STROMAL_WORKERS", 2))
    parser.add_argument("--threads", type=int, default=env_int("STROMAL_THREADS", 4))
    return parser


def run(args: argparse.Namespace) -> int:
    # Load the settings here first: a wrong environment variable (STROMAL_TIME_ZONE=Mars/Olympus)
    # is then one line naming it and exit 2 (``stromal.cli.main``), not a traceback per worker.
    setup_django()
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "stromal.wsgi:application",
        "--bind",
        args.bind,
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--access-logfile",
        "-",
    ]
    print(f"Stromal is serving on http://{args.bind}/  (Ctrl+C stops it)", flush=True)
    # Replace this process so signals (Ctrl+C, SIGTERM) reach gunicorn directly.
    os.execv(sys.executable, argv)
