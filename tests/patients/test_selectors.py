"""Patient search: every word of the search, in any order, ignoring case and accents."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stromal.patients.names import fold, same_name, search_text
from stromal.patients.selectors import patient_list
from tests.pathway.factories import make_patient

pytestmark = pytest.mark.django_db


def _found(cast: Any, query: str) -> list[str]:
    return sorted(p.mrn for p in patient_list(user=cast.mona, search=query))


@pytest.fixture
def people(cast: Any) -> None:
    make_patient(cast.cora, "MRN-0815", given_name="Ada", family_name="Lovelace")
    make_patient(cast.cora, "MRN-0816", given_name="Zoë", family_name="O'Brien-Núñez")
    make_patient(cast.cora, "MRN-0900", given_name="Alan", family_name="Turing")
    make_patient(cast.oscar, "MRN-0817", given_name="Ada", family_name="Lovelace")  # another site


@pytest.mark.parametrize(
    "query",
    ["Ada Lovelace", "Lovelace Ada", "lovelace, ada", "  ADA   LOVELACE ", "Lovelace", "MRN-0815", "0815"],
)
def test_a_search_of_several_words_finds_the_patient_in_any_order_and_case(
    cast: Any, people: None, query: str
) -> None:
    assert _found(cast, query) == ["MRN-0815"]


@pytest.mark.parametrize("query", ["Zoe", "zoë obrien", "ZOE NUNEZ", "O'Brien Zoë", "obrien-nunez"])
def test_a_search_ignores_accents_and_apostrophes(cast: Any, people: None, query: str) -> None:
    assert _found(cast, query) == ["MRN-0816"]


def test_every_word_must_match(cast: Any, people: None) -> None:
    assert _found(cast, "Ada Turing") == []
    assert _found(cast, "MRN") == ["MRN-0815", "MRN-0816", "MRN-0900"]


def test_a_search_of_only_punctuation_or_a_null_character_finds_nothing_without_error(
    cast: Any, people: None
) -> None:
    assert _found(cast, "\x00") == [] and _found(cast, "--,") == []
    assert _found(cast, "") == ["MRN-0815", "MRN-0816", "MRN-0900"]


def test_a_renamed_patient_is_found_by_the_new_name(cast: Any) -> None:
    from stromal.patients.services import patient_update

    patient = make_patient(cast.cora, "MRN-1", given_name="Mary", family_name="Shelley")
    patient_update(
        patient=patient, user=cast.cora, version=patient.version, reason="married name", family_name="Godwin"
    )
    assert _found(cast, "mary godwin") == ["MRN-1"] and _found(cast, "shelley") == []


def test_fold_removes_case_accents_and_punctuation() -> None:
    assert fold("  Zoë  O'Brien-Núñez ") == "zoe obrien nunez"
    assert fold("Straße") == "strasse"
    assert search_text(given_name="Ada", family_name="Lovelace", mrn="MRN-0815") == "ada lovelace mrn 0815"


def test_the_same_name_in_another_order_or_case_is_the_same_name() -> None:
    assert same_name("Ada", "Lovelace", "LOVELACE", "ada")
    assert same_name("Zoë", "Núñez", "Zoe", "Nunez")
    assert not same_name("Ada", "Lovelace", "Ada", "Byron")


@given(st.text(max_size=40))
def test_fold_is_idempotent_and_keeps_only_lowercase_words(text: str) -> None:
    folded = fold(text)
    assert fold(folded) == folded
    assert folded == folded.strip() and "  " not in folded and "\x00" not in folded
