"""The registry: every shipped instrument is complete, cited, licensed and uniquely named."""

from __future__ import annotations

import re

import pytest

from stromal.clinical.instruments import INSTRUMENTS, Instrument

ALL = list(INSTRUMENTS.values())


def test_it_ships_the_instruments_issue_9_asks_for() -> None:
    assert set(INSTRUMENTS) == {
        "vital_status",
        "six_minute_walk",
        "spirometry",
        "dlco",
        "mmrc",
        "moca",
        "phq9",
        "gad7",
        "rand36",
        "chest_ct",
        "return_to_work",
        "readmissions",
    }


def test_no_licensed_instrument_is_shipped() -> None:
    text = " ".join(f"{i.code} {i.title}" for i in ALL).lower()
    assert "eq-5d" not in text and "eq5d" not in text
    assert "sf-36 v2" not in text and "sf36v2" not in text


def test_item_names_are_unique_across_all_instruments() -> None:
    names = [item.name for i in ALL for item in i.items]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("instrument", ALL, ids=lambda i: i.code)
def test_every_instrument_is_versioned_cited_and_licensed(instrument: Instrument) -> None:
    assert instrument.version and instrument.title and instrument.licence
    # A DOI, an address, or at least a journal citation (year;volume).
    assert re.search(r"doi:10\.\d{4,}/\S+|https://|\b(19|20)\d\d;\d+", instrument.source), instrument.source


@pytest.mark.parametrize("instrument", ALL, ids=lambda i: i.code)
def test_every_item_name_is_lower_snake_case_and_every_numeric_item_has_a_unit(
    instrument: Instrument,
) -> None:
    for item in instrument.items:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", item.name), item.name
        if item.minimum is not None:
            assert item.unit, item.name


def test_the_assess_keys_of_issue_9_are_item_names() -> None:
    names = {item.name for i in ALL for item in i.items}
    keys = {"fev1_l", "fvc_l", "dlco_ml_min_mmhg", "dlco_mmol_min_kpa", "spirometry_equation"}
    keys |= {"ethnicity", "moca_score", "education_years", "mmrc_grade"}
    assert keys <= names
