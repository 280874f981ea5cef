from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "weibao.core"
    label = "core"
    verbose_name = "核心"

    def ready(self) -> None:
        from weibao.config import schedules  # noqa: F401  (registers periodic tasks)
