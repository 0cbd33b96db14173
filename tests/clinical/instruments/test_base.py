"""The instrument base: definitions check themselves, items reuse the library's field rules."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from stromal.clinical.instruments.base import (
    UNKNOWN_ITEM,
    Condition,
    Instrument,
    Item,
    ItemKind,
    ScoreValue,
    Subject,
    Value,
    band,
    item_from_field,
)
from stromal.clinical.observations import FIELDS
from stromal.clinical.validation import ClinicalInputError, check_value


def _nothing(answers: Mapping[str, Value], subject: Subject | None) -> dict[str, ScoreValue]:
    return {}


def _instrument(*items: Item) -> Instrument:
    return Instrument("demo", "1", "Demo", "none", "none", items, _nothing)


def test_an_item_may_depend_only_on_an_earlier_item() -> None:
    later = Item("b", ItemKind.BOOLEAN, "b", shown_when=Condition("a", "==", True))
    with pytest.raises(ValueError, match="earlier item"):
        _instrument(later, Item("a", ItemKind.BOOLEAN, "a"))


def test_item_names_must_be_unique_within_an_instrument() -> None:
    with pytest.raises(ValueError, match="unique"):
        _instrument(Item("a", ItemKind.BOOLEAN, "a"), Item("a", ItemKind.BOOLEAN, "again"))


def test_a_numeric_item_needs_both_limits_and_a_choice_its_options() -> None:
    with pytest.raises(ValueError, match="minimum and a maximum"):
        Item("n", ItemKind.NUMBER, "n", "m", minimum=0)
    with pytest.raises(ValueError, match="needs options"):
        Item("c", ItemKind.CHOICE, "c")


def test_a_condition_refuses_an_unknown_operator() -> None:
    with pytest.raises(ValueError):
        Condition("a", "~", 1)


def test_an_unknown_item_is_refused_naming_the_instrument() -> None:
    demo = _instrument(Item("a", ItemKind.BOOLEAN, "a", required=False))
    with pytest.raises(ClinicalInputError) as err:
        demo.validate({"b": True})
    assert (err.value.field, err.value.rule) == ("b", UNKNOWN_ITEM.format(instrument="demo"))


def test_an_item_built_from_an_observation_refuses_what_the_observation_refuses() -> None:
    item = item_from_field(FIELDS["spo2_pct"], name="spo2_start_pct")
    for value in (49, 101, 0.95, "96", True):
        with pytest.raises(ClinicalInputError) as from_item:
            item.check(value)
        with pytest.raises(ClinicalInputError) as from_field:
            check_value(FIELDS["spo2_pct"], value)
        assert from_item.value.rule == from_field.value.rule
        assert from_item.value.field == "spo2_start_pct"


def test_shown_items_follow_the_answers() -> None:
    demo = _instrument(
        Item("a", ItemKind.BOOLEAN, "a"),
        Item("b", ItemKind.INTEGER, "b", "n", 0, 5, shown_when=Condition("a", "==", True)),
    )
    assert [i.name for i in demo.shown_items({"a": False})] == ["a"]
    assert [i.name for i in demo.shown_items({"a": True})] == ["a", "b"]


@pytest.mark.parametrize(
    ("total", "label"), [(0, "low"), (4.99, "low"), (5, "mid"), (9, "mid"), (10, "high")]
)
def test_a_total_at_a_cut_off_belongs_to_the_band_above(total: float, label: str) -> None:
    assert band(total, ((0, "low"), (5, "mid"), (10, "high"))) == label


def test_a_missing_subject_is_named_when_scoring_needs_one() -> None:
    demo = Instrument("demo", "1", "Demo", "none", "none", (), _nothing, needs_subject=("height_cm",))
    with pytest.raises(ClinicalInputError) as err:
        demo.score({}, None)
    assert err.value.field == "height_cm"
