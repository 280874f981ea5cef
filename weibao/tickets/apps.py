from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "weibao.tickets"
    label = "tickets"
    verbose_name = "服务请求"

    def ready(self) -> None:
        from weibao.tickets import caches

        caches.connect()
