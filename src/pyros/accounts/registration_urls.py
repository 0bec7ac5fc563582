"""URLs of registration and of one's own account (names without a namespace, as
Django's own password views expect them)."""

from django.urls import path

from pyros.accounts import registration_views as views
from pyros.accounts import token_views
from pyros.accounts.throttling import throttle_logins

MAILS = "Too many registrations or password resets from your address."

urlpatterns = [
    path("register/", throttle_logins(views.register, MAILS), name="register"),
    path("register/done/", views.register_done, name="register_done"),
    path("users/activate/<str:uidb64>/<str:token>/", views.activate_account,
         name="activate_account"),
    path("profile/", views.profile, name="profile"),
    path("profile/token/new/", token_views.rotate, name="profile_token_rotate"),
    path("profile/token/revoke/", token_views.revoke, name="profile_token_revoke"),
    path("profile/password/", views.password_change, name="password_change"),
    path("password/reset/", throttle_logins(views.password_reset, MAILS),
         name="password_reset"),
    path("password/reset/sent/", views.password_reset_done, name="password_reset_done"),
    path("password/reset/<str:uidb64>/<str:token>/", views.password_reset_confirm,
         name="password_reset_confirm"),
    path("password/reset/complete/", views.password_reset_complete,
         name="password_reset_complete"),
]
