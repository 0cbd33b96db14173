"""The shape every follow-up instrument shares: items, branching, validation, scoring.

An ``Instrument`` is a versioned, immutable definition (like ``Protocol``): its
items say what each answer accepts (kind, unit, range, required or optional,
shown only when a condition on an earlier item holds), and its scoring function
turns a validated response (item name -> value) into named results. Numbers,
whole numbers, booleans and choices are checked by the library-wide
``stromal.clinical.validation.check_value`` through a ``FieldSpec``, so a bad
answer is refused with the same kind of message as every other clinical field:
the item's name, the value and the rule. Dates and free text, which
``validation.Kind`` does not cover, are checked here.

No Django here: the registry's web forms and ``stromal assess`` call these.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from stromal.clinical.validation import ClinicalInputError, FieldSpec, Kind, check_value

#: A validated answer.
Value = float | int | bool | str | dt.date
#: One named result of a scoring function.
ScoreValue = float | int | bool | str | None

UNKNOWN_ITEM = "is not an item of {instrument}"
REQUIRED = "is required"
REQUIRED_WHEN = "is required {condition}"
NOT_APPLICABLE = "applies only {condition}; leave it empty"
NOT_A_DATE = "must be a date (YYYY-MM-DD)"
DATE_IN_FUTURE = "cannot be later than today ({today})"
DATE_TOO_EARLY = "cannot be before {earliest}"
NOT_TEXT = "must be text of 1 to {max_length} characters"
EXACTLY_ONE = "give exactly one of {names}"
SUBJECT_NEEDED = "is needed to score {instrument}"

#: Earliest date any follow-up answer may carry (catches two-digit-year slips).
EARLIEST_DATE = dt.date(1900, 1, 1)


class ItemKind(StrEnum):
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    DATE = "date"
    TEXT = "text"


_OPS: dict[str, Callable[[object, object], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">=": lambda a, b: isinstance(a, int | float) and isinstance(b, int | float) and a >= b,
    "in": lambda a, b: isinstance(b, tuple) and a in b,
}


@dataclass(frozen=True)
class Condition:
    """Branching: the item it guards is shown (and may be required) only when
    the earlier item ``item`` compares with ``value`` by ``op`` (``==``,
    ``!=``, ``>=`` or ``in``). An unanswered ``item`` never satisfies it."""

    item: str
    op: str
    value: bool | int | float | str | tuple[str, ...]

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ValueError(f"condition on {self.item}: op must be one of {', '.join(_OPS)}")

    def holds(self, answers: Mapping[str, Value]) -> bool:
        given = answers.get(self.item)
        return given is not None and _OPS[self.op](given, self.value)

    def text(self) -> str:
        """The condition in words, for messages: ``when vital_status is dead``."""
        if isinstance(self.value, bool):
            shown = "yes" if self.value else "no"
        elif isinstance(self.value, tuple):
            shown = ", ".join(self.value)
        else:
            shown = f"{self.value:g}" if isinstance(self.value, float) else str(self.value)
        words = {"==": "is", "!=": "is not", ">=": "is at least", "in": "is one of"}[self.op]
        return f"when {self.item} {words} {shown}"


@dataclass(frozen=True)
class Item:
    """One question or measurement of an instrument.

    ``name`` carries the unit (``fev1_l``, ``six_minute_walk_m``) and is unique
    across all instruments, so it can be an ``stromal assess`` key and a form
    field. ``options`` are (value, label) pairs: the allowed values of a
    CHOICE item, or the labelled points of an INTEGER scale (mMRC grades,
    questionnaire response categories). ``minimum``/``maximum`` are inclusive.
    """

    name: str
    kind: ItemKind
    label: str
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    options: tuple[tuple[int | str, str], ...] = ()
    required: bool = True
    shown_when: Condition | None = None
    max_length: int = 500

    def __post_init__(self) -> None:
        if self.kind is ItemKind.CHOICE and not self.options:
            raise ValueError(f"item {self.name}: a choice item needs options")
        if self.kind in (ItemKind.NUMBER, ItemKind.INTEGER) and (
            self.minimum is None or self.maximum is None
        ):
            raise ValueError(f"item {self.name}: a numeric item needs a minimum and a maximum")

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(str(value) for value, _ in self.options)

    def spec(self) -> FieldSpec:
        """The library-wide field description (kinds that ``check_value`` knows)."""
        return FieldSpec(
            self.name,
            Kind(self.kind.value),
            self.unit,
            self.label,
            self.minimum,
            self.maximum,
            self.choices if self.kind is ItemKind.CHOICE else (),
        )

    def check(self, value: object, *, today: dt.date | None = None) -> Value:
        """Return ``value`` converted to the item's type, or raise ``ClinicalInputError``."""
        if self.kind is ItemKind.DATE:
            return _check_date(self.name, value, today)
        if self.kind is ItemKind.TEXT:
            if not isinstance(value, str) or not 0 < len(value.strip()) <= self.max_length:
                raise ClinicalInputError(self.name, value, NOT_TEXT.format(max_length=self.max_length))
            return value.strip()
        return check_value(self.spec(), value)


