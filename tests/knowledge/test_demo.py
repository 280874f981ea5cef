"""The demo loader gives the knowledge portal published articles and FAQ, searchable at once."""

from __future__ import annotations

from typing import Any

from weibao.accounts.models import User
from weibao.demo import demo_load
from weibao.knowledge.models import Article
from weibao.knowledge.states import ArticleStatus
from weibao.search.query import Filters, search


def test_demo_articles_are_published_searchable_and_loaded_once(db: Any) -> None:
    demo_load()
    published = Article.objects.filter(status=ArticleStatus.PUBLISHED)
    assert published.count() >= 8 and published.filter(is_faq=True).count() >= 3
    hz, sn = User.objects.get(username="hz_user"), User.objects.get(username="sn_user")
    kb = Filters(kinds=("article",))
    assert [h.title for h in search(actor=hz, q="白名单", filters=kb).hits] == ["接口网关新增白名单 IP 的方法"]
    assert search(actor=sn, q="白名单", filters=kb).hits == []  # another customer's article
    assert search(actor=sn, q="现场支持 准备清单", filters=kb).hits == []  # internal
    assert any(h.title == "调度台画面卡顿的常见原因与处理" for h in search(actor=sn, q="调度台卡顿", filters=kb).hits)
    count = Article.objects.count()
    demo_load()
    assert Article.objects.count() == count
