from django.apps import AppConfig


class ExaminationsConfig(AppConfig):
    name = "stromal.examinations"
    label = "examinations"
