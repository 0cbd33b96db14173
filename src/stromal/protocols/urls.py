from django.urls import path

from stromal.protocols import views

app_name = "protocols"

urlpatterns = [
    path("", views.index, name="list"),
    path("<int:pk>/", views.detail, name="detail"),
]
