from django.urls import path

from stromal.pathway import views

app_name = "pathway"

urlpatterns = [
    path("worklist/", views.worklist_view, name="worklist"),
    path("worklist/<slug:key>/", views.worklist_section_view, name="worklist_section"),
    path("patients/<int:pk>/", views.patient_page_view, name="patient"),
]
