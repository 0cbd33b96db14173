"""Printouts of a treatment plan and of a consent, with their signatures (21 CFR 11.50).

Each signature shows the signer's printed name, the date and time with the
site's zone, and what the signature means; a voided signature stays on the
printout with when and why it was voided.
"""

from __future__ import annotations

from stromal import display
from stromal.accounts.models import User
from stromal.accounts.zones import format_when
from stromal.patients.models import Patient
from stromal.plans.models import Consent, PlanSignature, TreatmentPlan
from stromal.plans.selectors import consent_history, current_decision
from stromal.printouts.document import Document, Item, Part, Signature, Table, text
from stromal.printouts.responses import footer_line, printed_line
from stromal.products.models import ProductType

CONSENT_GIVEN = "consent to the treatment plan ({relationship})"
CONSENT_WITNESSED = "witnessed the consent"
CONSENT_RECORDED = "recorded the consent in Stromal"
HANDWRITTEN = "handwritten, on the paper consent form"
ELECTRONIC = "electronic"


def _patient_line(patient: Patient) -> str:
    site = patient.site.name if patient.site_id else ""
    return f"{patient.full_name} · MRN {patient.mrn} · born {patient.date_of_birth:%Y-%m-%d}" + (
        f" · {site}" if site else ""
    )


def _arm(plan: TreatmentPlan) -> str:
    try:
        arm = plan.protocol_version.to_protocol().arm(plan.arm_name)
    except (KeyError, ValueError):
        return display.humanize_code(plan.arm_name)
    return display.arm_label(arm, ProductType.choices)


def _dose(plan: TreatmentPlan) -> str:
    dose = plan.dose or {}
    if dose.get("control"):
        return "none (conventional treatment only)"
    parts = [display.code_label(dose.get("route"))]
    if dose.get("total_cells"):
        parts.append(f"{display.cells(dose['total_cells'])} per administration")
    if dose.get("dose_particles"):
        parts.append(f"{display.particles(dose['dose_particles'])} per dose")
    if dose.get("days"):
        parts.append(
            f"{dose.get('n_administrations', len(dose['days']))} administration(s) on protocol days "
            + ", ".join(str(d) for d in dose["days"])
        )
    return " · ".join(p for p in parts if p)


def plan_signature(signature: PlanSignature) -> Signature:
    status = ""
    if signature.voided_at is not None:
        status = f"voided {format_when(signature.voided_at)}: {signature.void_reason}"
    return Signature(
        printed_name=signature.printed_name,
        signed_at=format_when(signature.signed_at),
        meaning=f"{signature.meaning} (edit {signature.plan_version} of the plan)",
        kind=ELECTRONIC,
        username=signature.signer.username,
        status=status,
    )


def _consent_row(consent: Consent) -> tuple[str, ...]:
    return (
        f"{consent.given_by} ({consent.given_by_relationship})",
        format_when(consent.given_at),
        consent.witness_name,
        consent.information_sheet_version,
        f"{consent.recorded_by.display_name()}, {format_when(consent.recorded_at)}",
        text(consent.reason),
        format_when(consent.withdrawn_at) or "—",
    )


