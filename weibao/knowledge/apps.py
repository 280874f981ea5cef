from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "weibao.knowledge"
    label = "knowledge"
    verbose_name = "知识库"

    def ready(self) -> None:
        from weibao.knowledge import search_source

        search_source.register()
