"""Product lots (one unit each) and their chain of custody.

A lot moves quarantine → released → allocated → administered, or to
discarded from any state before administration. Allocation ties the unit to
exactly one administration session (``administrations.AdministrationSession
.product`` is one-to-one), so a unit can never serve two patients.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact

from stromal.accounts.models import Site


class ProductType(models.TextChoices):
    UC_MSC = "uc_msc", "UC-MSC (umbilical cord)"
    BM_MSC = "bm_msc", "BM-MSC (bone marrow)"
    AD_MSC = "ad_msc", "AD-MSC (adipose)"
    MSC_EXOSOME = "msc_exosome", "MSC exosomes"


class LotStatus(models.TextChoices):
    QUARANTINE = "quarantine", "Quarantine"
    RELEASED = "released", "Released"
    ALLOCATED = "allocated", "Allocated"
    ADMINISTERED = "administered", "Administered"
    DISCARDED = "discarded", "Discarded"


# The only transitions a lot may make (ICCBBA / FACT-style chain of identity).
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    LotStatus.QUARANTINE: frozenset({LotStatus.RELEASED, LotStatus.DISCARDED}),
    LotStatus.RELEASED: frozenset({LotStatus.ALLOCATED, LotStatus.DISCARDED}),
    LotStatus.ALLOCATED: frozenset({LotStatus.ADMINISTERED, LotStatus.RELEASED, LotStatus.DISCARDED}),
    LotStatus.ADMINISTERED: frozenset(),
    LotStatus.DISCARDED: frozenset(),
}


class Sterility(models.TextChoices):
    PENDING = "pending", "Pending"
    NO_GROWTH = "no_growth", "No growth at 7 days"
    GROWTH = "growth", "Growth"


class Mycoplasma(models.TextChoices):
    PENDING = "pending", "Pending"
    NEGATIVE = "negative", "Negative"
    POSITIVE = "positive", "Positive"


_RELEASED_STATES = [LotStatus.RELEASED, LotStatus.ALLOCATED, LotStatus.ADMINISTERED]


class ProductLot(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="product_lots")
    din = models.CharField("donation identification number", max_length=13, unique=True)
    din_check = models.CharField("check character", max_length=1)
    product_code = models.CharField(max_length=8)
    product_type = models.CharField(max_length=20, choices=ProductType.choices)
    donor_code = models.CharField(max_length=40, help_text="Pseudonymous donor identifier")
    passage = models.PositiveSmallIntegerField(null=True, blank=True)
    cell_count = models.FloatField(null=True, blank=True, help_text="Viable cells in the unit")
    particle_count = models.FloatField(null=True, blank=True, help_text="Particles in the unit")
    volume_ml = models.FloatField()
    viability_pct = models.FloatField(null=True, blank=True)
    # Release tests
    sterility = models.CharField(max_length=12, choices=Sterility.choices, default=Sterility.PENDING)
    mycoplasma = models.CharField(max_length=12, choices=Mycoplasma.choices, default=Mycoplasma.PENDING)
    endotoxin_eu_per_ml = models.FloatField(null=True, blank=True)
    endotoxin_limit_eu_per_ml = models.FloatField(default=0.5)
    cd105_pct = models.FloatField(null=True, blank=True)
    cd73_pct = models.FloatField(null=True, blank=True)
    cd90_pct = models.FloatField(null=True, blank=True)
    cd45_pct = models.FloatField(null=True, blank=True)
    cd34_pct = models.FloatField(null=True, blank=True)
    cd14_cd11b_pct = models.FloatField("CD14 or CD11b %", null=True, blank=True)
    cd79a_cd19_pct = models.FloatField("CD79α or CD19 %", null=True, blank=True)
    hla_dr_pct = models.FloatField("HLA-DR %", null=True, blank=True)
    # Expiry
    expires_at = models.DateTimeField()
    expiry_after_thaw_hours = models.FloatField(default=4.0)
    thawed_at = models.DateTimeField(null=True, blank=True)
    thaw_expires_at = models.DateTimeField(null=True, blank=True)
    # Status
    status = models.CharField(max_length=20, choices=LotStatus.choices, default=LotStatus.QUARANTINE)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    discard_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["expires_at", "din"]
        indexes = [models.Index(fields=["site", "status", "expires_at"])]
        constraints = [
            models.CheckConstraint(condition=Exact(Length("din"), 13), name="lot_din_13_chars"),
            models.CheckConstraint(condition=Exact(Length("din_check"), 1), name="lot_din_check_1_char"),
            models.CheckConstraint(condition=models.Q(status__in=LotStatus.values), name="lot_status_valid"),
            models.CheckConstraint(
                condition=models.Q(product_type__in=ProductType.values), name="lot_product_type_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(viability_pct__isnull=True)
                | models.Q(viability_pct__gte=0, viability_pct__lte=100),
                name="lot_viability_0_100",
            ),
            models.CheckConstraint(condition=models.Q(volume_ml__gt=0), name="lot_volume_positive"),
            models.CheckConstraint(
                condition=models.Q(expiry_after_thaw_hours__gt=0), name="lot_thaw_expiry_positive"
            ),
            # A lot that has ever been released carries who released it, and
            # passed sterility and mycoplasma: no release without results.
            models.CheckConstraint(
                condition=~models.Q(status__in=_RELEASED_STATES)
                | models.Q(
                    released_by__isnull=False,
                    released_at__isnull=False,
                    sterility=Sterility.NO_GROWTH,
                    mycoplasma=Mycoplasma.NEGATIVE,
                ),
                name="lot_released_needs_passing_tests",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=LotStatus.DISCARDED) | ~models.Q(discard_reason=""),
                name="lot_discard_needs_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(thawed_at__isnull=True) | models.Q(thaw_expires_at__isnull=False),
                name="lot_thawed_has_thaw_expiry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.din} {self.din_check} ({self.get_product_type_display()})"

    @property
    def is_exosome(self) -> bool:
        return self.product_type == ProductType.MSC_EXOSOME

    @property
    def din_display(self) -> str:
        n = self.din
        return f"{n[:5]} {n[5:7]} {n[7:]} {self.din_check}"


class CustodyKind(models.TextChoices):
    RECEIVED = "received", "Received into quarantine"
    TESTED = "tested", "Release results recorded"
    RELEASED = "released", "Released"
    ALLOCATED = "allocated", "Allocated to an administration"
    DEALLOCATED = "deallocated", "Allocation withdrawn"
    THAWED = "thawed", "Thawed / prepared"
    ADMINISTERED = "administered", "Administered"
    DISCARDED = "discarded", "Discarded"


class CustodyEvent(models.Model):
    """One hand-over or state change in a unit's chain of custody.

    Written only by services, never edited: together with the audit trail it
    answers "where was this unit and who had it" at any time.
    """

    Kind = CustodyKind

    lot = models.ForeignKey(ProductLot, on_delete=models.PROTECT, related_name="custody_events")
    kind = models.CharField(max_length=20, choices=CustodyKind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    location = models.CharField(max_length=120, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=CustodyKind.values), name="custody_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.lot.din}"
