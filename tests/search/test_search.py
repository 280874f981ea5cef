"""Chinese and English search, ranking, snippets, filters, sanitising of what users type."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.knowledge.factories import article, world_articles
from weibao.knowledge.models import Audience
from weibao.search import query, tokenizer
from weibao.search.models import SearchDocument, UserWord
from weibao.search.query import Filters, search, snippet


def _titles(actor, q: str, **kw) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.title for h in search(actor=actor, q=q, **kw).hits]


def test_chinese_query_finds_article_by_word_inside_longer_text(world) -> None:
    eng, mgr = world.users["engineer"], world.users["manager"]
    article(eng, manager=mgr, title="医院信息系统无法登录", body="门诊医生登录时提示数据库连接池耗尽，需要调整连接池大小。")
    article(eng, manager=mgr, title="打印机卡纸", body="打开后盖取出纸张。")
    assert _titles(eng, "数据库连接池") == ["医院信息系统无法登录"]
    assert _titles(eng, "登录 失败 信息系统")[0] == "医院信息系统无法登录"  # partial match still ranks first
    assert _titles(eng, "打印机") == ["打印机卡纸"]


def test_english_query_is_case_insensitive_and_fullwidth_folded(world) -> None:
    eng, mgr = world.users["engineer"], world.users["manager"]
    article(eng, manager=mgr, title="VPN client cannot connect", body="Reset the VPN profile and reinstall the certificate.")
    assert _titles(eng, "vpn CERTIFICATE") == ["VPN client cannot connect"]
    assert _titles(eng, "ＶＰＮ") == ["VPN client cannot connect"]
    assert _titles(eng, "kubernetes") == []


def test_title_match_ranks_above_body_match(world) -> None:
    eng, mgr = world.users["engineer"], world.users["manager"]
    article(eng, manager=mgr, title="备份说明", body="每天凌晨执行一次备份，保留七天。证书更新见另一篇。")
    article(eng, manager=mgr, title="证书更新", body="到期前三十天更新。")
    assert _titles(eng, "证书")[0] == "证书更新"


def test_snippet_is_escaped_and_marks_the_words(world) -> None:
    eng, mgr = world.users["engineer"], world.users["manager"]
    article(eng, manager=mgr, title="<script>alert(1)</script> 网关", body="先 <b>重启</b> 网关，再看日志 & 告警。")
    hit = search(actor=eng, q="网关", limit=5).hits[0]
    assert "<script>" not in hit.title_html and "&lt;script&gt;" in hit.title_html
    assert "<mark>网关</mark>" in hit.snippet_html
    assert "<b>" not in hit.snippet_html and "&lt;b&gt;" in hit.snippet_html and "&amp;" in hit.snippet_html


def test_snippet_window_moves_to_the_match() -> None:
    text = "无关内容。" * 200 + "这里说明了证书更新的步骤。" + "其他。" * 100
    out = snippet(text, ["证书"], size=40)
    assert out.startswith("…") and "<mark>证书</mark>" in out and out.endswith("…")


def test_snippet_window_is_the_one_with_most_different_terms() -> None:
    import random

    def reference(text: str, terms: list[str], size: int) -> str:  # the definition, window by window
        text = " ".join(text.split())
        pattern = query._pattern(terms)
        matches = list(pattern.finditer(text))[:200] if pattern else []
        start, best = 0, -1
        for i, m in enumerate(matches):
            window = {x.group(0).lower() for x in matches[i:i + query.SNIPPET_WINDOW_MATCHES] if x.end() <= m.start() + size}
            if len(window) > best:
                best, start = len(window), m.start()
        start = max(0, start - size // 4) if matches else 0
        piece = text[start:start + size]
        return ("…" if start > 0 else "") + marked(piece, pattern) + ("…" if start + size < len(text) else "")

    def marked(text: str, pattern: re.Pattern[str] | None) -> str:  # case-insensitive regex, escaped pieces
        if pattern is None:
            return html.escape(text)
        return "".join(html.escape(part) if i % 2 == 0 else f"<mark>{html.escape(part)}</mark>"
                       for i, part in enumerate(re.split(f"({pattern.pattern})", text, flags=pattern.flags)))

    rng = random.Random(7)
    vocabulary = ["网关", "超时", "ab", "abc", "登录", "Reset", "服务", "长长的无关内容", "x", "filler"]
    ascii_words = ["reset", "Reset", "RESET", "password", "pass", "Word", "ab", "abc", "x", "a&b", "<i>"]
    for words in (vocabulary, ascii_words):  # ASCII text and terms take the lower-cased path
        for _ in range(300):
            text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 300)))
            terms = rng.sample(words[:7], rng.randint(0, 4))
            size = rng.choice([8, 40, 160])
            assert snippet(text, terms, size) == reference(text, terms, size)
            assert query.highlight(text, terms) == marked(text, query._pattern(terms))


def test_user_dictionary_keeps_product_names_whole(world) -> None:
    before = tokenizer.query_tokens("政务云平台登录失败")
    assert "政务云平台" not in before
    UserWord.objects.create(word="政务云平台", kind="product")
    tokenizer.reset()
    assert "政务云平台" in tokenizer.query_tokens("政务云平台登录失败")
    eng, mgr = world.users["engineer"], world.users["manager"]
    article(eng, manager=mgr, title="政务云平台登录失败", body="检查统一认证。")
    article(eng, manager=mgr, title="云存储扩容", body="政务 部门 平台 申请扩容。")
    assert _titles(eng, "政务云平台") == ["政务云平台登录失败"]


@pytest.mark.parametrize("q", ["", "   ", "！？。，,.;:'\"", '"', "*", "NEAR", "NEAR(a b)", "-", "a -b", "AND OR NOT",
                               "网关 OR", '"网关', "网关*", "(网关", "^网关", "{title}: 网关", "网关" * 2000, "\x00\x01"])
def test_fts_syntax_and_junk_never_raise(world, q: str) -> None:
    world_articles(world)
    result = search(actor=world.users["customer_a"], q=q)
    assert isinstance(result.hits, list)


def test_fts_characters_are_plain_text(world) -> None:
    world_articles(world)
    # '-超时' must not mean "without 超时": the words are still searched for.
    assert _titles(world.users["engineer"], "网关 -超时")
    assert _titles(world.users["engineer"], 'NEAR("网关" "超时")')


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=300))
def test_any_string_is_a_safe_query(world, q: str) -> None:
    if not SearchDocument.objects.exists():
        world_articles(world)
    search(actor=world.users["customer_b"], q=q)
    search(actor=None, q=q, filters=Filters(kinds=("article",)))


def test_customer_search_never_returns_internal_or_other_org_articles(world) -> None:
    world_articles(world)
    a_titles = set(_titles(world.users["customer_a"], "网关超时"))
    b_titles = set(_titles(world.users["customer_b"], "网关超时"))
    assert a_titles == {"公开文章 网关超时", "甲单位专用 网关超时"}
    assert b_titles == {"公开文章 网关超时"}
    assert set(_titles(None, "网关超时")) == {"公开文章 网关超时"}
    assert len(_titles(world.users["engineer"], "网关超时")) == 4
    # words only inside the internal article find nothing for a customer
    assert _titles(world.users["customer_a"], "数据库密码") == []


def test_filters_by_status_and_system(world) -> None:
    eng, mgr = world.users["engineer"], world.users["manager"]
    a = article(eng, manager=mgr, title="甲系统 升级", body="升级步骤", systems=[world.system_a])
    article(eng, manager=mgr, title="乙系统 升级", body="升级步骤", systems=[world.system_b])
    assert _titles(eng, "升级", filters=Filters(system_id=world.system_a.id)) == [a.title]
    assert _titles(eng, "升级", filters=Filters(status="draft")) == []


def test_unpublishing_removes_article_from_customer_search(world, django_capture_on_commit_callbacks) -> None:
    from weibao.knowledge.services import article_transition

    eng, mgr = world.users["engineer"], world.users["manager"]
    a = article(eng, manager=mgr, title="临时公告 停机维护", body="周六停机", audience=Audience.PUBLIC)
    assert _titles(world.users["customer_b"], "停机维护") == [a.title]
    with django_capture_on_commit_callbacks(execute=True):
        article_transition(actor=mgr, article=a, transition="archive")
    assert _titles(world.users["customer_b"], "停机维护") == []
    assert _titles(eng, "停机维护") == [a.title]
