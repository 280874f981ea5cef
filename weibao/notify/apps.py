from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "weibao.notify"
    label = "notify"
    verbose_name = "通知"
