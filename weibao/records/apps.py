from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "weibao.records"
    label = "records"
    verbose_name = "服务记录"
