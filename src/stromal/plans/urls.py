from django.urls import path

from stromal.plans import views

app_name = "plans"

urlpatterns = [
    path("eligibility/run/<int:encounter_pk>/", views.eligibility_run, name="eligibility_run"),
    path("eligibility/<int:pk>/", views.eligibility, name="eligibility"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/revise/", views.revise, name="revise"),
    path("<int:pk>/sign/", views.sign, name="sign"),
    path("<int:pk>/meeting/", views.meeting, name="meeting"),
    path("<int:pk>/consent/", views.consent, name="consent"),
    path("<int:pk>/decision/", views.decision, name="decision"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/print/", views.plan_print, name="print"),
    path("consents/<int:pk>/print/", views.consent_print, name="consent_print"),
]
