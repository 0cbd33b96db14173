"""Typed readers for settings that come from environment variables.

Every setting is read here so that a wrong value fails at start-up with a
message naming the variable, instead of surfacing later as odd behaviour.
A secret may also be given as ``NAME_FILE`` (a path), the convention of
Docker and Kubernetes secrets.
"""

from __future__ import annotations

import functools
import os
import zoneinfo
from pathlib import Path


class SettingError(ValueError):
    """An environment variable holds a value the setting cannot accept."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingError(f"{name}={raw!r}: expected one of true/false, 1/0, yes/no, on/off")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingError(f"{name}={raw!r}: expected an integer") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def valid_time_zone(name: str) -> bool:
    """True when ``name`` is an IANA time-zone name known to ``zoneinfo`` (e.g. ``Europe/Paris``)."""
    return name in _known_time_zones()


@functools.cache
def _known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def env_time_zone(name: str, default: str) -> str:
    """An IANA time-zone name (``Europe/Paris``, ``UTC``); empty or unknown is refused."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    if not valid_time_zone(raw):
        raise SettingError(
            f"{name}={raw!r}: expected an IANA time-zone name such as Europe/Paris or UTC"
            " (see the tz database list of zones)"
        )
    return raw


def env_secret(name: str) -> str | None:
    """Return the secret from ``NAME`` or from the file named by ``NAME_FILE``."""
    value = os.environ.get(name)
    if value:
        return value
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingError(f"{name}_FILE={path!r}: cannot read the file ({exc})") from exc
    return None
