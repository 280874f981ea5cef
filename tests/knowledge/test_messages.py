"""Knowledge and dictionary errors follow the user's language (Chinese source strings, English catalogue)."""

from __future__ import annotations

import pytest
from django.utils import translation

from tests.knowledge.factories import article
from weibao.core.errors import DomainError
from weibao.knowledge.services import article_create, article_transition
from weibao.search.services import user_word_add


def test_service_errors_are_translated(world) -> None:
    customer, eng = world.users["customer_a"], world.users["engineer"]
    a = article(eng, publish=False)
    with translation.override("en"):
        with pytest.raises(DomainError) as denied:
            article_create(actor=customer, title="t", body="b")
        with pytest.raises(DomainError) as invalid:
            article_create(actor=eng, title="", body="", audience="nobody")
        with pytest.raises(DomainError) as transition:
            article_transition(actor=eng, article=a, transition="restore")
        with pytest.raises(DomainError) as word:
            user_word_add(actor=world.users["manager"], word=" ")
    assert denied.value.message == "Only staff can write knowledge articles."
    assert invalid.value.message == "The article is incomplete"
    assert invalid.value.details["audience"] == ["Allowed values: public, orgs, internal."]
    assert "is not possible in the current status (draft)" in transition.value.message
    assert word.value.message == "Invalid dictionary entry"
    with translation.override("zh-hans"), pytest.raises(DomainError) as chinese:
        article_create(actor=customer, title="t", body="b")
    assert chinese.value.message == "只有内部人员可以编写知识文章。"