def item_from_field(
    spec: FieldSpec,
    *,
    name: str | None = None,
    label: str | None = None,
    required: bool = True,
    shown_when: Condition | None = None,
) -> Item:
    """An item with the unit and range of an existing observation field
    (``stromal.clinical.observations.FIELDS``), so both refuse the same values."""
    return Item(
        name=name or spec.name,
        kind=ItemKind(spec.kind.value),
        label=label or spec.description,
        unit=spec.unit,
        minimum=spec.minimum,
        maximum=spec.maximum,
        options=tuple((c, c) for c in spec.choices),
        required=required,
        shown_when=shown_when,
    )


def _check_date(name: str, value: object, today: dt.date | None) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
        raise ClinicalInputError(name, value, NOT_A_DATE)
    if isinstance(value, str):
        try:
            parsed = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ClinicalInputError(name, value, NOT_A_DATE) from None
    else:
        parsed = value
    if parsed < EARLIEST_DATE:
        raise ClinicalInputError(name, value, DATE_TOO_EARLY.format(earliest=EARLIEST_DATE.isoformat()))
    if today is not None and parsed > today:
        raise ClinicalInputError(name, value, DATE_IN_FUTURE.format(today=today.isoformat()))
    return parsed


@dataclass(frozen=True)
class Subject:
    """Who was measured, for instruments scored against reference equations.

    Units: years, cm, kg (age at the visit, not at enrolment). The reference
    functions of ``stromal.clinical.reference_values`` validate each value when
    they use it.
    """

    sex: str
    age_years: float
    height_cm: float | None = None
    weight_kg: float | None = None


def subject_value(subject: Subject | None, name: str, instrument: str) -> float:
    """A numeric ``Subject`` field a scorer needs, or ``ClinicalInputError`` naming it."""
    value = getattr(subject, name, None)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ClinicalInputError(name, value, SUBJECT_NEEDED.format(instrument=instrument))
    return float(value)


def subject_sex(subject: Subject | None, instrument: str) -> str:
    """The subject's sex, or ``ClinicalInputError`` when there is no subject."""
    if subject is None:
        raise ClinicalInputError("sex", None, SUBJECT_NEEDED.format(instrument=instrument))
    return subject.sex


#: A cross-item rule: returns the error to report, or None when the answers agree.
CrossCheck = Callable[[Mapping[str, Value]], ClinicalInputError | None]
#: The scoring function of an instrument.
Scorer = Callable[[Mapping[str, Value], Subject | None], dict[str, ScoreValue]]


