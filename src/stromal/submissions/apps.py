from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    name = "stromal.submissions"
    label = "submissions"
