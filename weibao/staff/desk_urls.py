from django.urls import path

from weibao.staff import desk_views

urlpatterns = [
    path("desk/", desk_views.desk_settings, name="desk-settings"),
    path("desk/matrix/", desk_views.matrix_save, name="desk-matrix"),
    path("desk/rules/", desk_views.rule_save, name="desk-rule-save"),
    path("desk/rules/<int:rule_id>/delete/", desk_views.rule_delete, name="desk-rule-delete"),
    path("desk/teams/<int:team_id>/duty/", desk_views.duty_set, name="desk-duty"),
]
