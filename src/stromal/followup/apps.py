from __future__ import annotations

from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "stromal.followup"
    label = "followup"
    verbose_name = "Discharge and follow-up"
