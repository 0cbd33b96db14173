from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from stromal.accounts.roles import READ_ONLY_ROLES, Role


class Site(models.Model):
    """A clinic or study site; every patient and user belongs to one."""

    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    # Sites above 1000 m need the Berlin altitude correction of P/F.
    barometric_pressure_mmhg = models.FloatField(default=760.0)

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
