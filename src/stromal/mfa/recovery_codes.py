"""Recovery codes: single-use lookup secrets for a lost authenticator (OWASP ASVS 2.6).

A code has 16 characters from Crockford's base-32 alphabet (80 random bits), shown as four
groups of four. Only a SHA-256 digest of each code is stored (cut to 16 base-32 characters,
the width of django-otp's ``StaticToken.token``, still 80 bits): a database reader cannot
use them, and with 2**80 possible codes a table of digests is out of reach.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

#: Crockford's base-32 alphabet: no I, L, O or U, so codes read aloud or copied by hand survive.
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
CODE_CHARS = 16
GROUP = 4
#: How many codes a user gets at a time.
CODES_PER_USER = 10
# Letters people type for the digits they resemble (Crockford's decoding rules).
_LOOKALIKES = str.maketrans({"o": "0", "i": "1", "l": "1"})


def new_codes(count: int = CODES_PER_USER) -> list[str]:
    """``count`` fresh codes, each shown as ``xxxx-xxxx-xxxx-xxxx``."""
    return [_grouped("".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))) for _ in range(count)]


def _grouped(code: str) -> str:
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise(typed: str) -> str | None:
    """The code as stored before hashing (lower case, no spaces or dashes), or ``None`` if it cannot be one."""
    code = "".join(typed.split()).replace("-", "").lower().translate(_LOOKALIKES)
    if len(code) != CODE_CHARS or any(c not in ALPHABET for c in code):
        return None
    return code


def digest(code: str) -> str:
    """What is stored for a normalised ``code``: its SHA-256, base-32, first 16 characters."""
    raw = hashlib.sha256(code.encode("ascii")).digest()
    return base64.b32encode(raw).decode("ascii")[:CODE_CHARS].lower()
