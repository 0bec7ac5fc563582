from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from pyros.accounts.login_forms import AdminLoginForm, LoginForm
from pyros.accounts.throttling import throttle_logins
from pyros.web import api_docs, simclock, views

admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("login/", throttle_logins(auth_views.LoginView.as_view(form_class=LoginForm)),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("pyros.accounts.registration_urls")),
    path("requests/", include("pyros.observations.urls")),
    path("programs/", include("pyros.programs.urls")),
    path("system/", include("pyros.agents.urls")),
    path("instruments/", include("pyros.instruments.urls")),
    path("", include("pyros.monitoring.urls")),
    path("observatory/", include("pyros.majordome.urls")),
    path("schedule/", include("pyros.scheduling.urls")),
    path("alerts/", include("pyros.alerts.urls")),
    path("images/", include("pyros.archive.urls")),
    path("images/", include("pyros.analysis.urls")),
    path("config/", include("pyros.configpage.urls")),
    path("health/", include("pyros.health.urls")),
    path("users/", include("pyros.accounts.management_urls")),
    path("proposals/", include("pyros.proposals.urls")),
    path("api/", include("pyros.observations.api_urls")),
    path("api/", include("pyros.programs.api_urls")),
    path("api/", include("pyros.agents.api_urls")),
    path("api/", include("pyros.instruments.api_urls")),
    path("api/", include("pyros.monitoring.api_urls")),
    path("api/", include("pyros.majordome.api_urls")),
    path("api/", include("pyros.scheduling.api_urls")),
    path("api/", include("pyros.alerts.api_urls")),
    path("api/", include("pyros.analysis.api_urls")),
    path("api/", include("pyros.archive.api_urls")),
    path("api/", include("pyros.accounts.management_api_urls")),
    path("api/", include("pyros.proposals.api_urls")),
    path("api/", include("pyros.jobs.api_urls")),
    path("api/clock/", simclock.ClockView.as_view(), name="api-clock"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs.swagger, name="api-docs"),
    path("api/redoc/", api_docs.redoc, name="api-redoc"),
    # The admin's login, counted against the address's login rate as the site's is.
    path("admin/login/", throttle_logins(admin.site.login), name="admin-login"),
    path("admin/", admin.site.urls),
]

# Unmatched URLs and uncaught errors: the site's pages, JSON under /api/ (web/errors.py).
handler404 = "pyros.web.errors.not_found"
handler500 = "pyros.web.errors.server_error"
