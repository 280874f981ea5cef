from django.urls import path

from weibao.staff import ticket_aftercare_views as aftercare
from weibao.staff import ticket_views as views
from weibao.staff import ticket_work_views as work

urlpatterns = [
    path("tickets/", views.ticket_queue, name="ticket-queue"),
    path("tickets/intake/", work.ticket_intake, name="ticket-intake"),
    path("tickets/intake/callers/", work.intake_lookup, name="ticket-intake-lookup"),
    path("tickets/bulk/", work.ticket_bulk, name="ticket-bulk"),
    path("tickets/overview/", aftercare.ticket_overview, name="ticket-overview"),
    path("tickets/follow-ups/", aftercare.followup_queue, name="followup-queue"),
    path("tickets/quality/", aftercare.quality_queue, name="quality-queue"),
    path("tickets/<str:public_id>/", views.ticket_detail, name="ticket-detail"),
    path("tickets/<str:public_id>/reply/", views.ticket_reply, name="ticket-reply"),
    path("tickets/<str:public_id>/transition/", views.ticket_transition, name="ticket-transition"),
    path("tickets/<str:public_id>/assign/", views.ticket_assign, name="ticket-assign"),
    path("tickets/<str:public_id>/update/", views.ticket_update, name="ticket-update"),
    path("tickets/<str:public_id>/link/", views.ticket_link, name="ticket-link"),
    path("tickets/<str:public_id>/watch/", work.ticket_watch, name="ticket-watch"),
    path("tickets/<str:public_id>/consent/", work.ticket_consent, name="ticket-consent"),
    path("tickets/<str:public_id>/solution-plan/", work.ticket_solution_plan, name="ticket-solution-plan"),
    path("tickets/<str:public_id>/entitlement/", work.ticket_entitlement, name="ticket-entitlement"),
    path("tickets/<str:public_id>/children/", work.ticket_child, name="ticket-child"),
    path("tickets/<str:public_id>/time/", aftercare.time_entry_add, name="ticket-time"),
    path("tickets/<str:public_id>/visits/", aftercare.visit_add, name="ticket-visit"),
    path("tickets/<str:public_id>/follow-up/", aftercare.followup_record, name="ticket-followup"),
    path("tickets/<str:public_id>/quality/", aftercare.quality_record, name="ticket-quality"),
    path("tickets/<str:public_id>/attachments/<str:attachment_id>/", work.ticket_attachment, name="ticket-attachment"),
]
