from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "weibao.notify"
    label = "notify"
    verbose_name = "通知"

    def ready(self) -> None:
        from weibao.notify import checks, events  # noqa: F401  (outbox handler, `weibao check` line)
