from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "weibao.portal"
    label = "portal"
    verbose_name = "客户门户"
