from django.urls import path

from stromal.intake import views

app_name = "intake"

urlpatterns = [
    path("request/", views.public_request, name="public_request"),
    path("request/thanks/", views.thanks, name="thanks"),
    path("intake/", views.queue, name="queue"),
    path("intake/<int:pk>/", views.detail, name="detail"),
]
