from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "weibao.customers"
    label = "customers"
    verbose_name = "合同与系统"
