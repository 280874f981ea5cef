from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "weibao.sla"
    label = "sla"
    verbose_name = "服务级别"
