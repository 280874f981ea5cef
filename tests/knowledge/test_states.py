"""The article workflow, exhaustively: every transition from every state as every kind of actor."""

from __future__ import annotations

import pytest

from tests.knowledge.factories import article
from weibao.core.errors import PermissionDenied, TransitionNotAllowed
from weibao.core.models import OutboxMessage
from weibao.knowledge.models import Article, ArticleEvent
from weibao.knowledge.services import article_transition
from weibao.knowledge.states import TRANSITIONS, ArticleStatus

PATH_TO = {
    ArticleStatus.DRAFT: [],
    ArticleStatus.IN_REVIEW: ["submit"],
    ArticleStatus.PUBLISHED: ["submit", "publish"],
    ArticleStatus.ARCHIVED: ["submit", "publish", "archive"],
}
EXPECTED = {  # (transition, from) -> to
    ("submit", "draft"): "in_review", ("withdraw", "in_review"): "draft", ("request_changes", "in_review"): "draft",
    ("publish", "in_review"): "published", ("archive", "published"): "archived", ("archive", "draft"): "archived",
    ("restore", "archived"): "draft",
}
REVIEWER_ONLY = {"request_changes", "publish", "archive", "restore"}


def _in_state(world, state: ArticleStatus) -> Article:  # type: ignore[no-untyped-def]
    a = article(world.users["engineer"], publish=False)
    for name in PATH_TO[state]:
        article_transition(actor=world.users["manager"], article=a, transition=name)
    a.refresh_from_db()
    assert a.status == state
    return a


@pytest.mark.parametrize("persona", ["engineer", "manager", "customer_a"])
@pytest.mark.parametrize("state", list(ArticleStatus))
@pytest.mark.parametrize("transition", sorted(TRANSITIONS))
def test_transition_table(world, transition: str, state: ArticleStatus, persona: str) -> None:
    a = _in_state(world, state)
    actor = world.users[persona]
    events = ArticleEvent.objects.filter(article=a).count()
    target = EXPECTED.get((transition, state.value))
    allowed_for_actor = persona == "manager" or (persona == "engineer" and transition not in REVIEWER_ONLY)
    if target is None:
        with pytest.raises(TransitionNotAllowed):
            article_transition(actor=actor, article=a, transition=transition)
    elif not allowed_for_actor:
        with pytest.raises(PermissionDenied):
            article_transition(actor=actor, article=a, transition=transition)
    else:
        article_transition(actor=actor, article=a, transition=transition)
        a.refresh_from_db()
        assert a.status == target
        event = ArticleEvent.objects.filter(article=a).latest("id")
        assert event.before == {"status": state.value} and event.after == {"status": target}
        assert OutboxMessage.objects.filter(topic="article.event", key=str(event.id)).exists()
        return
    a.refresh_from_db()
    assert a.status == state, "a refused transition changes nothing"
    assert ArticleEvent.objects.filter(article=a).count() == events


def test_unknown_transition_lists_allowed(world) -> None:
    a = _in_state(world, ArticleStatus.DRAFT)
    with pytest.raises(TransitionNotAllowed) as err:
        article_transition(actor=world.users["manager"], article=a, transition="teleport")
    assert set(err.value.details["allowed"]) == {"submit", "archive"}


def test_publish_sets_published_at(world) -> None:
    a = _in_state(world, ArticleStatus.PUBLISHED)
    assert a.published_at is not None
