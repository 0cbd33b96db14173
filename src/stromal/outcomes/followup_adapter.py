"""THE SEAM to the follow-up instruments (issue #9): the only place the analytics and the
exports read outcome-instrument data and deaths.

Three functions:

* ``instrument_values(patient_ids=...)``: every outcome value (FVC, DLCO and
  six-minute walk as % predicted, questionnaire scores, ...), one
  ``InstrumentValue`` each, named by instrument code and result name as
  ``stromal.clinical.instruments`` scores them (``spirometry`` /
  ``fvc_percent_predicted``, ``dlco`` / ``percent_predicted``, ``mmrc`` /
  ``grade``, ``phq9`` / ``total``...).
* ``numeric_values(site_ids=..., only=...)``: the same values where they are numbers, as plain
  tuples, each placed at its visit by the database (the trajectories page: 150,000 values at
  10,000 patients, read in a fraction of the time ``instrument_values`` takes).
* ``deaths(site_ids=...)``: the date each patient who died is known to have died.

They read the follow-up instrument responses (every entered answer and derived score,
with the scoring's name and version; deaths from the vital-status instrument), and also
what examinations recorded before the instruments existed: the lung-function, walk and dyspnoea observations of examination
encounters (``fvc_l``, ``fvc_pct_predicted``, ``dlco_pct_predicted``,
``six_minute_walk_m`` with its % predicted from the stored assessment, ``mmrc_grade``),
each placed at the follow-up visit whose window holds its date; and deaths from fatal
adverse events (outcome fatal or CTCAE grade 5).

The analytics and exports read only these functions: the trajectories page,
``observations_long.csv`` and the survival analysis.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.fields.json import KT, KeyTransform
from django.db.models.functions import Coalesce, TruncDate

from stromal.accounts.models import Site
from stromal.administrations.models import AdverseEvent, Outcome
from stromal.clinical.instruments import INSTRUMENTS
from stromal.examinations.models import Assessment, Encounter, EncounterKind, EncounterStatus, Observation
from stromal.followup.models import FollowUpVisit, InstrumentResponse

#: Examination observation keys that are follow-up outcomes today: key -> (instrument, item).
OBSERVATION_OUTCOMES: dict[str, tuple[str, str]] = {
    "fvc_l": ("spirometry", "fvc_measured"),
    "fvc_pct_predicted": ("spirometry", "fvc_percent_predicted"),
    "dlco_pct_predicted": ("dlco", "percent_predicted"),
    "six_minute_walk_m": ("six_minute_walk", "distance_m"),
    "mmrc_grade": ("mmrc", "grade"),
}
#: The walk distance, whose % predicted lives in the examination's assessment.
WALK_KEY = "six_minute_walk_m"
#: Event names of values recorded outside a follow-up visit.
BASELINE_EVENT = "day1"
DISCHARGE_EVENT = "discharge"
UNSCHEDULED_EVENT = "unscheduled"
#: The event of a value recorded at an examination or a discharge (else: the visit whose window holds it).
EVENT_OF_KIND: dict[str, str] = {
    EncounterKind.EXAMINATION.value: BASELINE_EVENT,
    EncounterKind.DISCHARGE.value: DISCHARGE_EVENT,
}
#: How many patients one query reads.
CHUNK = 1000


class InstrumentValue(NamedTuple):
    """One outcome value of one patient: what, when (local date), at which visit, by which rule.

    (A named tuple: an export builds hundreds of thousands, and a tuple is cheaper to build than a
    frozen dataclass.)
    """

    patient_id: int
    on: dt.date
    event: str
    instrument: str
    item: str
    value: float | None
    value_text: str
    unit: str
    version: str


@dataclass(frozen=True)
class Death:
    """The date a patient died, and where the registry knows it from."""

    on: dt.date
    source: str


def chunked(ids: Sequence[int], size: int = CHUNK) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def visit_at(visits: Iterable[tuple[str, dt.date, dt.date]], day: dt.date) -> str:
    """The code of the follow-up visit whose window holds ``day`` (the nearest target on overlap)."""
    inside = [(code, start, end) for code, start, end in visits if start <= day <= end]
    if not inside:
        return UNSCHEDULED_EVENT
    return min(inside, key=lambda v: abs((v[1] + (v[2] - v[1]) / 2 - day).days))[0]


def instrument_values(
    *, patient_ids: Sequence[int], only: Collection[tuple[str, str]] | None = None
) -> Iterator[InstrumentValue]:
    """Every outcome value of ``patient_ids``, patient by patient (ordered by patient id, then date).

    ``only``: the (instrument, item) pairs wanted (None: all). A page that charts a few measures
    says which: the responses of other instruments are then not read, nor their values built
    (a tenth of the work at 10,000 patients).
    """
    wanted = None if only is None else frozenset(only)
    for ids in chunked(sorted(patient_ids)):
        yield from _chunk_values(ids, wanted)


def _chunk_values(ids: Sequence[int], wanted: frozenset[tuple[str, str]] | None) -> Iterator[InstrumentValue]:
    visits: dict[int, list[tuple[str, dt.date, dt.date]]] = defaultdict(list)
    for pid, code, start, end in FollowUpVisit.objects.filter(patient_id__in=ids).values_list(
        "patient_id", "code", "window_start", "window_end"
    ):
        visits[pid].append((code, start, end))
    walk_pct: dict[int, tuple[float, str]] = {}
    for enc_id, pct, version in (
        Assessment.objects.filter(encounter__patient_id__in=ids, inputs__has_key="six_minute_walk_m")
        .order_by("encounter_id", "sequence")
        .values_list("encounter_id", KT("results__six_minute_walk__percent_predicted"), "rules_version")
    ):
        if pct not in (None, ""):
            walk_pct[enc_id] = (float(pct), version)
    rows: list[InstrumentValue] = []
    zones: dict[str, ZoneInfo] = {}
    keys = [
        k for k, pair in OBSERVATION_OUTCOMES.items() if wanted is None or pair in wanted or k == WALK_KEY
    ]
    observations = list(
        Observation.objects.filter(encounter__patient_id__in=ids, current=True, key__in=keys)
        .exclude(encounter__status="scheduled")
        .values_list("encounter_id", "encounter__patient_id", "key", "value_number", "value_text", "unit")
    )
    # An encounter's values share its day and visit: each encounter is dated and placed once.
    placed: dict[int, tuple[dt.date, str]] = {}
    for enc_id, pid, kind, when, zone_name in (
        Encounter.objects.filter(pk__in={row[0] for row in observations})
        .order_by()
        .values_list(
            "id", "patient_id", "kind", Coalesce("opened_at", "scheduled_for"), "patient__site__time_zone"
        )
    ):
        zone = zones.setdefault(zone_name, ZoneInfo(zone_name))
        day = when.astimezone(zone).date()
        placed[enc_id] = (day, EVENT_OF_KIND.get(kind) or visit_at(visits[pid], day))
    for enc_id, pid, key, number, text, unit in observations:
        day, event = placed[enc_id]
        instrument, item = OBSERVATION_OUTCOMES[key]
        if wanted is None or (instrument, item) in wanted:
            rows.append(InstrumentValue(pid, day, event, instrument, item, number, text, unit, ""))
        if (
            key == WALK_KEY
            and enc_id in walk_pct
            and (wanted is None or (instrument, "percent_predicted") in wanted)
        ):
            pct, version = walk_pct[enc_id]
            rows.append(
                InstrumentValue(
                    pid, day, event, instrument, "percent_predicted", pct, "", "% predicted", version
                )
            )
    rows.extend(_response_values(ids, wanted))
    rows.sort(key=lambda r: (r.patient_id, r.on, r.instrument, r.item))
    yield from rows


#: One numeric outcome value: (patient id, instrument, item, event, value).
NumericValue = tuple[int, str, str, str, float]


def _zones(site_ids: frozenset[int] | None) -> dict[str, list[int]]:
    """Time zone -> the ids of its sites among ``site_ids`` (None: every site)."""
    sites = Site.objects.all() if site_ids is None else Site.objects.filter(pk__in=site_ids)
    by_zone: dict[str, list[int]] = defaultdict(list)
    for pk, zone in sites.order_by("pk").values_list("pk", "time_zone"):
        by_zone[zone].append(pk)
    return by_zone


@contextmanager
def _hash_joins() -> Iterator[None]:
    """PostgreSQL without its memoised nested loops for the next query: it estimates a memoised index
    probe per visit as cheaper than hashing the encounters, and at 80,000 visits the probes take four
    times as long (560 ms against 140 ms). Other databases: nothing changes."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_memoize = off")  # undone by the end of the transaction
        yield
        cursor.execute("RESET enable_memoize")  # and at once, in case a request's transaction goes on


