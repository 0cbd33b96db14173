"""Patients and the people around them (family members who join decisions)."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from stromal.accounts.models import Site

SEX_CHOICES = [("female", "Female"), ("male", "Male")]
HEIGHT_CM_MIN, HEIGHT_CM_MAX = 100, 250  # same limits as stromal.clinical.observations FIELDS["height_cm"]


class Patient(models.Model):
    """A person in the care pathway, scoped to one site.

    Sex and height feed the predicted body weight (ARDSNet) and reference
    equations; the actual weight is recorded at each examination.
    """

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField("medical record number", max_length=40)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    sex = models.CharField(max_length=10, choices=SEX_CHOICES)
    date_of_birth = models.DateField()
    height_cm = models.FloatField(null=True, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    synthetic = models.BooleanField(default=False, help_text="invented demo data")
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)
    # Folded "given family mrn" that search matches (stromal.patients.names.search_text); kept by the services.
    search_text = models.CharField(max_length=300, blank=True, default="", editable=False)

    #: Derived from other fields, so the audit trail leaves it out (it adds no fact).
    AUDIT_DERIVED_FIELDS = ("search_text",)

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["site", "mrn"], name="patient_mrn_unique_per_site"),
            # The same number in another case is the same record number (issue #8).
            models.UniqueConstraint("site", Upper("mrn"), name="patient_mrn_unique_per_site_any_case"),
            models.CheckConstraint(condition=Q(sex__in=["female", "male"]), name="patient_sex_valid"),
            models.CheckConstraint(
                condition=Q(height_cm__isnull=True)
                | Q(height_cm__gte=HEIGHT_CM_MIN, height_cm__lte=HEIGHT_CM_MAX),
                name="patient_height_in_range",
            ),
            models.CheckConstraint(condition=~Q(mrn=""), name="patient_mrn_required"),
        ]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_years_on(self, day: dt.date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class RelatedPerson(models.Model):
    """A family member or representative; those who join decisions attend plan meetings."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="related_persons")
    name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=60)
    contact = models.CharField(max_length=200, blank=True)
    joins_decisions = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="related_person_name_required"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.relationship})"
