from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "weibao.staff"
    label = "staff"
    verbose_name = "工作台"