def encounter_events(*, site_ids: frozenset[int] | None) -> dict[int, str]:
    """Encounter id -> the code of the follow-up visit whose window holds its date, for the encounters of the sites
    ``site_ids`` (None: every site) that is neither scheduled nor a Day 1 examination or a discharge.

    The database takes each encounter's date at its site (``TruncDate`` in the site's zone, one query
    per time zone) and joins it to the patient's visits whose window holds it; of those rows (one per
    encounter unless windows overlap) the rule of ``visit_at`` keeps the nearest window centre, then
    the earlier target date, then the lower id. An encounter outside every window is absent
    (``unscheduled``).
    """
    events: dict[int, str] = {}
    for zone_name, sites in _zones(site_ids).items():
        encounters = (
            Encounter.objects.filter(patient__site_id__in=sites)
            .exclude(status=EncounterStatus.SCHEDULED)
            .exclude(kind__in=tuple(EVENT_OF_KIND))
            .annotate(day=TruncDate(Coalesce("opened_at", "scheduled_for"), tzinfo=ZoneInfo(zone_name)))
            .order_by()
        )
        best: dict[int, tuple[int, dt.date, int]] = {}
        candidates = encounters.filter(
            patient__followup_visits__window_start__lte=F("day"),
            patient__followup_visits__window_end__gte=F("day"),
        ).values_list(
            "id",
            "day",
            "patient__followup_visits__code",
            "patient__followup_visits__window_start",
            "patient__followup_visits__window_end",
            "patient__followup_visits__target_date",
            "patient__followup_visits__id",
        )
        with _hash_joins():
            rows = list(candidates)
        for enc_id, day, code, start, end, target, visit_id in rows:
            rank = (abs((start + (end - start) / 2 - day).days), target, visit_id)
            if enc_id not in best or rank < best[enc_id]:
                best[enc_id] = rank
                events[enc_id] = code
    return events


