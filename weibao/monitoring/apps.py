from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "weibao.monitoring"
    label = "monitoring"
    verbose_name = "监控"

    def ready(self) -> None:
        from weibao.monitoring import checks, incidents, paging  # noqa: F401  (outbox handlers, `weibao check` lines)
