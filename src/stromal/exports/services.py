"""Exports: request one (checked and audited), run it (the same code from the web's background
task and from ``stromal export``), and the streaming writer both use.

Pseudonymised by default: a study id instead of name, record number, contact details and
date of birth; age at enrolment; every time as days since enrolment; free text left out.
An identified export is for the site's investigator (who keeps the subject identification
list, ICH E6(R2) 8.3.21), of their own site only, with a reason; it is audited like every
export: who, when, the filters, the number of patients, identified or not.
"""

from __future__ import annotations

import datetime as dt
import shutil
import traceback
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from stromal.accounts.models import User
from stromal.accounts.roles import Role
from stromal.audit.services import audit_record, require_reason
from stromal.exports.formats import WRITERS
from stromal.exports.models import ExportRun, ExportStatus
from stromal.exports.tables import TABLES, Chunk
from stromal.outcomes.cohort import Cohort, CohortFilter, cohort_build
from stromal.outcomes.scope import Scope, reader_scope
from stromal.patients.guards import site_id_of

FORMATS = tuple(WRITERS)
DEFAULT_FORMATS = ("csv",)
#: Patients per chunk: every table's rows of one chunk are read, written, then dropped.
CHUNK_PATIENTS = 500
IDENTITY_ROLES = (Role.INVESTIGATOR,)
UNKNOWN_FORMAT = "Unknown format {value!r}: choose from {known}."
NO_FORMAT = "Choose at least one format."
IDENTIFIED_ROLE = "Only the site's investigator may export identified data; your role is {role}."
IDENTIFIED_SITE = "An identified export holds only your own site's patients; choose your site."
IDENTIFIED_REASON = "An identified export needs a reason (it is kept in the audit trail)."
NOT_YOURS = "This export was requested by someone else."


@dataclass(frozen=True)
class ExportSummary:
    n_patients: int
    files: list[Path]
    rows: dict[str, int]


def parse_formats(values: Sequence[str]) -> list[str]:
    """The formats asked for, in a fixed order, duplicates dropped.

    Raises:
        ValidationError: ``{"formats": ...}`` for none or an unknown one.
    """
    chosen = [v.strip().lower() for v in values if v.strip()]
    unknown = [v for v in chosen if v not in WRITERS]
    if unknown:
        raise ValidationError({"formats": UNKNOWN_FORMAT.format(value=unknown[0], known=", ".join(FORMATS))})
    if not chosen:
        raise ValidationError({"formats": NO_FORMAT})
    return [f for f in FORMATS if f in chosen]


