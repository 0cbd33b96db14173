"""Second-factor pages, mounted at ``/accounts/mfa/`` (namespace ``mfa``)."""

from django.urls import path

from stromal.mfa import views

app_name = "mfa"

urlpatterns = [
    path("", views.manage, name="manage"),
    path("verify/", views.verify, name="verify"),
    path("enrol/", views.enrol, name="enrol"),
    path("codes/", views.codes, name="codes"),
    path("users/", views.site_users, name="users"),
    path("users/<int:user_id>/reset/", views.reset, name="reset"),
]
