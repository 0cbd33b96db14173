"""The dependency rule: stromal.clinical and stromal.model never import Django,
the database or the web (docs/architecture). Checked in a fresh interpreter so
nothing imported by other tests can hide a violation."""

import subprocess
import sys

import pytest

FORBIDDEN = ("django", "ninja", "psycopg", "stromal.settings", "gunicorn")


@pytest.mark.parametrize("package", ["stromal.clinical", "stromal.model"])
def test_pure_packages_do_not_import_django(package: str) -> None:
    code = f"""
import importlib, pkgutil, sys
pkg = importlib.import_module({package!r})
for info in pkgutil.walk_packages(pkg.__path__, {package!r} + "."):
    importlib.import_module(info.name)
bad = sorted(m for m in sys.modules if m.split(".")[0] in {FORBIDDEN!r} or m in {FORBIDDEN!r})
print(",".join(bad))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{package} imports {out.stdout.strip()}"
