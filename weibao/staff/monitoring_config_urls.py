from django.urls import path

from weibao.staff import monitoring_config_views as v

urlpatterns = [
    path("monitoring/probes/", v.probe_list, name="monitoring-probes"),
    path("monitoring/probes/<str:public_id>/", v.probe_detail, name="monitoring-probe"),
    path("monitoring/probes/<str:public_id>/delete/", v.probe_delete, name="monitoring-probe-delete"),
    path("monitoring/rotas/", v.rota_list, name="monitoring-rotas"),
    path("monitoring/rotas/<int:rota_id>/", v.rota_detail, name="monitoring-rota"),
    path("monitoring/rotas/<int:rota_id>/overrides/", v.rota_override_add, name="monitoring-rota-override"),
    path("monitoring/rotas/<int:rota_id>/overrides/<int:override_id>/delete/", v.rota_override_delete,
         name="monitoring-rota-override-delete"),
    path("monitoring/policies/", v.policy_list, name="monitoring-policies"),
    path("monitoring/policies/handling/", v.severity_policy_save, name="monitoring-severity-policy"),
    path("monitoring/inspection-plans/", v.inspection_plan_list, name="monitoring-inspection-plans"),
    path("monitoring/inspection-plans/<str:public_id>/run/", v.inspection_plan_run, name="monitoring-inspection-run"),
]