def numeric_values(
    *, site_ids: frozenset[int] | None, only: Collection[tuple[str, str]]
) -> list[NumericValue]:
    """Every numeric outcome value among the (instrument, item) pairs ``only`` of the patients of the sites
    ``site_ids`` (None: every site), as (patient id, instrument, item, event, value), in no order.

    The values of ``instrument_values`` whose ``value`` is a number, with the same events
    (``encounter_events`` places the examinations' values at their visits), read with a few lean
    queries: no dates, no whole answer sets. ``tests/outcomes/test_followup_adapter.py`` checks the two
    agree, values on window edges included.
    """
    wanted = frozenset(only)
    on_site: dict[str, Any] = {} if site_ids is None else {"encounter__patient__site_id__in": site_ids}
    out: list[NumericValue] = []
    numbers_of = {k: pair for k, pair in OBSERVATION_OUTCOMES.items() if pair in wanted}
    keys = list(numbers_of)
    walk_pair = (OBSERVATION_OUTCOMES[WALK_KEY][0], "percent_predicted")
    walk_pct: dict[int, float] = {}
    if walk_pair in wanted:
        keys.append(WALK_KEY)
        for enc_id, pct in (
            Assessment.objects.filter(inputs__has_key=WALK_KEY, **on_site)
            .order_by("encounter_id", "sequence")
            .values_list("encounter_id", KT("results__six_minute_walk__percent_predicted"))
        ):
            if pct not in (None, ""):
                walk_pct[enc_id] = float(pct)
    if keys:
        events = encounter_events(site_ids=site_ids)
        for enc_id, pid, kind, key, number in (
            Observation.objects.filter(current=True, key__in=keys, **on_site)
            .exclude(encounter__status=EncounterStatus.SCHEDULED)
            .order_by()
            .values_list("encounter_id", "encounter__patient_id", "encounter__kind", "key", "value_number")
        ):
            event = EVENT_OF_KIND.get(kind) or events.get(enc_id, UNSCHEDULED_EVENT)
            pair = numbers_of.get(key)
            if pair is not None and number is not None:
                out.append((pid, pair[0], pair[1], event, number))
            if key == WALK_KEY and enc_id in walk_pct:
                out.append((pid, walk_pair[0], walk_pair[1], event, walk_pct[enc_id]))
    visit_site: dict[str, Any] = {} if site_ids is None else {"visit__patient__site_id__in": site_ids}
    responses = InstrumentResponse.objects.filter(**visit_site).order_by()
    for instrument, item in sorted(wanted):
        # As _response_values: the entered answer when the item is one, else the derived score.
        # (SQLite hands a JSON string that reads as a number over as that number; PostgreSQL does not.)
        of_instrument = responses.filter(instrument_code=instrument)
        for field, rows in (
            ("answers", of_instrument.filter(answers__has_key=item)),
            ("scores", of_instrument.exclude(answers__has_key=item).filter(scores__has_key=item)),
        ):
            for pid, code, value in rows.values_list(
                "visit__patient_id", "visit__code", KeyTransform(item, field)
            ):
                number = _number_of(value)
                if number is not None:
                    out.append((pid, instrument, item, code, number))
    return out


