from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "weibao.sla"
    label = "sla"
    verbose_name = "服务级别"

    def ready(self) -> None:
        from weibao.sla import checks, events  # noqa: F401  (`weibao check` line, outbox handler)
        from weibao.sla.calendars import working_days_between_for
        from weibao.tickets.states import set_working_days_provider

        # tickets count auto-close working days on our calendar (holidays, 调休) without importing sla
        set_working_days_provider(working_days_between_for)
