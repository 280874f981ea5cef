from django.urls import path

from weibao.api.v1 import sla

urlpatterns = [
    path("calendars", sla.CalendarListView.as_view(), name="calendar-list"),
    path("calendars/<str:public_id>/due", sla.CalendarDueView.as_view(), name="calendar-due"),
    path("holidays", sla.HolidayListView.as_view(), name="holiday-list"),
    path("holidays/import", sla.HolidayImportView.as_view(), name="holiday-import"),
    path("tickets/<str:public_id>/sla", sla.TicketSlaView.as_view(), name="ticket-sla"),
    path("sla/report", sla.SlaReportView.as_view(), name="sla-report"),
    path("sla/report/export", sla.SlaReportExportView.as_view(), name="sla-report-export"),
]
