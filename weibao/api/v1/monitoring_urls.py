from django.urls import path

from weibao.api.v1 import monitoring

urlpatterns = [
    path("alarm-sources", monitoring.AlarmSourceListView.as_view(), name="alarm-source-list"),
    path("alarm-sources/<str:public_id>/webhook", monitoring.WebhookView.as_view(), name="alarm-source-webhook"),
    path("alarms", monitoring.AlarmListView.as_view(), name="alarm-list"),
    path("alarms/<str:public_id>", monitoring.AlarmDetailView.as_view(), name="alarm-detail"),
    path("alarms/<str:public_id>/transitions", monitoring.AlarmTransitionView.as_view(), name="alarm-transition"),
]

from weibao.api.v1 import monitoring_ops  # noqa: E402

urlpatterns += [
    path("probes", monitoring_ops.ProbeListView.as_view(), name="probe-list"),
    path("heartbeats/<str:token>", monitoring_ops.HeartbeatView.as_view(), name="heartbeat"),
    path("maintenance-windows", monitoring_ops.MaintenanceWindowListView.as_view(), name="maintenance-window-list"),
    path("monitoring/status", monitoring_ops.StatusView.as_view(), name="monitoring-status"),
]
