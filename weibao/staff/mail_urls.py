from django.urls import path

from weibao.staff import mail_views

urlpatterns = [
    path("mail/", mail_views.quarantine, name="mail-quarantine"),
    path("mail/<int:inbound_id>/", mail_views.message, name="mail-message"),
    path("mail/<int:inbound_id>/reprocess/", mail_views.reprocess, name="mail-reprocess"),
    path("mail/<int:inbound_id>/raw/", mail_views.raw, name="mail-raw"),
]
