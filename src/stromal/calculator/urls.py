from django.urls import path

from stromal.calculator import views

app_name = "calculator"

urlpatterns = [path("", views.calculator, name="ards")]