def _number_of(value: object) -> float | None:
    """A JSON answer or score as a number (booleans and text are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _response_values(
    ids: Sequence[int], wanted: frozenset[tuple[str, str]] | None
) -> Iterator[InstrumentValue]:
    """The follow-up instrument responses of ``ids``: every entered answer (with its item's unit) and
    every derived score (named as the scoring function names it, with the scoring's name and version),
    dated at the visit's completion date (its target date when none)."""
    units = {code: {item.name: item.unit for item in inst.items} for code, inst in INSTRUMENTS.items()}
    responses = InstrumentResponse.objects.filter(visit__patient_id__in=ids)
    if wanted is not None:
        responses = responses.filter(instrument_code__in={instrument for instrument, _ in wanted})
    for (
        pid,
        code,
        completed_on,
        target,
        instrument,
        answers,
        scores,
        scoring,
        scoring_version,
    ) in responses.order_by("visit__patient_id", "visit__target_date", "id").values_list(
        "visit__patient_id",
        "visit__code",
        "visit__completed_on",
        "visit__target_date",
        "instrument_code",
        "answers",
        "scores",
        "scoring_name",
        "scoring_version",
    ):
        on = completed_on or target
        version = f"{scoring} {scoring_version}".strip()
        item_units = units.get(instrument, {})
        for item, value in sorted((answers or {}).items()):
            if wanted is not None and (instrument, item) not in wanted:
                continue
            number = _number_of(value)
            text = "" if number is not None or value is None else str(value)
            yield InstrumentValue(pid, on, code, instrument, item, number, text, item_units.get(item, ""), "")
        for item, value in sorted((scores or {}).items()):
            if item in (answers or {}) or (wanted is not None and (instrument, item) not in wanted):
                continue  # an entered value repeated by the scoring: exported once, as entered
            number = _number_of(value)
            text = "" if number is not None or value is None else str(value)
            unit = "% predicted" if item.endswith("percent_predicted") else ""
            yield InstrumentValue(pid, on, code, instrument, item, number, text, unit, version)


def deaths(*, site_ids: frozenset[int] | None) -> dict[int, Death]:
    """The earliest known date of death of each patient of the sites ``site_ids`` (None: every site).

    A date of death recorded with the vital-status instrument at a follow-up visit; else a
    fatal adverse event (outcome fatal, or CTCAE grade 5) gives its onset date, the last day
    the patient is known to have been alive with the event that killed them.
    """
    found: dict[int, Death] = {}
    recorded = InstrumentResponse.objects.filter(instrument_code="vital_status", answers__vital_status="dead")
    if site_ids is not None:
        recorded = recorded.filter(visit__patient__site_id__in=site_ids)
    for pid, answers in recorded.values_list("visit__patient_id", "answers"):
        try:
            day = dt.date.fromisoformat(str(answers.get("date_of_death", "")))
        except ValueError:
            continue  # the vital-status instrument requires the date; an old row without one is skipped
        if pid not in found or day < found[pid].on:
            found[pid] = Death(day, "vital status at follow-up")
    zones: dict[str, ZoneInfo] = {}
    fatal = AdverseEvent.objects.filter(Q(outcome=Outcome.FATAL) | Q(ctcae_grade=5))
    if site_ids is not None:
        fatal = fatal.filter(patient__site_id__in=site_ids)
    for pid, onset, zone_name in fatal.values_list("patient_id", "onset_at", "patient__site__time_zone"):
        zone = zones.setdefault(zone_name, ZoneInfo(zone_name))
        day = onset.astimezone(zone).date()
        if pid not in found or day < found[pid].on:
            found[pid] = Death(day, "fatal adverse event")
    return found
