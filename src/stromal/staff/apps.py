from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "stromal.staff"
    label = "staff"
    verbose_name = "Administration: people, sites and the security log"

    def ready(self) -> None:
        # Sign-ins, sign-outs and failures come from Django's auth signals (the sign-in page is
        # Django's own view); connected here, after django-axes, so a failure's lockout is known.
        from stromal.staff import security_log

        security_log.connect()
