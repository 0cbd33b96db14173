"""One in-silico trial run from the web: what was asked, by whom, how far it has got, what it found.

The row keeps everything needed to trust and repeat the run: the validated configuration
(the same plain data ``stromal trial`` reads from TOML), the seed, the model version and
calibration provenance the engine reported, who ran it and when. Its files live under
``MEDIA_ROOT/insilico/run-<id>/`` (``stromal.insilico.services.run_dir``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


#: A run in one of these states changes no more.
FINISHED = (RunStatus.DONE, RunStatus.FAILED, RunStatus.CANCELLED)


class TrialRun(models.Model):
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    title = models.CharField(max_length=300)
    # "toml": pasted TOML; "arms": built on the page from the protocol arms in the database.
    source = models.CharField(max_length=10)
    config_toml = models.TextField(blank=True)
    # The trial configuration as plain data (parsed TOML); `trial_config_from_dict` reads it back.
    config = models.JSONField()
    seed = models.BigIntegerField()
    n_patients = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    chunks_done = models.PositiveIntegerField(default=0)
    chunks_total = models.PositiveIntegerField()
    cancel_requested = models.BooleanField(default=False)
    model_version = models.CharField(max_length=40, blank=True)
    calibration = models.JSONField(null=True, blank=True)
    summary = models.JSONField(null=True, blank=True)
    # Trialists' designs and analyses beside the summary (``stromal.model.design.trial_analyses``).
    analyses = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=RunStatus.values), name="trialrun_status_valid"),
            models.CheckConstraint(condition=Q(source__in=["toml", "arms"]), name="trialrun_source_valid"),
            models.CheckConstraint(
                condition=Q(chunks_done__lte=F("chunks_total")), name="trialrun_chunks_done_le_total"
            ),
            models.CheckConstraint(condition=Q(seed__gte=0), name="trialrun_seed_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"Trial run #{self.pk} ({self.title}, {self.status})"

    @property
    def progress(self) -> float:
        """Chunks done over chunks in the trial, 0-1."""
        return self.chunks_done / self.chunks_total if self.chunks_total else 0.0

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


class PlanForecast(models.Model):
    """The model's forecast for a plan's patient, from one version of the closed Day-1 examination.

    Cached per (plan, examination, examination version, protocol version, arm): an amended
    examination, or a plan moved to another arm or protocol version, gets a new forecast.
    ``result`` is ``stromal.model.forecast.Forecast.as_dict()`` plus the values it was conditioned on.
    """

    plan = models.ForeignKey("plans.TreatmentPlan", on_delete=models.PROTECT, related_name="+")
    encounter = models.ForeignKey("examinations.Encounter", on_delete=models.PROTECT, related_name="+")
    encounter_version = models.PositiveIntegerField()
    arm_name = models.CharField(max_length=60)
    protocol_version = models.ForeignKey(
        "protocols.ProtocolVersion", on_delete=models.PROTECT, null=True, related_name="+"
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    model_version = models.CharField(max_length=40, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    seconds = models.FloatField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "encounter", "encounter_version", "protocol_version", "arm_name"],
                name="forecast_once_per_examination_version_and_arm",
            ),
            models.CheckConstraint(condition=Q(status__in=RunStatus.values), name="forecast_status_valid"),
        ]

    def __str__(self) -> str:
        return f"Forecast #{self.pk} (plan {self.plan_id}, examination {self.encounter_id} v{self.encounter_version})"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


class RegistryCheck(models.Model):
    """The registry cohort against the model: observed and expected 90-day mortality (one request).

    ``site_ids`` is the requester's scope when asking (null: every site); ``filters`` the cohort
    builder's choices. ``result`` holds O/E, the calibration groups and the patients left out.
    """

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    site_ids = models.JSONField(null=True, blank=True)
    filters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    model_version = models.CharField(max_length=40, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RunStatus.values), name="registrycheck_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Registry check #{self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED
