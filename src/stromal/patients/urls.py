from django.urls import path

from stromal.patients import views

app_name = "patients"

urlpatterns = [
    path("", views.patient_index, name="list"),
    path("new/", views.patient_new, name="new"),
    path("<int:pk>/edit/", views.patient_edit, name="edit"),
    path("<int:pk>/family/new/", views.related_new, name="related_new"),
]
