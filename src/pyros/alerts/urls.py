"""The Alerts pages, under /alerts/."""

from django.urls import path

from pyros.alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.alert_list, name="alert-list"),
    path("part/", views.alert_list_part, name="alert-list-part"),
    path("refused/", views.refused, name="refused"),
    path("strategy/", views.strategy, name="strategy"),
    path("strategy/<int:version>/", views.strategy_version, name="strategy-version"),
    path("packets/<int:pk>/", views.packet_raw, name="packet"),
    path("<int:pk>/", views.alert_detail, name="alert-detail"),
    path("<int:pk>/part/", views.alert_detail_part, name="alert-detail-part"),
]
