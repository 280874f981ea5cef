from django.urls import path

from weibao.staff import monitoring_views as v

urlpatterns = [
    path("monitoring/", v.status_overview, name="monitoring-status"),
    path("monitoring/alarms/", v.alarm_list, name="alarm-list"),
    path("monitoring/alarms/<str:public_id>/", v.alarm_detail, name="alarm-detail"),
    path("monitoring/sources/", v.source_list, name="alarm-source-list"),
    path("monitoring/sources/<str:public_id>/flap-window/", v.source_flap_window, name="alarm-source-flap-window"),
    path("monitoring/maintenance/", v.maintenance_list, name="maintenance-list"),
    path("monitoring/inspections/<str:public_id>.pdf", v.inspection_pdf, name="inspection-pdf"),
    path("monitoring/ack/<str:token>/", v.ack_link, name="alarm-ack-link"),
]
