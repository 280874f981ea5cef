"""Search, suggestions, FAQ and the knowledge portal pages, every route × every persona."""

from __future__ import annotations

from tests.knowledge.factories import world_articles, world_attachment
from tests.tenancy.matrix import Case, expect

ANY_USER_API = expect(200, anonymous=401)
MANAGER_API = expect(403, anonymous=401, manager=200, admin=200)
EVERYONE = expect(200)
STAFF_ONLY_WEB = expect(404, anonymous=302, engineer=200, manager=200, admin=200)
STAFF_POST_WEB = expect(404, anonymous=302, engineer=302, manager=302, admin=302)
MANAGER_WEB = expect(404, anonymous=302, manager=200, admin=200)


def _a(w, key: str) -> str:  # type: ignore[no-untyped-def]
    return world_articles(w)[key].public_id


def _suggested(w, persona, response):  # type: ignore[no-untyped-def]
    if response.status_code != 200:
        return
    titles = {h["title"].split(" ")[0] for h in response.json()["articles"]}
    if persona in ("customer_a", "customer_admin_a"):
        assert titles == {"公开文章", "甲单位专用"}, titles
    elif persona == "customer_b":
        assert titles == {"公开文章"}, titles


def _attachment_hit(w, persona, response):  # type: ignore[no-untyped-def]
    if response.status_code != 200:
        return
    found = [h for h in response.json()["results"] if "蓝鲸" in h["snippet_html"]]
    assert bool(found) == (persona not in ("customer_b",)), (persona, found)


def _portal_search(w, persona, response):  # type: ignore[no-untyped-def]
    body = response.content.decode()
    assert "公开文章" in body
    assert ("甲单位专用" in body) == (persona in ("customer_a", "customer_admin_a", "engineer", "manager", "admin"))
    staff = persona in ("engineer", "manager", "admin")
    assert ("排查手册" in body) == staff  # the internal article's title
    assert "数据库密码" not in body or staff


CASES = [
    Case("api-v1:search", "GET", lambda w: (world_attachment(w), "/api/v1/search?q=蓝鲸")[1], ANY_USER_API,
         check=_attachment_hit, name="attachment text"),
    Case("api-v1:suggestions", "GET", lambda w: (world_articles(w), "/api/v1/suggestions?q=网关超时了怎么办")[1],
         ANY_USER_API, check=_suggested),
    Case("api-v1:suggestion-events", "POST", lambda w: "/api/v1/suggestions/events", expect(204, anonymous=401),
         body=lambda w: {"token": "tok-12345678", "event": "opened", "type": "article", "id": _a(w, "public")}),
    Case("api-v1:faq-groups", "GET", lambda w: "/api/v1/faq/groups?from=2026-01-01&to=2026-12-31", MANAGER_API),
    Case("api-v1:faq-drafts", "POST", lambda w: "/api/v1/faq/drafts", expect(403, anonymous=401, manager=404, admin=404),
         body=lambda w: {"tickets": ["no-such-ticket"]}),
    Case("api-v1:faq-subscription", "PUT", lambda w: "/api/v1/faq/subscription", ANY_USER_API, body=lambda w: {"active": True}),
    Case("api-v1:faq-deflection", "GET", lambda w: "/api/v1/faq/deflection", MANAGER_API),
    Case("api-v1:ticket-article-draft", "POST", lambda w: "/api/v1/tickets/no-such-ticket/article",
         expect(403, anonymous=401, engineer=404, manager=404, admin=404)),
    # --- the public portal -------------------------------------------------------------------
    Case("kb:index", "GET", lambda w: (world_articles(w), "/kb/")[1], EVERYONE, api=False),
    Case("kb:index", "GET", lambda w: (world_articles(w), "/kb/?q=网关超时")[1], EVERYONE, api=False,
         check=_portal_search, name="search"),
    Case("kb:article", "GET", lambda w: f"/kb/{_a(w, 'public')}", EVERYONE, api=False),
    Case("kb:article", "GET", lambda w: f"/kb/{_a(w, 'org_a')}", expect(200, anonymous=404, customer_b=404), api=False,
         name="org a"),
    Case("kb:article", "GET", lambda w: f"/kb/{_a(w, 'internal')}", expect(404, engineer=200, manager=200, admin=200),
         api=False, name="internal"),
    Case("kb:feedback", "POST", lambda w: f"/kb/{_a(w, 'public')}/feedback", expect(302), api=False,
         body=lambda w: {"helpful": "1"}, fmt="form"),
    Case("kb:attachment", "GET", lambda w: "/kb/{}/files/{}".format(*(lambda p: (p[0].public_id, p[1]))(world_attachment(w))),
         expect(200, anonymous=404, customer_b=404), api=False),
    Case("kb:subscribe", "POST", lambda w: "/kb/subscription", expect(302), api=False),
    # --- staff pages ---------------------------------------------------------------------------
    Case("staff:search", "GET", lambda w: (world_articles(w), "/staff/search/?q=网关超时")[1], STAFF_ONLY_WEB, api=False),
    Case("staff:kb-articles", "GET", lambda w: (world_articles(w), "/staff/kb/")[1], STAFF_ONLY_WEB, api=False),
    Case("staff:kb-review", "GET", lambda w: "/staff/kb/review/", STAFF_ONLY_WEB, api=False),
    Case("staff:kb-article-new", "GET", lambda w: "/staff/kb/new/", STAFF_ONLY_WEB, api=False),
    Case("staff:kb-faq", "GET", lambda w: "/staff/kb/faq/", MANAGER_WEB, api=False),
    Case("staff:kb-faq-draft", "POST", lambda w: "/staff/kb/faq/draft/", expect(404, anonymous=302, manager=302, admin=302),
         api=False),
    Case("staff:kb-dictionary", "GET", lambda w: "/staff/kb/dictionary/", STAFF_ONLY_WEB, api=False),
    Case("staff:kb-dictionary", "POST", lambda w: "/staff/kb/dictionary/", expect(404, anonymous=302, manager=302, admin=302),
         api=False, name="add"),
    Case("staff:kb-from-ticket", "POST", lambda w: "/staff/kb/from-ticket/no-such-ticket/", expect(404, anonymous=302),
         api=False),
    Case("staff:kb-article", "GET", lambda w: f"/staff/kb/articles/{_a(w, 'internal')}", STAFF_ONLY_WEB, api=False),
    Case("staff:kb-article-edit", "GET", lambda w: f"/staff/kb/articles/{_a(w, 'public')}/edit/", STAFF_ONLY_WEB, api=False),
    Case("staff:kb-article-diff", "GET", lambda w: f"/staff/kb/articles/{_a(w, 'public')}/diff/", STAFF_ONLY_WEB, api=False),
    Case("staff:kb-article-transition", "POST", lambda w: f"/staff/kb/articles/{_a(w, 'draft')}/transition/",
         STAFF_POST_WEB, api=False),
    Case("staff:kb-article-attach", "POST", lambda w: f"/staff/kb/articles/{_a(w, 'public')}/attach/", STAFF_POST_WEB,
         api=False),
]
