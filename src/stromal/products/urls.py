from __future__ import annotations

from django.urls import path

from stromal.products import views

app_name = "products"

urlpatterns = [
    path("", views.lot_list_view, name="list"),
    path("receive/", views.lot_receive_view, name="receive"),
    path("<int:pk>/", views.lot_detail_view, name="detail"),
    path("<int:pk>/results/", views.lot_results_view, name="results"),
    path("<int:pk>/release/", views.lot_release_view, name="release"),
    path("<int:pk>/discard/", views.lot_discard_view, name="discard"),
]
