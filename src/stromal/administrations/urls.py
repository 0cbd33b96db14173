from __future__ import annotations

from django.urls import path

from stromal.administrations import views

app_name = "administrations"

urlpatterns = [
    path("", views.session_list_view, name="list"),
    path("plan/<int:plan_pk>/schedule/", views.schedule_view, name="schedule"),
    path("<int:pk>/", views.session_detail_view, name="detail"),
    path("<int:pk>/allocate/", views.allocate_view, name="allocate"),
    path("<int:pk>/prepare/", views.prepare_view, name="prepare"),
    path("<int:pk>/check/", views.identity_check_view, name="check"),
    path("<int:pk>/start/", views.start_view, name="start"),
    path("<int:pk>/vitals/", views.vitals_view, name="vitals"),
    path("<int:pk>/interrupt/", views.interrupt_view, name="interrupt"),
    path("<int:pk>/resume/", views.resume_view, name="resume"),
    path("<int:pk>/given/", views.given_view, name="given"),
    path("<int:pk>/off-schedule/", views.off_schedule_view, name="off_schedule"),
    path("<int:pk>/confirm-stop/", views.confirm_stop_view, name="confirm_stop"),
    path("<int:pk>/adverse-event/", views.ae_report_view, name="ae_report"),
    path("adverse-events/", views.ae_list_view, name="ae_list"),
    path("adverse-events/<int:pk>/", views.ae_detail_view, name="ae_detail"),
    path("adverse-events/<int:pk>/grade/", views.ae_grade_view, name="ae_grade"),
]
