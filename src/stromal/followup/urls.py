from __future__ import annotations

from django.urls import path

from stromal.followup import views

app_name = "followup"

urlpatterns = [
    path("", views.overdue_view, name="overdue"),
    path("patient/<int:patient_pk>/", views.calendar_view, name="calendar"),
    path("plan/<int:plan_pk>/discharge/", views.discharge_view, name="discharge"),
    path("visit/<int:pk>/", views.visit_view, name="visit"),
    path("visit/<int:pk>/amend/", views.visit_amend_view, name="amend"),
    path("visit/<int:pk>/complete/", views.visit_complete_view, name="complete"),
    path("visit/<int:pk>/missed/", views.visit_missed_view, name="missed"),
    path("visit/<int:pk>/instruments/<slug:code>/correct/", views.instrument_correct_view, name="correct"),
    path("visit/<int:pk>/adverse-event/", views.visit_adverse_event_view, name="adverse_event"),
]
