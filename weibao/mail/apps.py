from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "weibao.mail"
    label = "mail"
    verbose_name = "邮件"

    def ready(self) -> None:
        from weibao.mail import checks, outbound  # noqa: F401  (outbox handler, `weibao check` lines)
