"""Names and record numbers folded for search and duplicate detection (pure functions).

Folding: Unicode compatibility decomposition (NFKD) with the combining marks
dropped (``Zoë`` -> ``zoe``, ``Ångström`` -> ``angstrom``), case folded
(``ß`` -> ``ss``), apostrophes removed (``O'Brien`` -> ``obrien``), every other
character that is not a letter or digit read as a space, runs of spaces collapsed.
"""

from __future__ import annotations

import unicodedata

_APOSTROPHES = str.maketrans("", "", "'’ʼ`")


def fold(text: str) -> str:
    """``"  Zoë  O'Brien-Smith "`` -> ``"zoe obrien smith"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    plain = plain.translate(_APOSTROPHES)
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())


def search_text(*, given_name: str, family_name: str, mrn: str) -> str:
    """What a patient search matches against: folded given name, family name and record number."""
    return fold(f"{given_name} {family_name} {mrn}")


def search_terms(query: str) -> list[str]:
    """The words of a search, folded; each must occur in the patient's ``search_text``."""
    return fold(query).split()


def same_name(given_a: str, family_a: str, given_b: str, family_b: str) -> bool:
    """Two names are the same person's when their folded words are the same, in any order
    (``Ada Lovelace`` = ``LOVELACE, Ada`` = ``Lovelace Ada``: given and family names are often swapped)."""
    return sorted(fold(f"{given_a} {family_a}").split()) == sorted(fold(f"{given_b} {family_b}").split())
