from django.urls import path

from stromal.audit import views

app_name = "audit"

urlpatterns = [
    path("records/<str:object_type>/<str:object_id>/", views.record_trail, name="record"),
    path("users/<int:user_id>/", views.user_trail, name="user"),
]
