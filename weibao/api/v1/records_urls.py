from django.urls import path

from weibao.api.v1 import records

urlpatterns = [
    path("tickets/<str:public_id>/records", records.RecordListView.as_view(), name="record-list"),
    path("tickets/<str:public_id>/records/<str:kind>", records.RecordFileView.as_view(), name="record-file"),
    path("tickets/<str:public_id>/assessment-record", records.AssessmentRecordView.as_view(), name="record-assessment"),
    path("tickets/<str:public_id>/work-order", records.WorkOrderRecordView.as_view(), name="record-work-order"),
    path("tickets/<str:public_id>/acceptance/sign", records.AcceptanceSignView.as_view(), name="record-acceptance-sign"),
    path("tickets/<str:public_id>/archive", records.ArchiveView.as_view(), name="record-archive"),
]
