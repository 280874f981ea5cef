from typing import Any

from django.apps import AppConfig


def _dictionary_version() -> Any:
    from django.db import DatabaseError
    from django.db.models import Count, Max

    from weibao.search.models import UserWord

    try:
        agg = UserWord.objects.aggregate(n=Count("id"), at=Max("updated_at"))
    except DatabaseError:  # before migrations, e.g. `weibao migrate` itself
        return None
    return (agg["n"], agg["at"])


def _dictionary_words() -> list[tuple[str, int | None]]:
    from django.db import DatabaseError

    from weibao.search.models import UserWord

    try:
        return list(UserWord.objects.values_list("word", "freq"))
    except DatabaseError:
        return []


class SearchConfig(AppConfig):
    name = "weibao.search"
    label = "search"
    verbose_name = "搜索"

    def ready(self) -> None:
        from weibao.search import handlers, tokenizer

        tokenizer.set_user_dictionary_source(version=_dictionary_version, words=_dictionary_words)
        handlers.register()
