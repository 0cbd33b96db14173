from django.urls import path

from stromal.examinations import views

app_name = "examinations"

urlpatterns = [
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/amend/", views.amend, name="amend"),
    path("schedule/<int:patient_pk>/", views.schedule, name="schedule"),
]
