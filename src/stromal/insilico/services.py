"""Trial runs from the web: validate a configuration, record and enqueue the run, execute it on the
worker (the same ``stromal.model.run_trial`` as ``stromal trial``), cancel it.

A configuration is validated by ``stromal.model.trial_config`` and every refusal is a
``TrialConfigError`` naming the TOML key and the rule, worded exactly as ``stromal trial`` prints
it after ``invalid configuration:``. A web run is capped (:data:`WEB_MAX_PATIENTS`): larger trials
belong to ``stromal trial`` on a machine of their own.
"""

from __future__ import annotations

import json
import math
import shutil
import tomllib
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from stromal.accounts.models import User
from stromal.audit.services import audit_record
from stromal.insilico.models import RunStatus, TrialRun
from stromal.model import TrialConfig, TrialConfigError, trial_config_from_dict
from stromal.patients.guards import site_id_of

#: Enrolled patients (trial plus sweep) a web run may simulate: at about 40 patients a second
#: on one core of the 2-core machine (``stromal trial`` on examples-like arms, warm cache), a few
#: minutes at most on the shared worker. Larger trials: ``stromal trial`` on a machine of its own.
WEB_MAX_PATIENTS = 4000
TOO_LARGE = (
    "a web run simulates at most {limit} enrolled patients ({what} = {n}); "
    "run larger trials with `stromal trial --config FILE --out DIR`"
)
#: The largest seed a run's row holds (a signed 64-bit integer column).
MAX_SEED = 2**63 - 1
ALREADY_FINISHED = "This run has already finished ({status}); there is nothing to cancel."
CANCELLED_BY = "Cancelled by {user} after {done} of {total} chunks."

#: The files a finished run offers for download: name -> content type.
DOWNLOADS: dict[str, str] = {
    "summary.json": "application/json",
    "outcomes.parquet": "application/vnd.apache.parquet",
    "report.html": "text/html; charset=utf-8",
    "analyses.json": "application/json",
}


class RunCancelledError(Exception):
    """Raised inside the engine's chunk callback when the run's cancel flag is set."""


def trial_config_from_toml(text: str) -> TrialConfig:
    """Validate trial TOML text as ``stromal trial`` validates a file.

    Raises:
        TrialConfigError: not TOML (key ``config``), or a key breaking its rule.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TrialConfigError("config", f"not valid TOML: {exc}") from None
    return trial_config_from_dict(raw)


def web_limits(config: TrialConfig) -> None:
    """Refuse a configuration too large for a web run (the CLI has no such cap).

    Raises:
        TrialConfigError: ``population.n_per_arm`` or ``sweep.n_patients`` over :data:`WEB_MAX_PATIENTS`.
    """
    if config.seed > MAX_SEED:
        raise TrialConfigError("seed", f"a web run keeps its seed in the database: must be ≤ {MAX_SEED}")
    if config.n_patients > WEB_MAX_PATIENTS:
        what = "n_per_arm × the sum of the allocation weights"
        raise TrialConfigError(
            "population.n_per_arm", TOO_LARGE.format(limit=WEB_MAX_PATIENTS, what=what, n=config.n_patients)
        )
    if config.sweep is not None and config.n_patients + config.sweep.n_patients > WEB_MAX_PATIENTS:
        what = "trial patients + sweep.n_patients"
        n = config.n_patients + config.sweep.n_patients
        raise TrialConfigError("sweep.n_patients", TOO_LARGE.format(limit=WEB_MAX_PATIENTS, what=what, n=n))


def run_dir(run: TrialRun) -> Path:
    """The run's folder: ``summary.json``, ``report.html``, ``outcomes.parquet``, ``outcomes/``."""
    return Path(settings.MEDIA_ROOT) / "insilico" / f"run-{run.pk}"


@transaction.atomic
def trial_run_request(
    *, user: User, config: TrialConfig, source: str, config_toml: str = "", enqueue: bool = True
) -> TrialRun:
    """Record (and audit) a validated trial; enqueue it for the background worker after commit.

    Raises:
        TrialConfigError: over the web run's size cap (:func:`web_limits`).
        PermissionDenied: a user without a site.
    """
    web_limits(config)
    from stromal.model import MODEL_VERSION
    from stromal.model.population import calibration_provenance
    from stromal.model.trial import chunk_plan

    # Known at the request, so a run that fails or is cancelled keeps them too; the finished
    # run's summary (what the engine reports it used) replaces them.
    run = TrialRun.objects.create(
        model_version=str(MODEL_VERSION),
        calibration=_no_nan(calibration_provenance(config.population.calibrated)),
        requested_by=user,
        site_id=site_id_of(user),
        title=config.title,
        source=source,
        config_toml=config_toml,
        config=_plain(config.raw),
        seed=config.seed,
        n_patients=config.n_patients,
        chunks_total=len(chunk_plan(config)),
    )
    audit_record(
        actor=user,
        action="trial_requested",
        instance=run,
        changes={
            "config": [None, run.config],
            "seed": [None, run.seed],
            "n_patients": [None, run.n_patients],
        },
        site_id=run.site_id,
    )
    if enqueue:
        from stromal.insilico.tasks import run_trial_task

        run_pk = run.pk
        transaction.on_commit(lambda: run_trial_task.enqueue(run_pk))
    return run


