from django.urls import path

from weibao.staff import sla_policy_views, sla_views

urlpatterns = [
    path("sla/calendars/", sla_views.calendar_list, name="sla-calendars"),
    path("sla/calendars/<str:public_id>/", sla_views.calendar_detail, name="sla-calendar"),
    path("sla/holidays/", sla_views.holiday_list, name="sla-holidays"),
    path("sla/report/", sla_views.report, name="sla-report"),
    path("sla/policies/", sla_policy_views.policy_list, name="sla-policies"),
    path("sla/policies/<str:public_id>/", sla_policy_views.policy_detail, name="sla-policy"),
    path("sla/policies/<str:public_id>/pause-statuses/", sla_policy_views.policy_pause_statuses, name="sla-policy-pause"),
]
