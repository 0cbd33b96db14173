from django.urls import path

from stromal.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("", views.monitoring_index, name="index"),
    path("patients/<int:pk>/", views.patient_review, name="patient"),
    path("patients/<int:pk>/verify/", views.record_verify_view, name="verify"),
    path("patients/<int:pk>/queries/new/", views.query_open_view, name="query_open"),
    path("patients/<int:pk>/casebook/", views.casebook_print, name="casebook"),
    path("patients/<int:pk>/sign/", views.casebook_sign_view, name="sign"),
    path("patients/<int:pk>/unlock/", views.casebook_unlock_view, name="unlock"),
    path("queries/", views.query_list, name="queries"),
    path("queries/<int:pk>/", views.query_detail, name="query"),
]
