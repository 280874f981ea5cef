"""Articles in a given state, indexed for search, for the knowledge and search tests."""

from __future__ import annotations

from typing import Any

from tests.personas import World
from weibao.accounts.models import Organisation, User
from weibao.knowledge import services
from weibao.knowledge.models import Article, Audience
from weibao.search.index import index_object


def article(author: User, *, title: str = "接口网关超时的处理方法", body: str = "重启接口网关服务，检查数据库连接池。",
            audience: str = Audience.PUBLIC, organisations: list[Organisation] | None = None, publish: bool = True,
            manager: User | None = None, **kwargs: Any) -> Article:
    a = services.article_create(actor=author, title=title, body=body, audience=audience,
                                organisations=organisations or [], **kwargs)
    if publish:
        services.article_transition(actor=author, article=a, transition="submit")
        services.article_transition(actor=manager or author, article=a, transition="publish")
    a.refresh_from_db()
    index_object("article", a.id)
    return a


def world_articles(w: World) -> dict[str, Article]:
    """One article per audience (published) and a draft, created once per world."""
    if "articles" not in w.extra:
        eng, mgr = w.users["engineer"], w.users["manager"]
        w.extra["articles"] = {
            "public": article(eng, manager=mgr, title="公开文章 网关超时", body="公开 网关超时 处理步骤"),
            "org_a": article(eng, manager=mgr, title="甲单位专用 网关超时", body="甲单位 网关超时 专用说明",
                             audience=Audience.ORGS, organisations=[w.org_a]),
            "internal": article(eng, manager=mgr, title="内部 网关超时 排查手册", body="内部 网关超时 数据库密码位置",
                                audience=Audience.INTERNAL),
            "draft": article(eng, title="草稿 网关超时", body="草稿 网关超时", publish=False),
        }
    return w.extra["articles"]  # type: ignore[no-any-return]


def world_attachment(w: World) -> tuple[Article, str]:
    """A text attachment on the organisation-A article (found by search, downloadable by A and staff)."""
    from weibao.knowledge.services import article_attach

    if "kb_attachment" not in w.extra:
        a = world_articles(w)["org_a"]
        att = article_attach(actor=w.users["engineer"], article=a, filename="手册.txt", content="附件里的独特词 蓝鲸".encode())
        index_object("article", a.id)
        w.extra["kb_attachment"] = (a, att.public_id)
    return w.extra["kb_attachment"]  # type: ignore[no-any-return]
