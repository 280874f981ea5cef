from django.urls import path

from weibao.api.v1 import notify

urlpatterns = [
    path("notifications", notify.NotificationListView.as_view(), name="notification-list"),
    path("notifications/read-all", notify.NotificationReadAllView.as_view(), name="notification-read-all"),
    path("notifications/<str:public_id>/read", notify.NotificationReadView.as_view(), name="notification-read"),
]
