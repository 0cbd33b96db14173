from django.urls import path

from stromal.staff import views

app_name = "staff"

urlpatterns = [
    path("", views.index, name="index"),
    path("users/", views.user_list, name="users"),
    path("users/new/", views.user_new, name="user_new"),
    path("users/<int:user_id>/", views.user_detail, name="user"),
    path("users/<int:user_id>/edit/", views.user_edit, name="user_edit"),
    path("users/<int:user_id>/active/", views.user_active, name="user_active"),
    path("users/<int:user_id>/password-link/", views.user_password_link, name="user_password_link"),
    path("sites/", views.site_list, name="sites"),
    path("sites/new/", views.site_new, name="site_new"),
    path("sites/<int:site_id>/edit/", views.site_edit, name="site_edit"),
    path("security/", views.security_log, name="security"),
    path("security/locks/", views.locks, name="locks"),
]
