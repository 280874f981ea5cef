"""Routes for service requests (namespace api-v1)."""

from django.urls import path

from weibao.api.v1 import tickets as v

urlpatterns = [
    path("tickets", v.TicketListView.as_view(), name="ticket-list"),
    path("tickets/<str:public_id>", v.TicketDetailView.as_view(), name="ticket-detail"),
    path("tickets/<str:public_id>/transitions", v.TicketTransitionView.as_view(), name="ticket-transitions"),
    path("tickets/<str:public_id>/assignment", v.TicketAssignmentView.as_view(), name="ticket-assignment"),
    path("tickets/<str:public_id>/messages", v.TicketMessagesView.as_view(), name="ticket-messages"),
    path("tickets/<str:public_id>/attachments", v.TicketAttachmentsView.as_view(), name="ticket-attachments"),
    path("tickets/<str:public_id>/attachments/<str:attachment_id>", v.TicketAttachmentDownloadView.as_view(),
         name="ticket-attachment-download"),
    path("tickets/<str:public_id>/events", v.TicketEventsView.as_view(), name="ticket-events"),
]
