"""FAQ grouping (Chinese and English), deflection records and the monthly digest."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from tests.knowledge.factories import article
from weibao.core.errors import ValidationFailed
from weibao.knowledge.deflection import deflection_stats, suggestion_opened, suggestion_submitted
from weibao.knowledge.faq import Question, group_questions
from weibao.knowledge.faq_services import faq_digest_send, faq_subscribe
from weibao.knowledge.models import Audience, FaqDigest
from weibao.knowledge.services import article_transition

QUESTIONS = [
    "打印机无法打印", "打印机卡纸怎么办", "打印机 不能 打印 了",
    "VPN 连不上", "vpn无法连接", "VPN 连接失败，提示证书过期",
    "系统登录提示密码错误", "登录时密码错误", "密码错误无法登录系统", "忘记密码，登录不了系统",
    "Password reset for Confluence", "Please reset my password, it expired", "password expired, need reset",
    "月底报表导出很慢",
]


@pytest.mark.django_db
def test_groups_similar_questions_and_ranks_by_size() -> None:
    groups = group_questions([Question(i, s, "") for i, s in enumerate(QUESTIONS)])
    members = [sorted(QUESTIONS[i] for i in g.members) for g in groups]
    sizes = [g.size for g in groups]
    assert sizes == sorted(sizes, reverse=True)
    assert sorted(["系统登录提示密码错误", "登录时密码错误", "密码错误无法登录系统", "忘记密码，登录不了系统"]) in members
    assert sorted(["VPN 连不上", "vpn无法连接", "VPN 连接失败，提示证书过期"]) in members
    assert sorted(["Password reset for Confluence", "Please reset my password, it expired", "password expired, need reset"]) in members
    assert not any("月底报表导出很慢" in m for m in members), "a question asked once is not a group"
    assert groups[0].size == 4 and "密码" in groups[0].terms


@pytest.mark.django_db
def test_grouping_is_deterministic() -> None:
    qs = [Question(i, s, "") for i, s in enumerate(QUESTIONS)]
    assert [g.members for g in group_questions(qs)] == [g.members for g in group_questions(list(reversed(qs)))]


def test_deflection_counts_opened_but_not_submitted(world) -> None:
    a = world.users["customer_a"]
    with time_machine.travel(datetime(2026, 3, 2, 9, tzinfo=UTC), tick=False):
        suggestion_opened(actor=a, token="session-one-1", kind="article", public_id="x" * 16, query="VPN")
        suggestion_opened(actor=a, token="session-two-2", kind="ticket", public_id="y" * 16)
        suggestion_submitted(actor=a, token="session-two-2")
        suggestion_submitted(actor=a, token="session-none-3")  # sent without opening anything
    with time_machine.travel(datetime(2026, 3, 2, 12, tzinfo=UTC), tick=False):
        stats = deflection_stats(start=datetime(2026, 3, 1, tzinfo=UTC), end=datetime(2026, 4, 1, tzinfo=UTC))
    assert stats.as_dict() == {"opened": 2, "submitted": 1, "deflected": 1}


def test_a_token_belongs_to_its_user(world) -> None:
    suggestion_opened(actor=world.users["customer_a"], token="shared-token-1", kind="article", public_id="x" * 16)
    with pytest.raises(ValidationFailed):
        suggestion_submitted(actor=world.users["customer_b"], token="shared-token-1")
    with pytest.raises(ValidationFailed):
        suggestion_opened(actor=world.users["customer_a"], token="<script>", kind="article", public_id="x")


def test_monthly_digest_mails_each_subscriber_what_they_may_read_once(world) -> None:
    eng, mgr = world.users["engineer"], world.users["manager"]
    with time_machine.travel(datetime(2026, 2, 10, 3, tzinfo=UTC), tick=False):
        article(eng, manager=mgr, title="公开FAQ 如何重置密码", body="步骤", is_faq=True)
        article(eng, manager=mgr, title="甲单位FAQ 专线维护", body="步骤", is_faq=True, audience=Audience.ORGS,
                organisations=[world.org_a])
        article(eng, manager=mgr, title="内部FAQ 数据库主备切换", body="步骤", is_faq=True, audience=Audience.INTERNAL)
        old = article(eng, manager=mgr, title="非FAQ文章", body="步骤")
    article_transition(actor=mgr, article=old, transition="archive")
    for persona in ("customer_a", "customer_b"):
        faq_subscribe(actor=world.users[persona], active=True)
    faq_subscribe(actor=world.users["customer_admin_a"], active=False)
    with time_machine.travel(datetime(2026, 3, 1, 2, tzinfo=UTC), tick=False):
        digest = faq_digest_send()
        again = faq_digest_send()
    assert digest.period == date(2026, 2, 1) and digest.recipients == 2 and again.id == digest.id
    assert len(mail.outbox) == 2 and FaqDigest.objects.count() == 1
    by_user = {m.to[0]: m.body for m in mail.outbox}
    a_body, b_body = by_user[world.users["customer_a"].email], by_user[world.users["customer_b"].email]
    assert "公开FAQ" in a_body and "甲单位FAQ" in a_body and "内部FAQ" not in a_body
    assert "公开FAQ" in b_body and "甲单位FAQ" not in b_body and "内部FAQ" not in b_body
    assert "/kb/" in a_body and "非FAQ" not in a_body


def test_digest_with_nothing_new_or_viewed_sends_nothing(world) -> None:
    faq_subscribe(actor=world.users["customer_a"], active=True)
    digest = faq_digest_send(period=date.today() - timedelta(days=40))
    assert digest.recipients == 0 and mail.outbox == []
