from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "weibao.portal"
    label = "portal"
    verbose_name = _("客户门户")
