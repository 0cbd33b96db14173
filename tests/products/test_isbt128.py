"""ISBT 128 identifiers, checked against published worked examples.

- JPAC Red Book, Annex 2 "ISBT 128 check character calculation"
  (https://www.transfusionguidelines.org/red-book/annex-2-isbt-128-check-character-calculation):
  donation number G123 498 654 321 → ISO 7064 Mod 37-2 checksum 17 →
  eye-readable check character "H", bar-code check flags "77".
- python-stdnum's ISO 7064 Mod 37-2 documentation: G123489654321 → "Y"
  (the same facility with two digits transposed: a different check).
"""

from __future__ import annotations

import pytest

from stromal.products.isbt128 import (
    IdentifierError,
    din_check_character,
    parse_din,
    validate_product_code,
)


def test_the_jpac_worked_example_has_check_character_h() -> None:
    assert din_check_character("G123498654321") == "H"


def test_the_stdnum_example_has_check_character_y() -> None:
    assert din_check_character("G123489654321") == "Y"


def test_a_typed_din_with_spaces_and_its_check_character_is_accepted() -> None:
    din = parse_din("g1234 98 654321 h")
    assert (din.number, din.check) == ("G123498654321", "H")
    assert din.display == "G1234 98 654321 H"


def test_it_refuses_a_wrong_check_character() -> None:
    with pytest.raises(IdentifierError) as exc:
        parse_din("G123498654321Y")
    assert exc.value.field == "din"
    assert "check character 'Y' is wrong" in str(exc.value)


def test_it_catches_a_transposition_of_two_digits() -> None:
    with pytest.raises(IdentifierError):
        parse_din("G123489654321H")


def test_a_scanned_din_with_check_flags_77_is_verified() -> None:
    assert parse_din("=G12349865432177").check == "H"


def test_a_scanned_din_with_wrong_check_flags_is_refused_as_misread() -> None:
    with pytest.raises(IdentifierError, match="misread"):
        parse_din("=G12349865432178")


def test_a_scanned_din_with_plain_flags_00_is_read_without_check() -> None:
    assert parse_din("=G12349865432100").number == "G123498654321"


@pytest.mark.parametrize("text", ["", "G1234", "G12349865432", "G1234A8654321H", "123"])
def test_it_refuses_malformed_numbers_naming_the_field(text: str) -> None:
    with pytest.raises(IdentifierError) as exc:
        parse_din(text)
    assert exc.value.field == "din"


def test_product_codes_take_5_or_8_characters() -> None:
    assert validate_product_code("s1234") == "S1234"
    assert validate_product_code("S1234V00") == "S1234V00"
    with pytest.raises(IdentifierError) as exc:
        validate_product_code("1234")
    assert exc.value.field == "product_code"
