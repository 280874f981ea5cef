"""Routes for service requests (namespace api-v1)."""

from django.urls import path

from weibao.api.v1 import tickets as v
from weibao.api.v1 import tickets_work as w

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

urlpatterns += [
    path("tickets/<str:public_id>/time-entries", w.TimeEntriesView.as_view(), name="ticket-time-entries"),
    path("tickets/<str:public_id>/visits", w.VisitsView.as_view(), name="ticket-visits"),
    path("tickets/<str:public_id>/survey", w.TicketSurveyView.as_view(), name="ticket-survey"),
    path("tickets/<str:public_id>/links", w.TicketLinksView.as_view(), name="ticket-links"),
    path("tickets/<str:public_id>/consent", w.TicketConsentView.as_view(), name="ticket-consent"),
    path("tickets/<str:public_id>/solution-plan", w.TicketSolutionPlanView.as_view(), name="ticket-solution-plan"),
    path("tickets/<str:public_id>/watchers", w.TicketWatchersView.as_view(), name="ticket-watchers"),
    path("tickets/<str:public_id>/follow-ups", w.TicketFollowUpView.as_view(), name="ticket-follow-ups"),
    path("tickets/<str:public_id>/quality-review", w.TicketQualityReviewView.as_view(), name="ticket-quality-review"),
    path("surveys/<str:token>", w.SurveyByTokenView.as_view(), name="survey-by-token"),
    path("follow-ups", w.FollowUpQueueView.as_view(), name="follow-up-queue"),
    path("quality-sample", w.QualitySampleView.as_view(), name="quality-sample"),
    path("canned-replies", w.CannedReplyListView.as_view(), name="canned-reply-list"),
]
