from django.urls import path

from stromal.outcomes import views

app_name = "outcomes"

urlpatterns = [
    path("", views.cohort_page, name="cohort"),
    path("flow/", views.flow_page, name="flow"),
    path("survival/", views.survival_page, name="survival"),
    path("trajectories/", views.trajectories_page, name="trajectories"),
    path("safety/", views.safety_page, name="safety"),
    path("<slug:page>/<slug:name>.csv", views.table_csv, name="csv"),
]