def export_write(
    *,
    cohort: Cohort,
    out_dir: Path,
    formats: Sequence[str],
    identified: bool,
    progress: Callable[[float], None] | None = None,
    chunk_patients: int = CHUNK_PATIENTS,
) -> ExportSummary:
    """Write the cohort's tables into ``out_dir`` in every format of ``formats``, chunk by chunk.

    Each chunk of patients is read with a few queries per table and handed to every writer,
    so memory holds one chunk (plus what a whole-file format, SPSS, must gather).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    description = (
        "identified" if identified else "pseudonymised"
    ) + f" export of {cohort.filters.describe()}"
    writers = [WRITERS[f](out_dir, TABLES, identified, description) for f in formats]
    for writer in writers:
        writer.begin()
    counts = dict.fromkeys((t.name for t in TABLES), 0)
    rows = cohort.rows
    for start in range(0, len(rows), chunk_patients):
        chunk = Chunk(cohort, rows[start : start + chunk_patients], identified)
        chunk_rows = {t.name: list(t.rows(chunk)) for t in TABLES}
        for writer in writers:
            writer.write_chunk(chunk_rows)
        for name, table_rows in chunk_rows.items():
            counts[name] += len(table_rows)
        del chunk_rows
        if progress:
            progress(min(1.0, (start + chunk_patients) / len(rows)) * 0.95)
    files: list[Path] = []
    for writer in writers:
        files += writer.end()
    if progress:
        progress(1.0)
    return ExportSummary(len(rows), sorted(set(files)), counts)


def _require_identified(user: User | None, scope: Scope, reason: str) -> tuple[Scope, str]:
    """The scope and reason of an identified export, or a refusal."""
    reason = require_reason(reason, IDENTIFIED_REASON)
    if user is None:  # the operator on the command line: shell access is database access
        return scope, reason
    if user.role not in {r.value for r in IDENTITY_ROLES}:
        raise PermissionDenied(IDENTIFIED_ROLE.format(role=user.get_role_display()))
    own = site_id_of(user)
    if scope.site_ids is not None and scope.site_ids != frozenset({own}):
        raise PermissionDenied(IDENTIFIED_SITE)
    return Scope(frozenset({own})), reason


@transaction.atomic
def _require_known_protocol(filters: CohortFilter) -> None:
    """An unknown protocol code or version is refused by name (it would export no patient at all)."""
    from stromal.protocols.models import ProtocolVersion

    if not filters.protocol_code:
        return
    versions = ProtocolVersion.objects.filter(code=filters.protocol_code)
    if not versions.exists():
        known = ", ".join(sorted(set(ProtocolVersion.objects.values_list("code", flat=True))))
        raise ValidationError(
            {"protocol": f"No protocol has the code {filters.protocol_code!r} (known: {known})."}
        )
    if filters.protocol_version and not versions.filter(version=filters.protocol_version).exists():
        raise ValidationError(
            {"protocol": f"Protocol {filters.protocol_code} has no version {filters.protocol_version!r}."}
        )


def export_request(
    *,
    user: User | None,
    filters: CohortFilter,
    formats: Sequence[str],
    identified: bool = False,
    reason: str = "",
    source: str = "web",
    scope: Scope | None = None,
) -> ExportRun:
    """Record (and audit) an export request; the web enqueues it for the background worker.

    ``user`` None is the operator of ``stromal export`` (every site, unless ``scope`` says otherwise).

    Raises:
        PermissionDenied: a role that may not export, an identified export by a role or for
            sites that may not have one.
        ValidationError: no or an unknown format; an unknown site or protocol (version); an
            identified export without a reason.
    """
    chosen = parse_formats(formats)
    scope = scope or (reader_scope(user) if user is not None else Scope(None))
    if filters.site_code:
        from stromal.accounts.models import Site

        site = Site.objects.filter(code=filters.site_code).first()
        if site is None:
            raise ValidationError({"site": f"No site has the code {filters.site_code!r}."})
        scope = scope.narrowed_to(site)
    _require_known_protocol(filters)
    if identified:
        scope, reason = _require_identified(user, scope, reason)
    run = ExportRun.objects.create(
        requested_by=user,
        site_ids=None if scope.site_ids is None else sorted(scope.site_ids),
        filters=filters.as_dict(),
        formats=",".join(chosen),
        identified=identified,
        reason=reason.strip() if identified else "",
        source=source,
    )
    audit_record(
        actor=user,
        action="export_requested",
        instance=run,
        changes={
            "filters": [None, run.filters],
            "formats": [None, run.formats],
            "identified": [None, identified],
            "sites": [None, run.site_ids or "all"],
        },
        reason=run.reason,
        site_id=user.site_id if user is not None else None,
    )
    if source == "web":
        from stromal.exports.tasks import run_export

        run_pk = run.pk
        transaction.on_commit(lambda: run_export.enqueue(run_pk))
    return run


def _filters_of(run: ExportRun) -> CohortFilter:
    data = dict(run.filters)
    for key in ("enrolled_from", "enrolled_to"):
        if data.get(key):
            data[key] = dt.date.fromisoformat(data[key])
    data.pop("site_code", None)  # the run's site_ids already hold the chosen site
    return CohortFilter(**data)


def export_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "exports"


def _progress(run_pk: int, fraction: float) -> None:
    ExportRun.objects.filter(pk=run_pk).update(progress=round(fraction, 3))


def export_run_execute(*, run_id: int, out_dir: Path | None = None) -> ExportRun:
    """Run export ``run_id``: write its files (into ``out_dir``, or zipped for download), keep its
    progress on the row, audit the result. A failure is kept on the row (and audited), not raised."""
    run = ExportRun.objects.get(pk=run_id)
    if run.status != ExportStatus.QUEUED:
        return run
    ExportRun.objects.filter(pk=run.pk).update(status=ExportStatus.RUNNING, started_at=timezone.now())
    scope = Scope(None if run.site_ids is None else frozenset(int(i) for i in run.site_ids))
    target = out_dir or export_dir() / f"run-{run.pk}"
    try:
        cohort = cohort_build(scope=scope, filters=_filters_of(run))
        summary = export_write(
            cohort=cohort,
            out_dir=target,
            formats=run.format_list,
            identified=run.identified,
            progress=lambda fraction: _progress(run.pk, fraction),
        )
        file_name = ""
        if out_dir is None:
            file_name = f"stromal-export-{run.pk}.zip"
            with zipfile.ZipFile(export_dir() / file_name, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in summary.files:
                    archive.write(path, arcname=path.name)
            shutil.rmtree(target, ignore_errors=True)
        with transaction.atomic():
            ExportRun.objects.filter(pk=run.pk).update(
                status=ExportStatus.DONE,
                progress=1.0,
                n_patients=summary.n_patients,
                file_name=file_name,
                finished_at=timezone.now(),
            )
            run.refresh_from_db()
            audit_record(
                actor=run.requested_by,
                action="export",
                instance=run,
                changes={
                    "n_patients": [None, summary.n_patients],
                    "rows": [None, summary.rows],
                    "files": [None, [p.name for p in summary.files]],
                    "identified": [None, run.identified],
                    "filters": [None, run.filters],
                },
                reason=run.reason,
            )
    except Exception as exc:  # the worker must record the failure, whatever it was
        if out_dir is None:
            shutil.rmtree(target, ignore_errors=True)
        with transaction.atomic():
            ExportRun.objects.filter(pk=run.pk).update(
                status=ExportStatus.FAILED,
                error=f"{type(exc).__name__}: {exc}",
                finished_at=timezone.now(),
            )
            run.refresh_from_db()
            audit_record(
                actor=run.requested_by,
                action="export_failed",
                instance=run,
                changes={"error": [None, traceback.format_exception_only(exc)[-1].strip()]},
            )
    run.refresh_from_db()
    return run


def export_download_path(*, run: ExportRun, user: User) -> Path:
    """The zip file of a finished export, for the person who asked for it (audited).

    Raises:
        PermissionDenied: someone else's export.
        FileNotFoundError: not finished, or its file is gone.
    """
    if run.requested_by_id != user.pk:
        raise PermissionDenied(NOT_YOURS)
    path = export_dir() / run.file_name
    if run.status != ExportStatus.DONE or not run.file_name or not path.is_file():
        raise FileNotFoundError(run.file_name)
    audit_record(actor=user, action="export_downloaded", instance=run, changes={}, site_id=user.site_id)
    return path
