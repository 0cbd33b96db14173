from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from stromal.accounts.roles import READ_ONLY_ROLES, Role
from stromal.env import valid_time_zone

UNKNOWN_TIME_ZONE = (
    "time_zone={value!r}: not an IANA time-zone name (e.g. Europe/Paris, America/New_York, UTC)."
)


def default_time_zone() -> str:
    """A new site's zone: ``STROMAL_TIME_ZONE`` (``settings.TIME_ZONE``)."""
    return str(settings.TIME_ZONE)


def validate_time_zone(value: str) -> None:
    """Refuse a name that ``zoneinfo`` does not know."""
    if not valid_time_zone(value):
        raise ValidationError(UNKNOWN_TIME_ZONE.format(value=value), code="time_zone")


class Site(models.Model):
    """A clinic or study site; every patient and user belongs to one."""

    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    # Sites above 1000 m need the Berlin altitude correction of P/F.
    barometric_pressure_mmhg = models.FloatField(default=760.0)
    # Where the site's clocks are: date-times are stored in UTC and shown in this zone.
    time_zone = models.CharField(max_length=64, default=default_time_zone, validators=[validate_time_zone])

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class User(AbstractUser):
    """A person who signs in. Role and site decide what they may see and do."""

    role = models.CharField(max_length=20, choices=Role.choices)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="users", null=True)
    # Printed name shown on electronic signatures (21 CFR Part 11 §11.50).
    printed_name = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]) | models.Q(is_superuser=True),
                name="user_role_valid",
            ),
        ]

    @property
    def is_read_only(self) -> bool:
        return self.role in READ_ONLY_ROLES

    def display_name(self) -> str:
        return self.printed_name or self.get_full_name() or self.username

    def has_role(self, *roles: Role) -> bool:
        return self.is_active and self.role in {r.value for r in roles}
