from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "weibao.mail"
    label = "mail"
    verbose_name = "邮件"
