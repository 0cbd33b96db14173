"""All writes to product lots. Each runs in one transaction, checks the rule,
writes a custody event where the unit changes hands or state, and appends
to the audit trail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from stromal.accounts.models import User
from stromal.accounts.roles import Role
from stromal.accounts.zones import format_when
from stromal.audit.locking import check_version, update_versioned
from stromal.audit.selectors import audit_for_object
from stromal.audit.services import audit_record, diff, require_reason, snapshot
from stromal.products.isbt128 import IdentifierError, parse_din, validate_product_code
from stromal.products.models import ALLOWED_TRANSITIONS, CustodyEvent, LotStatus, ProductLot
from stromal.products.release import release_findings, specified_endotoxin_limit_eu_per_ml

NOT_LAB = "Only lab / pharmacy staff of the lot's site may manage product lots."
DUPLICATE_DIN = "A product lot with this donation identification number already exists."
TRANSITION_REFUSED = "A lot in status '{old}' cannot become '{new}'."
RELEASE_FAILED = "The lot does not meet its release criteria: {findings}."
LOT_EXPIRED = "The lot expired at {at}."
THAW_EXPIRED = "The thawed unit expired at {at} ({hours:g} h after thaw)."
DISCARD_NEEDS_REASON = "Give a reason for discarding the unit."
SAME_PERSON_RELEASES = (
    "{who} recorded this lot's release-test results and cannot also release it: "
    "a second lab person releases (segregation of duties)."
)
CORRECTION_NEEDS_REASON = "Give a reason for correcting a recorded release-test result ({fields})."
ALREADY_EXPIRED_ON_RECEIPT = "The unit expired at {at}, before its receipt now; it cannot be received."
SPECIFICATION_NOT_A_RESULT = (
    "{field} is part of the product type's specification, set at receipt; the lab does not change it."
)
WRONG_COUNT = "{field}: {product} is counted in {unit}; record {right} instead."
ALREADY_THAWED = "The unit was already thawed at {at}."

RESULT_FIELDS = (
    "sterility",
    "mycoplasma",
    "endotoxin_eu_per_ml",
    "viability_pct",
    "cell_count",
    "particle_count",
    "cd105_pct",
    "cd73_pct",
    "cd90_pct",
    "cd45_pct",
    "cd34_pct",
    "cd14_cd11b_pct",
    "cd79a_cd19_pct",
    "hla_dr_pct",
)
#: Set at receipt from the product type's specification (``release.specified_endotoxin_limit_eu_per_ml``).
SPECIFICATION_FIELDS = ("endotoxin_limit_eu_per_ml",)
#: What the release criteria read: the results and the specification.
RELEASE_INPUTS = RESULT_FIELDS + SPECIFICATION_FIELDS


def _require_lab(user: User, site_id: int | None) -> None:
    if not (user.has_role(Role.LAB) and user.site_id is not None and user.site_id == site_id):
        raise ValidationError(NOT_LAB, code="not_lab")


def _custody(
    lot: ProductLot, kind: str, actor: User, *, at: dt.datetime | None = None, note: str = ""
) -> None:
    CustodyEvent.objects.create(lot=lot, kind=kind, at=at or timezone.now(), actor=actor, note=note)


def lot_expiry_problem(lot: ProductLot, *, at: dt.datetime) -> str | None:
    """Why the unit may not be given at ``at`` because of its expiry, or None."""
    if at >= lot.expires_at:
        return LOT_EXPIRED.format(at=format_when(lot.expires_at))
    if lot.thaw_expires_at is not None and at >= lot.thaw_expires_at:
        return THAW_EXPIRED.format(at=format_when(lot.thaw_expires_at), hours=lot.expiry_after_thaw_hours)
    return None


@transaction.atomic
def lot_receive(
    *,
    actor: User,
    din_text: str,
    product_code: str,
    product_type: str,
    donor_code: str,
    volume_ml: float,
    expires_at: dt.datetime,
    passage: int | None = None,
    expiry_after_thaw_hours: float = 4.0,
    location: str = "",
) -> ProductLot:
    """Register a unit arriving in quarantine, after checking its ISBT 128 identifiers."""
    _require_lab(actor, actor.site_id)
    try:
        din = parse_din(din_text)
        code = validate_product_code(product_code)
    except IdentifierError as exc:
        raise ValidationError({exc.field: str(exc)}) from None
    if ProductLot.objects.filter(din=din.number).exists():
        raise ValidationError({"din": DUPLICATE_DIN})
    if expires_at <= timezone.now():
        raise ValidationError({"expires_at": ALREADY_EXPIRED_ON_RECEIPT.format(at=format_when(expires_at))})
    lot = ProductLot.objects.create(
        site_id=actor.site_id or 0,  # _require_lab guarantees a site
        din=din.number,
        din_check=din.check,
        product_code=code,
        product_type=product_type,
        donor_code=donor_code,
        volume_ml=volume_ml,
        expires_at=expires_at,
        passage=passage,
        expiry_after_thaw_hours=expiry_after_thaw_hours,
        endotoxin_limit_eu_per_ml=specified_endotoxin_limit_eu_per_ml(product_type),
    )
    CustodyEvent.objects.create(
        lot=lot, kind=CustodyEvent.Kind.RECEIVED, at=timezone.now(), actor=actor, location=location
    )
    audit_record(actor=actor, action="lot_receive", instance=lot, changes=snapshot(lot), site_id=lot.site_id)
    return lot


def _field_default(name: str) -> Any:
    field = ProductLot._meta.get_field(name)
    return field.get_default() if isinstance(field, models.Field) else None


@transaction.atomic
def lot_record_results(
    *, lot: ProductLot, actor: User, expected_version: int, results: Mapping[str, Any], reason: str = ""
) -> ProductLot:
    """Record (or correct) release-test results of a lot still in quarantine."""
    _require_lab(actor, lot.site_id)
    check_version(lot, expected_version=expected_version)
    if lot.status != LotStatus.QUARANTINE:
        raise ValidationError(TRANSITION_REFUSED.format(old=lot.status, new="re-tested"))
    for name in SPECIFICATION_FIELDS:
        if name in results:
            raise ValidationError({name: SPECIFICATION_NOT_A_RESULT.format(field=name)})
    unknown = set(results) - set(RESULT_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "not a release-test field"})
    _require_count_of_its_kind(lot, results)
    before = snapshot(lot, RESULT_FIELDS)
    # A result that was already recorded (not empty, not the field's default)
    # and now changes is a correction: it must say why.
    corrected = sorted(
        name
        for name, value in results.items()
        if before.get(name) not in (None, "", _field_default(name)) and before.get(name) != value
    )
    # The version is checked first: a stale editor is told to reload, not to explain.
    update_versioned(lot, expected_version=expected_version, **dict(results))
    if corrected and not reason.strip():
        raise ValidationError({"reason": CORRECTION_NEEDS_REASON.format(fields=", ".join(corrected))})
    _custody(lot, CustodyEvent.Kind.TESTED, actor)
    audit_record(
        actor=actor,
        action="lot_record_results",
        instance=lot,
        changes=diff(before, snapshot(lot, RESULT_FIELDS)),
        reason=reason,
        site_id=lot.site_id,
    )
    return lot


def _require_count_of_its_kind(lot: ProductLot, results: Mapping[str, Any]) -> None:
    """A cell product records a cell count, an exosome product a particle count; the other is refused."""
    wrong, right, unit = (
        ("cell_count", "particle_count", "particles")
        if lot.is_exosome
        else ("particle_count", "cell_count", "cells")
    )
    if results.get(wrong) is not None:
        raise ValidationError(
            {
                wrong: WRONG_COUNT.format(
                    field=wrong, product=lot.get_product_type_display(), unit=unit, right=right
                )
            }
        )


def _transition(
    lot: ProductLot, new: str, *, actor: User, expected_version: int, reason: str, **fields: Any
) -> None:
    old = lot.status
    if new not in ALLOWED_TRANSITIONS[old]:
        raise ValidationError(TRANSITION_REFUSED.format(old=old, new=new), code="transition")
    update_versioned(lot, expected_version=expected_version, status=new, **fields)
    changes: dict[str, Any] = {"status": [old, new]}
    changes.update({k: [None, v] for k, v in fields.items()})
    audit_record(
        actor=actor, action=f"lot_{new}", instance=lot, changes=changes, reason=reason, site_id=lot.site_id
    )


@transaction.atomic
def lot_release(*, lot: ProductLot, actor: User, expected_version: int) -> ProductLot:
    """Release a quarantined lot whose results meet every criterion and which has not expired.

    The releaser must not be anyone who recorded the lot's release-test results
    (a second person checks the first; segregation of duties, issue #11).
    """
    _require_lab(actor, lot.site_id)
    check_version(lot, expected_version=expected_version)
    if lot.status != LotStatus.QUARANTINE:
        raise ValidationError(TRANSITION_REFUSED.format(old=lot.status, new=LotStatus.RELEASED))
    findings = release_findings(
        is_exosome=lot.is_exosome, results={name: getattr(lot, name) for name in RELEASE_INPUTS}
    )
    if findings:
        text = "; ".join(f"{f.field} {f.rule}" for f in findings)
        raise ValidationError(RELEASE_FAILED.format(findings=text), code="release_criteria")
    now = timezone.now()
    problem = lot_expiry_problem(lot, at=now)
    if problem:
        raise ValidationError(problem, code="expired")
    recorders = set(
        audit_for_object(lot).filter(action="lot_record_results").values_list("actor_id", flat=True)
    )
    if actor.pk in recorders:
        raise ValidationError(SAME_PERSON_RELEASES.format(who=actor.display_name()), code="same_person")
    _transition(
        lot,
        LotStatus.RELEASED,
        actor=actor,
        expected_version=expected_version,
        reason="release criteria met",
        released_by=actor,
        released_at=now,
    )
    _custody(lot, CustodyEvent.Kind.RELEASED, actor, at=now)
    return lot


@transaction.atomic
def lot_discard(*, lot: ProductLot, actor: User, expected_version: int, reason: str) -> ProductLot:
    _require_lab(actor, lot.site_id)
    check_version(lot, expected_version=expected_version)
    require_reason(reason, DISCARD_NEEDS_REASON)
    _transition(
        lot,
        LotStatus.DISCARDED,
        actor=actor,
        expected_version=expected_version,
        reason=reason,
        discard_reason=reason.strip(),
    )
    _custody(lot, CustodyEvent.Kind.DISCARDED, actor, note=reason)
    return lot


# The three transitions below are driven by the administration session
# (``stromal.administrations.services``), which has already checked the
# patient-side rules; they check the product-side rules again here.


def lot_allocate(*, lot: ProductLot, actor: User, at: dt.datetime, note: str) -> None:
    """Reserve a released, unexpired unit for one administration (caller holds the transaction)."""
    lot.refresh_from_db()
    problem = lot_expiry_problem(lot, at=at)
    if problem:
        raise ValidationError(problem, code="expired")
    _transition(lot, LotStatus.ALLOCATED, actor=actor, expected_version=lot.version, reason=note)
    _custody(lot, CustodyEvent.Kind.ALLOCATED, actor, at=at, note=note)


def lot_deallocate(*, lot: ProductLot, actor: User, reason: str) -> None:
    lot.refresh_from_db()
    _transition(lot, LotStatus.RELEASED, actor=actor, expected_version=lot.version, reason=reason)
    _custody(lot, CustodyEvent.Kind.DEALLOCATED, actor, note=reason)


def lot_thaw(*, lot: ProductLot, actor: User, thawed_at: dt.datetime) -> None:
    """Record thaw (preparation); the unit now expires ``expiry_after_thaw_hours`` later."""
    lot.refresh_from_db()
    if lot.thawed_at is not None:
        raise ValidationError(ALREADY_THAWED.format(at=format_when(lot.thawed_at)), code="thawed")
    if lot.status != LotStatus.ALLOCATED:
        raise ValidationError(TRANSITION_REFUSED.format(old=lot.status, new="thawed"), code="transition")
    problem = lot_expiry_problem(lot, at=thawed_at)
    if problem:
        raise ValidationError(problem, code="expired")
    thaw_expires_at = thawed_at + dt.timedelta(hours=lot.expiry_after_thaw_hours)
    update_versioned(lot, expected_version=lot.version, thawed_at=thawed_at, thaw_expires_at=thaw_expires_at)
    audit_record(
        actor=actor,
        action="lot_thaw",
        instance=lot,
        changes={"thawed_at": [None, thawed_at], "thaw_expires_at": [None, thaw_expires_at]},
        site_id=lot.site_id,
    )
    _custody(lot, CustodyEvent.Kind.THAWED, actor, at=thawed_at)


def lot_mark_administered(*, lot: ProductLot, actor: User, at: dt.datetime, note: str) -> None:
    lot.refresh_from_db()
    _transition(lot, LotStatus.ADMINISTERED, actor=actor, expected_version=lot.version, reason=note)
    _custody(lot, CustodyEvent.Kind.ADMINISTERED, actor, at=at, note=note)
