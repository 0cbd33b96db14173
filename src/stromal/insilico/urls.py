from django.urls import path

from stromal.insilico import forecast_views, registry_views, views

app_name = "insilico"

urlpatterns = [
    path("trials/", views.trial_list, name="trial_list"),
    path("trials/new/", views.trial_new, name="trial_new"),
    path("trials/<int:pk>/", views.trial_detail, name="trial_detail"),
    path("trials/<int:pk>/status.json", views.trial_status, name="trial_status"),
    path("trials/<int:pk>/cancel/", views.trial_cancel, name="trial_cancel"),
    path("trials/<int:pk>/report/", views.trial_report, name="trial_report"),
    path("trials/<int:pk>/files/<str:name>", views.trial_download, name="trial_download"),
    path("forecasts/plan/<int:plan_pk>/", forecast_views.forecast_request, name="forecast_request"),
    path("forecasts/plan/<int:plan_pk>/status.json", forecast_views.forecast_status, name="forecast_status"),
    path("registry/", registry_views.registry_page, name="registry"),
    path("registry/<int:pk>/status.json", registry_views.registry_status, name="registry_status"),
]
