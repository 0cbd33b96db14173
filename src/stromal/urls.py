"""URL map. Each app mounts its own ``urls.py`` under a prefix."""

from django.urls import include, path, re_path

from stromal import views
from stromal.api import api as rest_api
from stromal.audit import views as audit_views
from stromal.staff import views as staff_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/mfa/", include("stromal.mfa.urls")),
    path("accounts/", include("stromal.accounts.urls")),
    # The one-time link an administrator hands over to set a password (no sign-in needed).
    path("password/set/<uidb64>/<token>/", staff_views.password_set, name="password_set"),
    path("admin/", include("stromal.staff.urls")),
    path("calculator/", include("stromal.calculator.urls")),
    path("products/", include("stromal.products.urls")),
    path("administrations/", include("stromal.administrations.urls")),
    path("followup/", include("stromal.followup.urls")),
    path("", include("stromal.intake.urls")),
    path("patients/<int:pk>/audit/", audit_views.patient_trail, name="patient_audit"),
    path("patients/", include("stromal.patients.urls")),
    path("audit/", include("stromal.audit.urls")),
    path("monitoring/", include("stromal.monitoring.urls")),
    path("protocols/", include("stromal.protocols.urls")),
    path("examinations/", include("stromal.examinations.urls")),
    path("plans/", include("stromal.plans.urls")),
    path("pathway/", include("stromal.pathway.urls")),
    path("outcomes/", include("stromal.outcomes.urls")),
    path("exports/", include("stromal.exports.urls")),
    path("insilico/", include("stromal.insilico.urls")),
    path("api/v1/", include((rest_api.urlpatterns(), "api-v1"), namespace="api-v1")),
    re_path(r"^api/v1/(?P<rest>.*)$", rest_api.not_found),
    path("api/tokens/", include("stromal.api.urls")),
    path("fhir/", include("stromal.fhir.urls")),
]

handler403 = "stromal.views.forbidden"
handler400 = "stromal.views.bad_request"
handler404 = "stromal.views.not_found"
handler500 = "stromal.views.server_error"
