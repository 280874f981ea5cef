from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "weibao.search"
    label = "search"
    verbose_name = "搜索"
