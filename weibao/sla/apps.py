from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "weibao.sla"
    label = "sla"
    verbose_name = "服务级别"

    def ready(self) -> None:
        from weibao.sla import checks  # noqa: F401  (registers the `weibao check` line)