def _plain(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Parsed TOML as JSON-safe data (TOML dates and times become ISO text; none are trial keys)."""
    return dict(json.loads(json.dumps(raw, default=str)))


def trial_run_execute(*, run_id: int) -> TrialRun:
    """Run trial ``run_id`` with ``stromal.model.run_trial``; keep its progress, result or failure on the row.

    Progress is counted where ``stromal trial`` moves its progress bar: after each chunk is
    written and tallied (``run_trial``'s ``on_chunk``). The cancel flag is read there too; a
    cancelled run keeps no files. A failure is recorded on the row (and audited), not raised.
    """
    run = TrialRun.objects.get(pk=run_id)
    if run.status != RunStatus.QUEUED:
        return run
    if run.cancel_requested:
        TrialRun.objects.filter(pk=run.pk).update(status=RunStatus.CANCELLED, finished_at=timezone.now())
        run.refresh_from_db()
        return run
    TrialRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, started_at=timezone.now())
    target = run_dir(run)
    from stromal.model import run_trial
    from stromal.model.trial import ChunkResult

    done = 0

    def on_chunk(chunk: ChunkResult) -> None:
        nonlocal done
        done = min(done + 1, run.chunks_total)
        TrialRun.objects.filter(pk=run.pk).update(chunks_done=done)
        if TrialRun.objects.filter(pk=run.pk, cancel_requested=True).exists():
            raise RunCancelledError

    try:
        config = trial_config_from_dict(run.config)
        run_trial(config, target, on_chunk=on_chunk)
        _write_outcomes_file(target)
        # The row keeps summary.json as written (JSON-safe: the engine writes no NaN there).
        summary = json.loads((target / "summary.json").read_text(encoding="utf-8"))
        analyses = _analyses(config, target)
        with transaction.atomic():
            TrialRun.objects.filter(pk=run.pk).update(
                status=RunStatus.DONE,
                chunks_done=run.chunks_total,
                summary=summary,
                analyses=analyses,
                model_version=str(summary.get("model_version", "")),
                calibration=summary.get("calibration"),
                finished_at=timezone.now(),
            )
            run.refresh_from_db()
            audit_record(
                actor=run.requested_by,
                action="trial_run",
                instance=run,
                changes={"model_version": [None, run.model_version], "status": [None, run.status]},
                site_id=run.site_id,
            )
    except RunCancelledError:
        shutil.rmtree(target, ignore_errors=True)
        TrialRun.objects.filter(pk=run.pk).update(status=RunStatus.CANCELLED, finished_at=timezone.now())
    except Exception as exc:  # the worker must record the failure, whatever it was
        shutil.rmtree(target, ignore_errors=True)
        with transaction.atomic():
            TrialRun.objects.filter(pk=run.pk).update(
                status=RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}", finished_at=timezone.now()
            )
            run.refresh_from_db()
            audit_record(
                actor=run.requested_by,
                action="trial_failed",
                instance=run,
                changes={"error": [None, traceback.format_exception_only(exc)[-1].strip()]},
                site_id=run.site_id,
            )
    run.refresh_from_db()
    return run


def _analyses(config: TrialConfig, folder: Path) -> dict[str, Any] | None:
    """The trialists' analyses of the finished trial, also written as ``analyses.json``."""
    from stromal.model import read_outcomes
    from stromal.model.design import trial_analyses

    reference = config.reference
    if reference is None:
        return None
    data = trial_analyses(
        read_outcomes(folder / "outcomes"),
        reference=reference.name,
        arms=[a.name for a in config.arms],
        subgroups=config.analysis.subgroups,
        seed=config.seed,
    )
    text = json.dumps(_no_nan(data), default=_json_default, allow_nan=False)
    (folder / "analyses.json").write_text(text, encoding="utf-8")
    return dict(json.loads(text))


def _no_nan(value: Any) -> Any:
    """Non-finite numbers as None, so the JSON is valid everywhere (PostgreSQL's jsonb refuses NaN)."""
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_nan(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _json_default(value: Any) -> Any:
    """NumPy numbers as Python numbers (NaN never reaches here: the analyses return None instead)."""
    return value.item() if hasattr(value, "item") else str(value)


def _write_outcomes_file(folder: Path) -> None:
    """One ``outcomes.parquet`` from the run's ``outcomes/part-*.parquet`` (web runs are capped, so small)."""
    from stromal.model import read_outcomes

    read_outcomes(folder / "outcomes").to_parquet(folder / "outcomes.parquet", index=False)


def trial_run_cancel(*, run: TrialRun, user: User) -> TrialRun:
    """Ask a queued or running trial to stop; the worker stops at the end of the current chunk.

    Raises:
        ValueError: :data:`ALREADY_FINISHED` for a run that has finished.
    """
    with transaction.atomic():
        locked = TrialRun.objects.select_for_update().get(pk=run.pk)
        if locked.finished:
            raise ValueError(ALREADY_FINISHED.format(status=locked.get_status_display().lower()))
        changes: dict[str, Any] = {"cancel_requested": [False, True]}
        update: dict[str, Any] = {"cancel_requested": True}
        if locked.status == RunStatus.QUEUED:
            update |= {"status": RunStatus.CANCELLED, "finished_at": timezone.now()}
            changes["status"] = [locked.status, RunStatus.CANCELLED]
        update["error"] = CANCELLED_BY.format(
            user=user.get_username(), done=locked.chunks_done, total=locked.chunks_total
        )
        TrialRun.objects.filter(pk=run.pk).update(**update)
        audit_record(
            actor=user, action="trial_cancel", instance=locked, changes=changes, site_id=locked.site_id
        )
    run.refresh_from_db()
    return run


def run_file(*, run: TrialRun, name: str) -> Path:
    """A finished run's downloadable file.

    Raises:
        FileNotFoundError: an unknown name, a run not done, or a file that is gone.
    """
    path = run_dir(run) / name
    if name not in DOWNLOADS or run.status != RunStatus.DONE or not path.is_file():
        raise FileNotFoundError(name)
    return path