@dataclass(frozen=True)
class Instrument:
    """A versioned outcome instrument. Immutable: a change is a new version.

    ``source`` cites where the items and the scoring come from; ``licence``
    says on what terms the instrument may be used and what we ship of it.
    ``needs_subject`` names the ``Subject`` fields the scorer needs.
    """

    code: str
    version: str
    title: str
    source: str
    licence: str
    items: tuple[Item, ...]
    scorer: Scorer
    needs_subject: tuple[str, ...] = ()
    exactly_one_of: tuple[tuple[str, ...], ...] = ()
    cross_checks: tuple[CrossCheck, ...] = ()

    def __post_init__(self) -> None:
        names = [i.name for i in self.items]
        if len(names) != len(set(names)):
            raise ValueError(f"instrument {self.code}: item names must be unique")
        for position, item in enumerate(self.items):
            guard = item.shown_when
            if guard is not None and guard.item not in names[:position]:
                raise ValueError(f"instrument {self.code}: {item.name} may depend only on an earlier item")
        for group in self.exactly_one_of:
            if not set(group) <= set(names):
                raise ValueError(f"instrument {self.code}: exactly_one_of names an unknown item")

    def item(self, name: str) -> Item:
        for it in self.items:
            if it.name == name:
                return it
        raise KeyError(name)

    def shown_items(self, answers: Mapping[str, Value]) -> tuple[Item, ...]:
        """The items a form shows for these (validated) answers."""
        return tuple(i for i in self.items if i.shown_when is None or i.shown_when.holds(answers))

    def errors(self, raw: Mapping[str, object], *, today: dt.date | None = None) -> list[ClinicalInputError]:
        """Every problem with a response, one per item, in item order.

        ``None`` and empty text mean "not answered". An answer to an item whose
        condition does not hold is refused rather than dropped, so nothing is
        silently discarded. Dates after ``today`` are refused when it is given.
        """
        problems, _ = self._check(raw, today)
        return problems

    def validate(self, raw: Mapping[str, object], *, today: dt.date | None = None) -> dict[str, Value]:
        """The clean answers, or ``ClinicalInputError`` for the first problem."""
        problems, clean = self._check(raw, today)
        if problems:
            raise problems[0]
        return clean

    def score(
        self, raw: Mapping[str, object], subject: Subject | None = None, *, today: dt.date | None = None
    ) -> dict[str, ScoreValue]:
        """Validate ``raw`` and return the instrument's named results."""
        clean = self.validate(raw, today=today)
        for needed in self.needs_subject:
            if getattr(subject, needed, None) is None:
                raise ClinicalInputError(needed, None, SUBJECT_NEEDED.format(instrument=self.code))
        return self.scorer(clean, subject)

    def _check(
        self, raw: Mapping[str, object], today: dt.date | None
    ) -> tuple[list[ClinicalInputError], dict[str, Value]]:
        known = {i.name for i in self.items}
        problems = [
            ClinicalInputError(key, value, UNKNOWN_ITEM.format(instrument=self.code))
            for key, value in raw.items()
            if key not in known
        ]
        clean: dict[str, Value] = {}
        failed: set[str] = set()
        for item in self.items:
            value = raw.get(item.name)
            given = value is not None and not (isinstance(value, str) and not value.strip())
            guard = item.shown_when
            if guard is not None and guard.item in failed:
                failed.add(item.name)  # undecidable until the item it depends on is fixed
                continue
            if guard is not None and not guard.holds(clean):
                if given:
                    problems.append(
                        ClinicalInputError(item.name, value, NOT_APPLICABLE.format(condition=guard.text()))
                    )
                continue
            if not given:
                if item.required:
                    rule = REQUIRED_WHEN.format(condition=guard.text()) if guard else REQUIRED
                    problems.append(ClinicalInputError(item.name, None, rule))
                continue
            try:
                clean[item.name] = item.check(value, today=today)
            except ClinicalInputError as exc:
                failed.add(item.name)
                problems.append(exc)
        if not problems:
            problems.extend(_group_problems(self.exactly_one_of, clean))
            problems.extend(p for check in self.cross_checks if (p := check(clean)) is not None)
        return problems, clean


def _group_problems(
    groups: Sequence[tuple[str, ...]], clean: Mapping[str, Value]
) -> list[ClinicalInputError]:
    out = []
    for group in groups:
        given = [name for name in group if name in clean]
        if len(given) != 1:
            first = given[1] if len(given) > 1 else group[0]
            out.append(
                ClinicalInputError(first, clean.get(first), EXACTLY_ONE.format(names=" or ".join(group)))
            )
    return out


def number(answers: Mapping[str, Value], name: str) -> float:
    """A validated numeric answer as ``float`` (for scorers)."""
    value = answers[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} is not numeric")
    return float(value)


def whole(answers: Mapping[str, Value], name: str) -> int:
    """A validated whole-number answer (for scorers)."""
    value = answers[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} is not a whole number")
    return value


def scale_items(
    prefix: str, count: int, labels: Sequence[str], options: tuple[tuple[int | str, str], ...]
) -> tuple[Item, ...]:
    """``count`` required INTEGER items ``{prefix}_1`` ... scored on ``options``."""
    values = [int(v) for v, _ in options]
    return tuple(
        Item(
            name=f"{prefix}_{n}",
            kind=ItemKind.INTEGER,
            label=labels[n - 1],
            unit="points",
            minimum=min(values),
            maximum=max(values),
            options=options,
        )
        for n in range(1, count + 1)
    )


def band(total: float, lower_bounds: Sequence[tuple[float, str]]) -> str:
    """The label of the highest band whose lower bound ``total`` reaches.

    ``lower_bounds`` is ascending, starting at the scale minimum: a total
    exactly at a cut-off belongs to the band that starts there.
    """
    label = lower_bounds[0][1]
    for bound, name in lower_bounds:
        if total >= bound:
            label = name
    return label


def iso_date(value: Value | None) -> str | None:
    """A validated date answer as ``YYYY-MM-DD`` (None when not answered)."""
    return value.isoformat() if isinstance(value, dt.date) else None
