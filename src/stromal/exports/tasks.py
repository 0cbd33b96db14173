"""The background task of a web export (django-tasks; run by ``stromal worker``, the database-backed worker)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_export(run_id: int) -> None:
    from stromal.exports.services import export_run_execute

    export_run_execute(run_id=run_id)
