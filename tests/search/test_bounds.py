"""Bounded ranking: tenancy and filters inside the candidate walk, rare words for OR, the meta tokens."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from django.db import connection

from tests.knowledge.factories import article
from weibao.core.outbox import outbox_sweep
from weibao.knowledge.models import Audience
from weibao.search import backends, query
from weibao.search.backends import base, meta_text
from weibao.search.models import SearchDocument
from weibao.search.query import Filters, search


def _titles(actor, q: str, **kw) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.title for h in search(actor=actor, q=q, **kw).hits]


@pytest.fixture
def small_bound(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(query, "CANDIDATES", 3)
    monkeypatch.setattr(query, "OR_CANDIDATES", 3)
    monkeypatch.setattr(query, "OR_WORD_MAX_DF", 2)
    monkeypatch.setattr(backends.PostgresBackend, "rank_all_max", 2)  # PostgreSQL ranks every match below it
    query._df_cache.clear()
    yield 3
    query._df_cache.clear()


def test_customer_candidates_are_readable_ones_even_when_newer_hidden_documents_match(world, small_bound) -> None:
    eng, mgr = world.users["engineer"], world.users["manager"]
    public = [article(eng, manager=mgr, title=f"公开 网关 {i}", body="网关") for i in range(3)]
    for i in range(5):  # newer than the public ones, and more of them than the bound
        article(eng, manager=mgr, title=f"内部 网关 {i}", body="网关", audience=Audience.INTERNAL)
    assert sorted(_titles(world.users["customer_a"], "网关")) == sorted(a.title for a in public)
    # staff rank the newest `CANDIDATES` matches only
    assert sorted(_titles(eng, "网关")) == [f"内部 网关 {i}" for i in (2, 3, 4)]


def test_kind_and_status_filters_apply_inside_the_candidate_walk(world, small_bound) -> None:
    eng, mgr = world.users["engineer"], world.users["manager"]
    review = article(eng, title="审核中 证书更新", body="证书", publish=False)
    from weibao.knowledge.services import article_transition

    article_transition(actor=eng, article=review, transition="submit")
    from weibao.search.index import index_object

    index_object("article", review.id)
    for i in range(4):
        article(eng, manager=mgr, title=f"已发布 证书 {i}", body="证书")
    assert _titles(eng, "证书", filters=Filters(status="in_review")) == ["审核中 证书更新"]
    assert _titles(eng, "证书", filters=Filters(kinds=("ticket",))) == []


def test_or_fallback_ranks_by_the_rare_words(world, small_bound) -> None:
    eng, mgr = world.users["engineer"], world.users["manager"]
    for i in range(6):
        article(eng, manager=mgr, title=f"常见 问题 {i}", body="系统 登录 常见")
    target = article(eng, manager=mgr, title="蓝鲸平台 授权", body="系统 登录")
    for i in range(3):
        article(eng, manager=mgr, title=f"常见 问题 新 {i}", body="系统 登录 常见")
    # no document has every word; the rare one (蓝鲸平台) decides, the common ones do not flood the candidates
    assert query.or_words(query.get_backend(), ["系统", "登录", "蓝鲸", "不存在的词"])[0] == ["蓝鲸"]
    # only common words: the rarest of them, so a query still finds something
    assert query.or_words(query.get_backend(), ["系统", "常见"])[0] == ["常见"]
    assert _titles(eng, "系统 常见 不存在的词")
    assert _titles(eng, "系统 登录 蓝鲸 不存在的词 常见问题 解决方法")[0] == target.title


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the meta column is SQLite's")
def test_migration_meta_sql_writes_what_meta_text_writes(world) -> None:
    eng, mgr = world.users["engineer"], world.users["manager"]
    article(eng, manager=mgr, title="甲 专用", body="说明", audience=Audience.ORGS, organisations=[world.org_a, world.org_b],
            systems=[world.system_a])
    article(eng, title="草稿", body="说明", publish=False)
    sql = importlib.import_module("weibao.search.migrations.0002_fts_meta")._META_SQL
    with connection.cursor() as cur:
        cur.execute(f"SELECT d.id, {sql}, f.meta FROM search_searchdocument d JOIN search_fts f ON f.rowid = d.id")  # noqa: S608
        rows = cur.fetchall()
    assert len(rows) == 2
    for doc_id, from_sql, indexed in rows:
        d = SearchDocument.objects.get(id=doc_id)
        python = meta_text(visibility=d.visibility, org_ids=[int(x) for x in d.org_ids.strip(",").split(",") if x],
                           kind=d.kind, status=d.status, organisation_id=d.organisation_id,
                           system_ids=[int(x) for x in d.system_ids.strip(",").split(",") if x])
        assert sorted(from_sql.split()) == sorted(indexed.split()) == sorted(python.split())


def test_dictionary_edit_reindexes_documents_containing_the_word(world, django_capture_on_commit_callbacks,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from weibao.search import handlers, tokenizer
    from weibao.search.models import UserWord
    from weibao.search.services import user_word_add, user_word_delete

    eng, mgr = world.users["engineer"], world.users["manager"]
    hit = article(eng, manager=mgr, title="政务云平台登录失败", body="检查统一认证。")
    other = article(eng, manager=mgr, title="打印机卡纸", body="打开后盖。")
    outbox_sweep()  # the articles' own index messages, which a later delivery pass would otherwise take along
    before = SearchDocument.objects.get(kind="article", ref_id=other.id).indexed_at
    # a word added behind the service's back: old text is still cut the old way, so it is not found
    probe = UserWord.objects.create(word="政务云平台")
    tokenizer.reset()
    assert _titles(eng, "政务云平台") == []
    probe.delete()
    monkeypatch.setattr(handlers, "DICTIONARY_CHUNK", 1)  # the follow-up messages carry on where one stopped
    with django_capture_on_commit_callbacks(execute=True):
        entry = user_word_add(actor=mgr, word="政务云平台")
    assert _titles(eng, "政务云平台") == [hit.title]
    assert SearchDocument.objects.get(kind="article", ref_id=other.id).indexed_at == before  # no word, untouched
    with django_capture_on_commit_callbacks(execute=True):
        user_word_delete(actor=mgr, entry=entry)
    assert "政务云平台" not in tokenizer.query_tokens("政务云平台")
    assert _titles(eng, "政务云平台") == [hit.title]  # cut into shorter words again, on both sides


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ANALYZE statistics are PostgreSQL's")
def test_postgres_doc_freq_reads_common_words_from_the_statistics_and_counts_rare_ones(
        world, monkeypatch: pytest.MonkeyPatch) -> None:
    from weibao.search.backends import postgres

    eng, mgr = world.users["engineer"], world.users["manager"]
    for i in range(30):
        article(eng, manager=mgr, title=f"网关 巡检 {i}", body="网关")
    monkeypatch.setattr(postgres, "STATS_MIN_ROWS", 0)  # at 1M documents; here a few dozen
    monkeypatch.setattr(postgres, "_stats", None)
    with connection.cursor() as cur:
        cur.execute("ANALYZE search_searchdocument")  # samples this transaction's rows too
    for i in range(10):  # indexed after ANALYZE: the statistics know neither them nor the word 罕见
        article(eng, manager=mgr, title=f"网关 罕见 新 {i}", body="网关")
    backend = postgres.PostgresBackend()
    assert postgres.common_words() is not None
    assert backend.doc_freq("网关", 10_001) == 30  # from the statistics, not counted (40 now)
    assert backend.doc_freq("罕见", 10_001) == 10  # not in the statistics: counted
    monkeypatch.setattr(postgres, "_stats", None)
    monkeypatch.setattr(postgres, "STATS_MIN_ROWS", 10**9)  # a small index is always counted
    assert backend.doc_freq("网关", 10_001) == 40


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the id buckets are PostgreSQL's")
def test_postgres_window_keeps_the_newest_documents_and_every_tsvector_names_its_bucket(
        world, monkeypatch: pytest.MonkeyPatch) -> None:
    from weibao.search.backends import postgres

    eng, mgr = world.users["engineer"], world.users["manager"]
    made = [article(eng, manager=mgr, title=f"网关 巡检 {i}", body="网关 巡检") for i in range(7)]
    monkeypatch.setattr(query, "CANDIDATES", 10)
    monkeypatch.setattr(postgres.PostgresBackend, "rank_all_max", 0)  # always the newest-documents path
    monkeypatch.setattr(postgres.PostgresBackend, "window", 3)
    query._df_cache.clear()
    ids = sorted(SearchDocument.objects.filter(kind="article").values_list("id", flat=True))
    assert ids[-1] > 2 * 3  # so two words take the bucket path (a window of most of the index does not)
    assert sorted(_titles(eng, "网关 巡检")) == sorted(a.title for a in made[-3:])  # the 3 newest ids only
    assert sorted(_titles(eng, "网关")) == sorted(a.title for a in made[-3:])  # one word: the id walk
    with connection.cursor() as cur:  # written by insert/write and by migration 0004 alike
        cur.execute("SELECT id, tsv @@ %s::tsquery FROM search_searchdocument", [postgres.window_buckets(ids[-1], 10**9)])
        assert all(inside for _id, inside in cur.fetchall())
        cur.execute("SELECT count(*) FROM search_searchdocument WHERE tsv @@ %s::tsquery",
                    [postgres.window_buckets(ids[-1] + postgres.BUCKET, 1)])
        assert cur.fetchone()[0] == 0  # a bucket past the newest id holds nothing
    query._df_cache.clear()


@pytest.fixture
def fresh_counts(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from weibao.search.backends import sqlite

    monkeypatch.setattr(sqlite, "_counts", None)
    query._df_cache.clear()
    yield
    sqlite._counts = None  # the snapshot table is rolled back with the test
    query._df_cache.clear()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="search_word_count is SQLite's")
def test_sqlite_word_counts_snapshot_holds_the_true_counts_of_common_words_only(
        world, fresh_counts, monkeypatch: pytest.MonkeyPatch) -> None:
    from weibao.search.backends import sqlite
    from weibao.search.index import reindex

    eng, mgr = world.users["engineer"], world.users["manager"]
    for i in range(5):
        article(eng, manager=mgr, title=f"网关 巡检 {i}", body="网关 网关 证书")
    for i in range(2):
        article(eng, manager=mgr, title=f"证书 {i}", body="罕见")
    # "vpublic" is the visibility token of the meta column, in every document: not a word of the texts
    article(eng, manager=mgr, title="vpublic 说明", body="说明")
    monkeypatch.setattr(sqlite, "COMMON_MIN_DOCS", 3)
    reindex()  # a reindex rewrites the snapshot
    with connection.cursor() as cur:
        cur.execute("SELECT term, docs FROM search_word_count")
        snapshot = dict(cur.fetchall())
    assert snapshot["网关"] == 5 and snapshot["证书"] == 7  # documents, not occurrences; title or body
    assert "罕见" not in snapshot and "vpublic" not in snapshot  # rare; a filter token
    backend = sqlite.SqliteFts5Backend()
    for i in range(2):  # after the snapshot: the common word's count is the snapshot's, the rare one counted
        article(eng, manager=mgr, title=f"网关 罕见 新 {i}", body="网关")
    assert backend.doc_freq("网关", 10_001) == 5
    assert backend.doc_freq("罕见", 10_001) == 4
    assert backend.doc_freq("vpublic", 10_001) == 1  # counted over titles and bodies
    assert backend.doc_freq("网关", 3) == 3  # capped like a count
    assert backend.refresh_word_counts() >= 3
    with connection.cursor() as cur:
        cur.execute("SELECT term, docs FROM search_word_count WHERE term IN ('网关', '罕见', '证书')")
        assert dict(cur.fetchall()) == {"网关": 7, "罕见": 4, "证书": 7}
    assert backend.doc_freq("网关", 10_001) == 7  # the new snapshot, read again at once


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's AND through the rare words")
def test_sqlite_and_through_the_rare_words_keeps_only_documents_with_every_word(
        world, monkeypatch: pytest.MonkeyPatch) -> None:
    from weibao.search.backends import sqlite

    eng, mgr = world.users["engineer"], world.users["manager"]
    for i in range(6):
        article(eng, manager=mgr, title=f"系统 登录 {i}", body="系统 登录 说明")
    complete = article(eng, manager=mgr, title="蓝鲸 授权", body="系统 登录 蓝鲸 许可证")
    article(eng, manager=mgr, title="蓝鲸 许可证 另一篇", body="登录")  # the rare words without 系统
    article(eng, manager=mgr, title="蓝鲸 授权", body="系统 登录")  # without 许可证
    monkeypatch.setattr(query, "DF_CAP", 5)  # 系统 and 登录 are common here: not scored, checked on the rows
    query._df_cache.clear()
    backend = sqlite.SqliteFts5Backend()
    words = ["系统", "登录", "蓝鲸", "许可证"]
    rare = [w for w in words if query.doc_freq(backend, w) < query.DF_CAP]
    assert rare == ["蓝鲸", "许可证"]
    assert sqlite._fold("é") == "e" and "e" in sqlite._tokens("caf é", {"e"})  # as unicode61 remove_diacritics compares
    with connection.cursor() as cur:
        found = backend._all_words_among_rare(cur, words, rare, query.scope(eng, Filters()))
    want = list(SearchDocument.objects.filter(kind="article", ref_id=complete.id).values_list("id", flat=True))
    assert found == want
    hits = search(actor=eng, q="系统 登录 蓝鲸 许可证").hits
    assert [h.title for h in hits if h.matched_all] == [complete.title]
    monkeypatch.setattr(sqlite, "VERIFY_MAX", 0)  # too many rows for the check: the full AND, same answer
    with connection.cursor() as cur:
        assert backend._all_words_among_rare(cur, words, rare, query.scope(eng, Filters())) is None
    assert [h.title for h in search(actor=eng, q="系统 登录 蓝鲸 许可证").hits if h.matched_all] == [complete.title]
    query._df_cache.clear()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL ranks every match of a rare OR")
def test_postgres_or_of_many_matches_ranks_the_newest_window(world, monkeypatch: pytest.MonkeyPatch) -> None:
    from weibao.search.backends import postgres

    eng, mgr = world.users["engineer"], world.users["manager"]
    made = [article(eng, manager=mgr, title=f"蓝鲸 {i}", body="授权") for i in range(8)]
    ids = {a.id: SearchDocument.objects.get(kind="article", ref_id=a.id).id for a in made}
    top = max(ids.values())
    monkeypatch.setattr(postgres.PostgresBackend, "window", 1)  # an index "much larger" than the window
    backend = postgres.PostgresBackend()
    where = query.scope(eng, Filters())
    # the whole OR expected to match 8 documents, ranked on about 8 → all of them
    monkeypatch.setattr(postgres, "RANK_ALL_ROWS", 100)
    every = backend.match(["蓝鲸", "授权"], any_word=True, scope=where, limit=50, candidates=50, estimate=8)
    assert sorted(i for i, _s in every) == sorted(ids.values())
    # expected to match as many documents as there are ids, 4 ranked: a window of the 4 newest ids
    monkeypatch.setattr(postgres, "RANK_ALL_ROWS", 4)
    newest = backend.match(["蓝鲸", "授权"], any_word=True, scope=where, limit=50, candidates=50, estimate=top)
    assert sorted(i for i, _s in newest) == sorted(i for i in ids.values() if i > top - 4)
    assert len(newest) == 4


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite scores an AND's few rows from their text")
def test_sqlite_scores_the_and_rows_from_their_text_exactly_as_fts5_bm25(world, monkeypatch: pytest.MonkeyPatch) -> None:
    from weibao.search.backends import sqlite

    eng, mgr = world.users["engineer"], world.users["manager"]
    for i in range(6):
        article(eng, manager=mgr, title=f"系统 登录 {i}", body="系统 登录 说明")
    # the rare words in the title, repeated in the body, in texts of different lengths
    article(eng, manager=mgr, title="蓝鲸 授权", body="系统 登录 蓝鲸 许可证 cafe")
    article(eng, manager=mgr, title="蓝鲸 许可证 一篇 很长的 标题", body="系统 登录 许可证 许可证 许可证 cafe 说明 " * 5)
    article(eng, manager=mgr, title="说明", body="系统 登录 蓝鲸 蓝鲸 许可证 cafe")
    monkeypatch.setattr(query, "DF_CAP", 6)  # 系统 and 登录 are common here: not scored, checked on the rows
    query._df_cache.clear()
    backend = sqlite.SqliteFts5Backend()
    words = ["系统", "登录", "蓝鲸", "许可证", "cafe"]
    dfs = {w: query.doc_freq(backend, w) for w in words}
    rare = [w for w in words if dfs[w] < query.DF_CAP]
    assert rare == ["蓝鲸", "许可证", "cafe"]
    where = query.scope(eng, Filters())
    texts: dict[int, tuple[str, str]] = {}
    with connection.cursor() as cur:
        found = backend._all_words_among_rare(cur, words, rare, where, texts)
        assert found is not None and len(found) == 3 and set(texts) == set(found)
        mine = backend._bm25(cur, texts, rare, dfs)
        cur.execute("SELECT rowid, -bm25(search_fts, %s, 1.0, 0.0) FROM search_fts WHERE search_fts MATCH %s",
                    [base.TITLE_WEIGHT, "{title body} : (" + backend.fts_query(rare, any_word=False) + ")"])
        fts5 = dict(cur.fetchall())
    assert mine == pytest.approx(fts5, rel=1e-12) and len(set(mine.values())) == 3
    # match() with the words' counts scores so; without them bm25() does: the same ranking and scores
    with_dfs = backend.match(words, any_word=False, scope=where, limit=10, candidates=10, rank_words=rare, dfs=dfs)
    without = backend.match(words, any_word=False, scope=where, limit=10, candidates=10, rank_words=rare)
    assert [i for i, _s in with_dfs] == [i for i, _s in without] == sorted(fts5, key=lambda i: -fts5[i])
    assert [s for _i, s in with_dfs] == pytest.approx([s for _i, s in without], rel=1e-12)
    query._df_cache.clear()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's one-statement walk and scoring")
def test_sqlite_or_scores_the_newest_candidates_only_equal_scores_newest_first(world) -> None:
    from weibao.search.backends import sqlite

    eng, mgr = world.users["engineer"], world.users["manager"]
    best = article(eng, manager=mgr, title="蓝鲸 授权 蓝鲸", body="蓝鲸 授权")  # the best match, and the oldest
    same = [article(eng, manager=mgr, title=f"说明 {i}", body="蓝鲸 说明") for i in range(5)]  # equal scores
    ids = [SearchDocument.objects.get(kind="article", ref_id=a.id).id for a in [best, *same]]
    backend = sqlite.SqliteFts5Backend()
    where = query.scope(eng, Filters())
    every = backend.match(["蓝鲸", "授权"], any_word=True, scope=where, limit=3, candidates=10)
    assert [i for i, _s in every] == [ids[0], ids[5], ids[4]]  # best first, then the newest of the equal ones
    assert every[1][1] == every[2][1] < every[0][1]
    # only the 4 newest matches are candidates: the best (oldest) one is not ranked
    newest = backend.match(["蓝鲸", "授权"], any_word=True, scope=where, limit=10, candidates=4)
    assert [i for i, _s in newest] == [ids[5], ids[4], ids[3], ids[2]]
    # a customer's scope is inside the walk: internal documents are never candidates
    article(eng, manager=mgr, title="蓝鲸 授权 内部", body="蓝鲸", audience=Audience.INTERNAL)
    customer = query.scope(world.users["customer_a"], Filters())
    assert [i for i, _s in backend.match(["蓝鲸", "授权"], any_word=True, scope=customer, limit=2, candidates=2)] == [
        ids[5], ids[4]]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's unscored walk (PostgreSQL ranks with ts_rank)")
@pytest.mark.parametrize("candidates", [50, 3])  # the walk finds every match (titles read back) / fills up (FTS5 pass)
def test_every_word_common_title_matches_come_first_whether_the_walk_found_all_or_not(
        world, monkeypatch: pytest.MonkeyPatch, candidates: int) -> None:
    eng, mgr = world.users["engineer"], world.users["manager"]
    monkeypatch.setattr(query, "DF_CAP", 1)  # every word counts as common: no bm25, title matches first
    monkeypatch.setattr(query, "CANDIDATES", candidates)
    query._df_cache.clear()
    article(eng, manager=mgr, title="报表服务 导出失败 旧", body="生产环境")  # oldest: not among the 3 newest
    for i in range(2):
        article(eng, manager=mgr, title=f"其他 问题 {i}", body="报表服务 导出失败")
    titled = article(eng, manager=mgr, title="报表服务 导出失败", body="只在生产环境出现")
    article(eng, manager=mgr, title="其他 问题 新", body="报表服务 导出失败")
    try:
        titles = _titles(eng, "报表服务 导出失败")
    finally:
        query._df_cache.clear()
    assert titles[0] == titled.title  # older than the newest body match, first by its title
    if candidates == 50:  # every match walked: the old title match comes next, before newer body matches
        assert titles[:2] == [titled.title, "报表服务 导出失败 旧"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 table is SQLite's")
def test_title_check_from_the_text_agrees_with_fts5_title_matching(world) -> None:
    from weibao.search.backends.sqlite import SqliteFts5Backend

    eng, mgr = world.users["engineer"], world.users["manager"]
    for title in ("Café 报表服务", "CAFE 导出", "报表服务 导出 cafe", "其他", "cafés 报表"):
        article(eng, manager=mgr, title=title, body="报表服务 导出 café")
    with connection.cursor() as cur:
        cur.execute("SELECT rowid FROM search_fts")
        ids = [int(r[0]) for r in cur.fetchall()]
        for words in (["cafe", "报表"], ["café", "导出"], ["报表", "服务"], ["其他"]):
            for any_word in (True, False):
                ours = SqliteFts5Backend._title_matches(cur, ids, words, any_word=any_word)
                expr = "title : (" + SqliteFts5Backend.fts_query(words, any_word=any_word) + ")"
                cur.execute("SELECT rowid FROM search_fts WHERE search_fts MATCH %s", [expr])
                assert ours == {int(r[0]) for r in cur.fetchall()}, (words, any_word)
