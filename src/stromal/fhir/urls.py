from django.urls import path

from stromal.fhir import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("Patient/<int:patient_id>", views.patient_read, name="patient"),
    path("Patient/<int:patient_id>/$everything", views.patient_everything, name="everything"),
    path("Patient/<int:patient_id>/$lab-import", views.lab_import_view, name="lab_import"),
    path("$export", views.export_kickoff_view, name="export"),
    path("Patient/$export", views.export_kickoff_view, name="patient_export"),
    path("$export-status/<uuid:job_id>", views.export_status, name="export_status"),
    path("$export-file/<uuid:job_id>/<str:name>", views.export_file, name="export_file"),
]
