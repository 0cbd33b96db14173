"""Safety: adverse events by grade, seriousness and relatedness per protocol, per product lot and
per administration, with exact 95 % CIs; stopping-rule hits; product release failures.

Denominators: patients exposed (at least one administration started) for the per-protocol
rates; administrations started for the per-administration and per-lot rates. A related
event is one judged possibly, probably or definitely related (WHO-UMC causality terms).
Grades are CTCAE v5.0 (grade 5 = death). Proportions carry exact Clopper-Pearson intervals
(``outcomes.stats``). Release failures count the lots of the cohort's sites (before
allocation a lot belongs to no patient); everything else counts the cohort's patients.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from stromal.administrations.models import AdministrationSession, AdverseEvent, Relatedness
from stromal.outcomes.cohort import Cohort
from stromal.outcomes.figures import bar_figure
from stromal.outcomes.memo import remembered, rows_of
from stromal.outcomes.stats import clopper_pearson
from stromal.outcomes.tables import Cell, Figure, Report, Table, columns
from stromal.products.models import LotStatus, Mycoplasma, ProductLot, Sterility
from stromal.products.release import NEGATIVE_MARKERS, POSITIVE_MARKERS, release_findings

RELATED = frozenset({Relatedness.POSSIBLE, Relatedness.PROBABLE, Relatedness.DEFINITE})
SEVERE_GRADE = 3
GRADES = ("1", "2", "3", "4", "5", "ungraded")
NO_SESSION = "not linked to an administration"


@dataclass(frozen=True)
class Event:
    patient_id: int
    session_id: int | None
    grade: int | None
    serious: bool
    related: bool
    relatedness: str
    fatal: bool


@dataclass
class Tally:
    """Counts of units (patients or administrations) with at least one event of each kind."""

    exposed: set[Any] = field(default_factory=set)
    any_ae: set[Any] = field(default_factory=set)
    severe: set[Any] = field(default_factory=set)
    serious: set[Any] = field(default_factory=set)
    related: set[Any] = field(default_factory=set)
    fatal: set[Any] = field(default_factory=set)

    def see(self, unit: Any, event: Event) -> None:
        self.any_ae.add(unit)
        if event.grade is not None and event.grade >= SEVERE_GRADE:
            self.severe.add(unit)
        if event.serious:
            self.serious.add(unit)
        if event.related:
            self.related.add(unit)
        if event.fatal:
            self.fatal.add(unit)

    def cells(self) -> list[Any]:
        n = len(self.exposed)
        out: list[Any] = [n]
        for units in (self.any_ae, self.severe, self.serious, self.related, self.fatal):
            p = clopper_pearson(len(units & self.exposed), n)
            out.append(Cell(p.percent_text(), p.estimate))
        return out


RATE_COLUMNS = (
    ("any", "Any adverse event", True),
    ("severe", "Grade 3 or higher", True),
    ("serious", "Serious", True),
    ("related", "Related (possible or more)", True),
    ("fatal", "Fatal", True),
)


def _release_failures(lots: Iterable[dict[str, Any]]) -> tuple[Counter[str], int]:
    """Each definite release failure (a result present and failing; pending results are not failures),
    and the number of lots with at least one (or discarded)."""
    failures: Counter[str] = Counter()
    failed = 0
    # Lots with the same results fail the same rules: each distinct set of results is checked once.
    rules_of: dict[tuple[Any, ...], set[str]] = {}
    for lot in lots:
        results = tuple(lot.values())
        rules = rules_of.get(results)
        if rules is None:
            rules = rules_of[results] = _failed_rules(lot)
        failures.update(rules)
        if lot["status"] == LotStatus.DISCARDED:
            failures["discarded"] += 1
        failed += bool(rules) or lot["status"] == LotStatus.DISCARDED
    return failures, failed


def _failed_rules(lot: dict[str, Any]) -> set[str]:
    """The release rules ``lot`` definitely fails: a result present and out of specification."""
    present = {k for k, v in lot.items() if v not in (None, "", Sterility.PENDING, Mycoplasma.PENDING)}
    findings = release_findings(is_exosome=lot["product_type"] == "msc_exosome", results=lot)
    return {
        ("ISCT identity markers" if f.field in (*POSITIVE_MARKERS, *NEGATIVE_MARKERS) else f.field)
        + ": "
        + ("out of specification" if f.field in (*POSITIVE_MARKERS, *NEGATIVE_MARKERS) else f.rule)
        for f in findings
        if f.field in present
    }


def safety_report(cohort: Cohort) -> Report:
    """The safety page: rates per protocol, per administration and per lot; event counts; stops; releases."""
    ids = set(cohort.ids)
    scope: dict[str, Any] = (
        {} if cohort.scope.site_ids is None else {"patient__site_id__in": cohort.scope.site_ids}
    )
    sessions: dict[int, dict[str, Any]] = {}
    session_rows: Iterable[Any] = rows_of(
        "safety.sessions",
        cohort.scope,
        AdministrationSession.objects.filter(started_at__isnull=False, **scope).values(
            "id",
            "patient_id",
            "sequence",
            "route",
            "stopping_hits",
            "status",
            "plan__protocol_version__code",
            "plan__protocol_version__version",
            "product__din",
            "product__din_check",
            "product__product_type",
            "product__donor_code",
            "product__viability_pct",
        ),
    )
    for s in session_rows:
        if s["patient_id"] in ids:
            sessions[s["id"]] = s
    events: list[Event] = []
    terms: Counter[tuple[str, str, str, str]] = Counter()
    for e in rows_of(
        "safety.events",
        cohort.scope,
        AdverseEvent.objects.filter(**scope).values(
            "patient_id", "session_id", "ctcae_grade", "serious", "relatedness", "outcome", "term"
        ),
    ):
        if e["patient_id"] not in ids:
            continue
        event = Event(
            e["patient_id"],
            e["session_id"],
            e["ctcae_grade"],
            bool(e["serious"]),
            e["relatedness"] in RELATED,
            e["relatedness"] or "not assessed",
            e["outcome"] == "fatal" or e["ctcae_grade"] == 5,
        )
        events.append(event)

    def protocol_of(event: Event) -> str:
        s = sessions.get(event.session_id) if event.session_id else None
        if s:
            return f"{s['plan__protocol_version__code']} v{s['plan__protocol_version__version']}"
        row = cohort.by_id[event.patient_id]
        return f"{row.protocol_code} v{row.protocol_version}" if row.protocol_code else "no plan"

    per_protocol: dict[str, Tally] = defaultdict(Tally)
    per_sequence: dict[str, Tally] = defaultdict(Tally)
    per_donor: dict[str, Tally] = defaultdict(Tally)
    stops: Counter[str] = Counter()
    for s in sessions.values():
        protocol = f"{s['plan__protocol_version__code']} v{s['plan__protocol_version__version']}"
        per_protocol[protocol].exposed.add(s["patient_id"])
        per_sequence[f"administration {s['sequence']} ({s['route']})"].exposed.add(s["id"])
        per_donor[_donor(s)].exposed.add(s["id"])
        for hit in s["stopping_hits"] or []:
            if isinstance(hit, dict):
                stops[f"{hit.get('rule_id', '?')}: {hit.get('description', '')}"] += 1
    by_session: dict[int, list[Event]] = defaultdict(list)
    for event in events:
        protocol = protocol_of(event)
        per_protocol[protocol].see(event.patient_id, event)
        grade = str(event.grade) if event.grade else "ungraded"
        terms[(protocol, grade, "serious" if event.serious else "not serious", event.relatedness)] += 1
        if event.session_id in sessions:
            s = sessions[event.session_id]
            by_session[s["id"]].append(event)
            per_sequence[f"administration {s['sequence']} ({s['route']})"].see(s["id"], event)
            per_donor[_donor(s)].see(s["id"], event)

    report = Report()
    rate_cols = columns(("group", "Protocol"), ("exposed", "Patients exposed", True), *RATE_COLUMNS)
    protocol_table = Table(
        "per-protocol",
        "Patients with adverse events, per protocol (exact 95 % CI)",
        rate_cols,
        [[name, *tally.cells()] for name, tally in sorted(per_protocol.items())],
    )
    report.tables.append(protocol_table)
    protocols = sorted({k[0] for k in terms})
    grade_counts = {
        g: [sum(n for k, n in terms.items() if k[0] == p and k[1] == g) for p in protocols] for g in GRADES
    }
    grade_table = Table(
        "by-grade",
        "Adverse events by grade, seriousness and relatedness",
        columns(
            ("protocol", "Protocol"),
            ("grade", "CTCAE grade"),
            ("serious", "Seriousness"),
            ("relatedness", "Relatedness"),
            ("events", "Events", True),
        ),
        [[*key, n] for key, n in sorted(terms.items())],
        default_sort="protocol",
    )
    report.figures.append(
        Figure(
            "by-grade",
            "Adverse events by grade",
            bar_figure(
                protocols,
                {f"grade {g}" if g != "ungraded" else g: grade_counts[g] for g in GRADES},
                title="Adverse events by CTCAE grade, per protocol",
                x_title="Protocol",
                y_title="Events",
                stacked=True,
            ),
            grade_table,
        )
    )
    report.tables.append(
        Table(
            "per-administration",
            "Administrations with adverse events, per administration (exact 95 % CI)",
            columns(("group", "Administration"), ("exposed", "Administrations given", True), *RATE_COLUMNS),
            [[name, *tally.cells()] for name, tally in sorted(per_sequence.items())],
        )
    )
    report.tables.append(
        Table(
            "per-donor",
            "Administrations with adverse events, per product lot (units from one donor, exact 95 % CI)",
            columns(("group", "Product type / donor"), ("exposed", "Units given", True), *RATE_COLUMNS),
            [[name, *tally.cells()] for name, tally in sorted(per_donor.items())],
        )
    )
    report.tables.append(
        Table(
            "per-unit",
            "Every unit given",
            columns(
                ("din", "Unit (DIN)"),
                ("type", "Product type"),
                ("donor", "Donor"),
                ("viability", "Viability %", True),
                ("study_id", "Study id"),
                ("administration", "Administration", True),
                ("events", "Adverse events", True),
                ("max_grade", "Highest grade", True),
                ("serious", "Serious"),
            ),
            [
                [
                    f"{s['product__din']}{s['product__din_check']}" if s["product__din"] else "",
                    s["product__product_type"] or "",
                    s["product__donor_code"] or "",
                    s["product__viability_pct"],
                    cohort.by_id[s["patient_id"]].study_id,
                    s["sequence"],
                    len(seen := by_session.get(sid, ())),
                    max((e.grade or 0 for e in seen), default=0) or None,
                    any(e.serious for e in seen),
                ]
                for sid, s in sorted(sessions.items())
            ],
            default_sort="din",
        )
    )
    stop_table = Table(
        "stops",
        "Stopping-rule hits",
        columns(("rule", "Rule"), ("n", "Hits", True)),
        [[rule, n] for rule, n in stops.most_common()],
        note=f"Administrations stopped by a rule: {sum(1 for s in sessions.values() if s['status'] == 'stopped')}.",
        default_sort="-n",
    )
    report.figures.append(
        Figure(
            "stops",
            "Stopping-rule hits",
            bar_figure(
                [r for r, _ in stops.most_common()],
                {"hits": [n for _, n in stops.most_common()]},
                title="Stopping-rule hits",
                x_title="Rule",
                y_title="Hits",
                horizontal=True,
            ),
            stop_table,
        )
    )
    lots = ProductLot.objects.all()
    if cohort.scope.site_ids is not None:
        lots = lots.filter(site_id__in=cohort.scope.site_ids)
    fields = [
        "product_type",
        "status",
        "sterility",
        "mycoplasma",
        "endotoxin_eu_per_ml",
        "endotoxin_limit_eu_per_ml",
        "viability_pct",
        "cell_count",
        "particle_count",
        *POSITIVE_MARKERS,
        *NEGATIVE_MARKERS,
    ]
    lot_rows = rows_of("safety.lots", cohort.scope, lots.values(*fields))
    failures, failed_lots = remembered("safety.release", cohort.scope, lambda: _release_failures(lot_rows))
    report.tables.append(
        Table(
            "release",
            "Product release failures",
            columns(("finding", "Finding"), ("lots", "Lots", True)),
            [[finding, n] for finding, n in failures.most_common()],
            note=f"Lots of the cohort's sites: {len(lot_rows)}; with at least one failure or discarded: "
            f"{failed_lots}.",
            default_sort="-lots",
        )
    )
    return report


def _donor(s: dict[str, Any]) -> str:
    return f"{s['product__product_type'] or 'no unit'} / {s['product__donor_code'] or '?'}"
