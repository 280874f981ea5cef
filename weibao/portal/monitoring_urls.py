from django.urls import path

from weibao.portal import monitoring_views as v

urlpatterns = [
    path("status/", v.status, name="monitoring-status"),
    path("status/inspections/<str:public_id>.pdf", v.inspection_pdf, name="inspection-pdf"),
]
