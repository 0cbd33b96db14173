"""Who may read the registry's analytics, and which sites they see.

Investigators and monitors read the analytics of their own site. A reader who
holds the permission ``exports.all_sites`` (granted by an administrator to a
study-wide investigator or monitor, for example the sponsor's monitor or the
coordinating investigator) reads every site. Every other role is refused, and a
site outside the reader's scope is refused like a record of another site.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied

from stromal.accounts.models import Site, User
from stromal.accounts.roles import Role
from stromal.patients.guards import require_role, site_id_of

#: The roles that read the analytics and export data.
ANALYTICS_ROLES = (Role.INVESTIGATOR, Role.MONITOR)
#: The permission that widens a reader's scope from their own site to every site.
STUDY_WIDE_PERMISSION = "exports.all_sites"
OTHER_SITE_REFUSED = "Site {code}: you may read only your own site's data."


@dataclass(frozen=True)
class Scope:
    """The sites a reader sees: ``site_ids`` None means every site (a study-wide reader)."""

    site_ids: frozenset[int] | None

    @property
    def study_wide(self) -> bool:
        return self.site_ids is None

    def sites(self) -> list[Site]:
        """The sites in scope, by code."""
        qs = Site.objects.all() if self.site_ids is None else Site.objects.filter(pk__in=self.site_ids)
        return list(qs.order_by("code"))

    def narrowed_to(self, site: Site | None) -> Scope:
        """This scope restricted to ``site`` (None: unchanged).

        Raises:
            PermissionDenied: ``site`` lies outside the scope.
        """
        if site is None:
            return self
        if self.site_ids is not None and site.pk not in self.site_ids:
            raise PermissionDenied(OTHER_SITE_REFUSED.format(code=site.code))
        return Scope(frozenset({site.pk}))


def reader_scope(user: User) -> Scope:
    """The scope of an analytics reader.

    Raises:
        PermissionDenied: the user is not an active investigator or monitor, or
            a site-bound reader has no site.
    """
    require_role(user, "read the registry's analytics", *ANALYTICS_ROLES)
    if user.has_perm(STUDY_WIDE_PERMISSION):
        return Scope(None)
    return Scope(frozenset({site_id_of(user)}))
