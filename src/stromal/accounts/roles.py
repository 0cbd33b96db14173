"""The roles of the care pathway and what each may do.

A user holds exactly one role at exactly one site; every clinical record is
scoped to a site and users see only their own site's records.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    COORDINATOR = "coordinator", "Coordinator"
    PHYSICIAN = "physician", "Physician"
    NURSE = "nurse", "Nurse"
    LAB = "lab", "Lab / pharmacy"
    INVESTIGATOR = "investigator", "Investigator"
    MONITOR = "monitor", "Monitor"
    ADMIN = "admin", "Administrator"


# Roles that may read every clinical record of their site but change none (they verify, query,
# export and run in-silico trials: study work, not clinical records).
READ_ONLY_ROLES = frozenset({Role.INVESTIGATOR, Role.MONITOR})

# Roles that see clinical records at all (everyone but nobody, today; kept
# explicit so a future non-clinical role must be added on purpose).
CLINICAL_READERS = frozenset(
    {
        Role.COORDINATOR,
        Role.PHYSICIAN,
        Role.NURSE,
        Role.LAB,
        Role.INVESTIGATOR,
        Role.MONITOR,
        Role.ADMIN,
    }
)

# Roles that may use the bedside calculator.
CALCULATOR_USERS = frozenset({Role.PHYSICIAN, Role.NURSE, Role.INVESTIGATOR, Role.MONITOR, Role.ADMIN})
