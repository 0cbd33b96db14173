"""The background task of a web trial run (django-tasks; run by ``stromal worker``, the database-backed worker)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_trial_task(run_id: int) -> None:
    from stromal.insilico.services import trial_run_execute

    trial_run_execute(run_id=run_id)


@task()
def run_forecast_task(forecast_id: int) -> None:
    from stromal.insilico.forecasts import forecast_execute

    forecast_execute(forecast_id=forecast_id)


@task()
def run_registry_check_task(check_id: int) -> None:
    from stromal.insilico.registry import registry_check_execute

    registry_check_execute(check_id=check_id)
