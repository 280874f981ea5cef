"""Knowledge articles and search, every route × every persona."""

from __future__ import annotations

from tests.knowledge.factories import world_articles
from tests.tenancy.matrix import Case, expect

ANY_USER_API = expect(200, anonymous=401)
STAFF_API = expect(403, anonymous=401, engineer=200, manager=200, admin=200)


def _a(w, key: str) -> str:  # type: ignore[no-untyped-def]
    return world_articles(w)[key].public_id


def _titles(response) -> set[str]:  # type: ignore[no-untyped-def]
    data = response.json()
    rows = data["results"]
    return {row["title"].split(" ")[0] for row in rows}


def _visible(w, persona, response):  # type: ignore[no-untyped-def]
    """Customers see published public articles and their own organisation's; never internal or drafts."""
    if response.status_code != 200:
        return
    seen = _titles(response)
    expected = {
        "customer_a": {"公开文章", "甲单位专用"},
        "customer_admin_a": {"公开文章", "甲单位专用"},
        "customer_b": {"公开文章"},
    }.get(persona, {"公开文章", "甲单位专用", "内部", "草稿"})
    assert seen == expected, (persona, seen)


CASES = [
    Case("api-v1:search", "GET", lambda w: (world_articles(w), "/api/v1/search?q=网关超时&type=article")[1],
         ANY_USER_API, check=_visible),
    Case("api-v1:search", "GET", lambda w: (world_articles(w), '/api/v1/search?q="网关" NEAR(* -超时)')[1],
         ANY_USER_API, name="fts syntax"),
    Case("api-v1:article-list", "GET", lambda w: (world_articles(w), "/api/v1/articles")[1], ANY_USER_API, check=_visible),
    Case("api-v1:article-list", "POST", lambda w: "/api/v1/articles", expect(403, anonymous=401, engineer=201, manager=201, admin=201),
         body=lambda w: {"title": "新文章", "body": "正文", "audience": "internal"}),
    Case("api-v1:article-detail", "GET", lambda w: f"/api/v1/articles/{_a(w, 'public')}", ANY_USER_API),
    Case("api-v1:article-detail", "GET", lambda w: f"/api/v1/articles/{_a(w, 'org_a')}",
         expect(200, anonymous=401, customer_b=404), name="org a"),
    Case("api-v1:article-detail", "GET", lambda w: f"/api/v1/articles/{_a(w, 'internal')}",
         expect(404, anonymous=401, engineer=200, manager=200, admin=200), name="internal"),
    Case("api-v1:article-detail", "GET", lambda w: f"/api/v1/articles/{_a(w, 'draft')}",
         expect(404, anonymous=401, engineer=200, manager=200, admin=200), name="draft"),
    Case("api-v1:article-detail", "PATCH", lambda w: f"/api/v1/articles/{_a(w, 'public')}",
         expect(403, anonymous=401, engineer=200, manager=200, admin=200), body=lambda w: {"summary": "新摘要"}),
    Case("api-v1:article-detail", "PATCH", lambda w: f"/api/v1/articles/{_a(w, 'internal')}",
         expect(404, anonymous=401, engineer=200, manager=200, admin=200), body=lambda w: {"summary": "新摘要"}, name="internal"),
    Case("api-v1:article-transitions", "POST", lambda w: f"/api/v1/articles/{_a(w, 'draft')}/transitions",
         expect(404, anonymous=401, engineer=200, manager=200, admin=200), body=lambda w: {"transition": "submit"}),
    Case("api-v1:article-transitions", "POST", lambda w: f"/api/v1/articles/{_a(w, 'public')}/transitions",
         expect(403, anonymous=401, engineer=403, manager=200, admin=200), body=lambda w: {"transition": "archive"},
         name="archive"),
    Case("api-v1:article-revisions", "GET", lambda w: f"/api/v1/articles/{_a(w, 'public')}/revisions", STAFF_API),
    Case("api-v1:article-revisions", "GET", lambda w: f"/api/v1/articles/{_a(w, 'internal')}/revisions",
         expect(404, anonymous=401, engineer=200, manager=200, admin=200), name="internal"),
    Case("api-v1:article-feedback", "POST", lambda w: f"/api/v1/articles/{_a(w, 'public')}/feedback",
         expect(201, anonymous=401), body=lambda w: {"helpful": True, "comment": "有用"}),
    Case("api-v1:article-feedback", "POST", lambda w: f"/api/v1/articles/{_a(w, 'org_a')}/feedback",
         expect(201, anonymous=401, customer_b=404), body=lambda w: {"helpful": False}, name="org a"),
]