def plan_document(*, plan: TreatmentPlan, user: User) -> Document:
    """The plan as signed: what it gives, who drafted it, the meeting, consent, decision, signatures."""
    patient = plan.patient
    protocol = plan.protocol_version
    decision = current_decision(plan)
    plan_items = [
        Item("Status", plan.get_status_display()),
        Item("Protocol", f"{protocol.title} ({protocol.code} v{protocol.version})"),
        Item("Arm", _arm(plan)),
        Item("Dose", _dose(plan)),
        Item("Day 0", f"{plan.start_date:%Y-%m-%d}"),
        Item(
            "Frozen inputs",
            f"sex {plan.sex} · height {display.quantity(plan.height_cm, 'cm')} · "
            f"weight {display.quantity(plan.weight_kg, 'kg')}",
        ),
        Item("Drafted by", f"{plan.drafted_by.display_name()}, {format_when(plan.created_at)}"),
        Item("Approved", format_when(plan.approved_at) or "not approved"),
        Item(
            "Revision",
            str(plan.revision) + (f" · reason: {plan.change_reason}" if plan.change_reason else ""),
        ),
        Item("Notes", text(plan.notes)),
    ]
    meetings = tuple(
        (
            format_when(m.held_at),
            ", ".join(d.display_name() for d in m.physicians.all()),
            ", ".join(f"{f.name} ({f.relationship})" for f in m.family_members.all()) or "—",
            "yes" if m.patient_present else "no",
        )
        for m in plan.meetings.prefetch_related("physicians", "family_members")
    )
    consents = tuple(_consent_row(c) for c in consent_history(plan))
    decision_text = (
        f"{decision.get_decision_display()}, {format_when(decision.decided_at)}, recorded by "
        f"{decision.recorded_by.display_name()}"
        if decision
        else "none for this version of the plan"
    )
    signatures = tuple(
        plan_signature(s) for s in plan.signatures.select_related("signer").order_by("signed_at", "id")
    )
    return Document(
        title=f"Treatment plan #{plan.pk}, revision {plan.revision}",
        subtitle=_patient_line(patient),
        filename=f"plan-{plan.pk}",
        parts=(
            Part("Plan", tuple(plan_items)),
            Part(
                "Plan meeting",
                table=Table(("Held", "Physicians", "Family", "Patient present"), meetings),
            ),
            Part(
                "Consent",
                table=Table(
                    (
                        "Given by",
                        "Given",
                        "Witness",
                        "Information sheet",
                        "Recorded",
                        "Re-consent reason",
                        "Withdrawn",
                    ),
                    consents,
                ),
            ),
            Part("Patient's decision", (Item("Decision", decision_text),)),
        ),
        signatures=signatures,
        signatures_heading="Physicians' electronic signatures (two distinct physicians approve)",
        printed=printed_line(user),
        footer=footer_line(),
    )


def consent_document(*, consent: Consent, user: User) -> Document:
    """One consent: who gave it, the witness, the information sheet, who recorded it, and when."""
    plan = consent.plan
    relationship = consent.given_by_relationship
    signatures = (
        Signature(
            printed_name=consent.given_by,
            signed_at=format_when(consent.given_at),
            meaning=CONSENT_GIVEN.format(relationship=relationship),
            kind=HANDWRITTEN,
            status=f"withdrawn {format_when(consent.withdrawn_at)}" if consent.withdrawn_at else "",
        ),
        Signature(
            printed_name=consent.witness_name,
            signed_at=format_when(consent.given_at),
            meaning=CONSENT_WITNESSED,
            kind=HANDWRITTEN,
        ),
        Signature(
            printed_name=consent.recorded_by.display_name(),
            signed_at=format_when(consent.recorded_at),
            meaning=CONSENT_RECORDED,
            kind=ELECTRONIC,
            username=consent.recorded_by.username,
        ),
    )
    return Document(
        title=f"Consent to treatment #{consent.pk}",
        subtitle=_patient_line(plan.patient),
        filename=f"consent-{consent.pk}",
        parts=(
            Part(
                "Consent",
                (
                    Item("Given by", f"{consent.given_by} ({relationship})"),
                    Item("Given", format_when(consent.given_at)),
                    Item("Witness", consent.witness_name),
                    Item("Information sheet version", consent.information_sheet_version),
                    Item("Re-consent reason", text(consent.reason)),
                    Item("Withdrawn", format_when(consent.withdrawn_at) or "no"),
                ),
            ),
            Part(
                "Treatment plan consented to",
                (
                    Item("Plan", f"#{plan.pk}, revision {plan.revision} ({plan.get_status_display()})"),
                    Item("Protocol", f"{plan.protocol_version.title} (v{plan.protocol_version.version})"),
                    Item("Arm", _arm(plan)),
                    Item("Dose", _dose(plan)),
                ),
            ),
        ),
        signatures=signatures,
        printed=printed_line(user),
        footer=footer_line(),
    )
