"""ISBT 128 identifiers of a product unit: donation identification number
(DIN) with its ISO 7064 Mod 37-2 check character, and the product code.

Sources:
- ICCBBA, ISBT 128 Standard Technical Specification (ST-001): the DIN is 13
  characters — facility identification number (FIN, 5: one letter or digit
  and four digits), year (2 digits) and sequence number (6 digits). The
  eye-readable check character is the ISO 7064 Mod 37-2 check over those 13
  characters, excluding the leading ``=`` and the flag characters. In the
  bar code, flag characters 60–96 carry that checksum + 60.
- JPAC, Guidelines for the Blood Transfusion Services in the UK (Red Book),
  Annex 2 "ISBT 128 check character calculation": worked example
  G123 498 654 321 → checksum 17 → check character "H".

The arithmetic itself is ``python-stdnum``'s maintained ISO 7064 Mod 37-2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum.exceptions import ValidationError
from stdnum.iso7064 import mod_37_2

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"
_DIN_RE = re.compile(r"^[A-Z0-9][0-9]{4}[0-9]{2}[0-9]{6}$")
# Product description code (5: letter + 4 digits), optionally followed by the
# type of donation (1) and divisions (2) of the full 8-character product code.
_PRODUCT_CODE_RE = re.compile(r"^[A-Z][0-9]{4}([A-Z0-9][A-Z0-9]{2})?$")


class IdentifierError(ValueError):
    """An identifier breaks a rule; names the field, the value and the rule."""

    def __init__(self, field: str, value: str, rule: str) -> None:
        self.field = field
        self.value = value
        self.rule = rule
        super().__init__(f"{field}={value!r}: {rule}")


@dataclass(frozen=True)
class Din:
    """A validated donation identification number and its check character."""

    number: str  # the 13 characters
    check: str  # eye-readable ISO 7064 Mod 37-2 check character

    @property
    def display(self) -> str:
        """Eye-readable form: FIN, year, sequence, boxed check character."""
        n = self.number
        return f"{n[:5]} {n[5:7]} {n[7:]} {self.check}"


def din_check_character(number: str) -> str:
    """The ISO 7064 Mod 37-2 check character of a 13-character DIN."""
    clean = _normalise(number)
    if not _DIN_RE.match(clean):
        raise IdentifierError("din", number, "must be 13 characters: facility (5), year (2), sequence (6)")
    result: str = mod_37_2.calc_check_digit(clean)
    return result


def parse_din(text: str) -> Din:
    """Read a DIN as typed (13 characters and the check character, spaces
    allowed) or as scanned (``=`` + 13 characters + 2 flag digits).

    A scanned code whose flags are 60–96 carries the checksum, which is
    verified; other flag values carry no check and the number is accepted as
    read. A typed number must end with its check character.
    """
    raw = _normalise(text)
    if raw.startswith("="):
        body, flags = raw[1:14], raw[14:]
        if len(raw) != 16 or not flags.isdigit():
            raise IdentifierError("din", text, "a scanned DIN is '=' + 13 characters + 2 flag digits")
        check = din_check_character(body)
        flag_value = int(flags)
        if 60 <= flag_value <= 96 and _ALPHABET[flag_value - 60] != check:
            raise IdentifierError("din", text, "the check flags do not match the number (misread)")
        return Din(body, check)
    if len(raw) != 14:
        raise IdentifierError(
            "din", text, "type the 13-character number followed by its check character (14 characters)"
        )
    body, given = raw[:13], raw[13]
    expected = din_check_character(body)
    try:
        mod_37_2.validate(body + given)
    except ValidationError:
        raise IdentifierError(
            "din", text, f"check character {given!r} is wrong for this number (ISO 7064 Mod 37-2)"
        ) from None
    return Din(body, expected)


def validate_product_code(text: str) -> str:
    """An ISBT 128 product code: 5 characters (e.g. S1234) or the full 8."""
    clean = _normalise(text)
    if not _PRODUCT_CODE_RE.match(clean):
        raise IdentifierError(
            "product_code",
            text,
            "must be a letter and 4 digits, optionally + type of donation and 2 divisions",
        )
    return clean


def _normalise(text: str) -> str:
    return "".join(str(text).split()).upper()
