"""Prepared queries (weibao.core.prepared): the same instances as the ORM, one query, refused where unsupported."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.db.models import DateTimeField, F, Model, QuerySet, Value
from django.test.utils import CaptureQueriesContext

from tests.factories import ContactFactory, OrganisationFactory, SystemFactory, UserFactory
from weibao.accounts.models import Contact, Organisation, Role, User
from weibao.core.prepared import Param, PreparedQuery, PreparedQueryError
from weibao.tickets.models import Ticket
from weibao.tickets.services import ticket_create


def _snapshot(obj: Model | None, seen: frozenset[int] = frozenset()) -> Any:
    """Every loaded column and every attached related object (recursively): what a caller can read for free."""
    if obj is None:
        return None
    if id(obj) in seen:  # a one-to-one's reverse side points back at an object already described
        return ("back to", type(obj), obj.pk)
    seen = seen | {id(obj)}
    deferred = obj.get_deferred_fields()
    return {
        "class": type(obj),
        "db": obj._state.db,
        "adding": obj._state.adding,
        "deferred": deferred,
        "fields": {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname not in deferred},
        "related": {name: _snapshot(rel, seen) for name, rel in sorted(obj._state.fields_cache.items())},
    }


def _same_as_orm(prepared: PreparedQuery[Any], orm: QuerySet[Any], **values: Any) -> list[Any]:
    expected = [_snapshot(o) for o in orm]
    with CaptureQueriesContext(connection) as captured:
        got = prepared.fetch(**values)
    assert len(captured.captured_queries) == 1
    assert [_snapshot(o) for o in got] == expected
    return got


@pytest.fixture
def tickets(db: Any) -> dict[str, Any]:
    """Tickets whose nullable joins are NULL at each level: no requester; a requester without an account; one with."""
    org = OrganisationFactory()
    other = OrganisationFactory()
    customer = UserFactory(role=Role.CUSTOMER, organisation=org)
    no_org_user = UserFactory(role=Role.CUSTOMER, organisation=None)
    with_user = ContactFactory(organisation=org, user=customer)
    without_user = ContactFactory(organisation=org, user=None)
    user_without_org = ContactFactory(organisation=other, user=no_org_user)
    system = SystemFactory(organisation=org)
    made = {}
    for name, requester, org_ in (("none", None, org), ("contact", without_user, org), ("user", with_user, org),
                                  ("orgless", user_without_org, other)):
        made[name] = ticket_create(actor=None, organisation=org_, subject=f"工单 {name}", description="描述",
                                   channel="api", requester=requester, system=system if name == "user" else None,
                                   tags=["数据库", name])
    Ticket.objects.filter(pk=made["user"].pk).update(
        closed_automatically=True, resolved_at=datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC))
    return {"org": org, "other": other, "customer": customer, "with_user": with_user, **made}


def test_plain_query_equals_orm(db: Any) -> None:
    OrganisationFactory(code="a1")
    OrganisationFactory(code="b2")
    prepared = PreparedQuery(lambda: Organisation.objects.filter(code=Param("code")))
    for code in ("a1", "b2", "missing"):
        _same_as_orm(prepared, Organisation.objects.filter(code=code), code=code)


def test_select_related_two_levels_with_null_and_present_joins(tickets: dict[str, Any]) -> None:
    def build() -> QuerySet[Ticket]:
        return Ticket.objects.select_related("requester__user__organisation", "system", "organisation").filter(
            organisation__in=[tickets["org"], tickets["other"]], subject__startswith=Param("prefix")
        )

    prepared = PreparedQuery(build)
    orm = Ticket.objects.select_related("requester__user__organisation", "system", "organisation").filter(
        organisation__in=[tickets["org"], tickets["other"]], subject__startswith="工单")
    got = _same_as_orm(prepared, orm, prefix="工单")
    assert len(got) == 4
    by_name = {t.subject.split()[-1]: t for t in got}
    with CaptureQueriesContext(connection) as captured:
        assert by_name["none"].requester is None
        assert by_name["contact"].requester.user is None
        assert by_name["user"].requester.user.organisation == tickets["org"]
        assert by_name["orgless"].requester.user.organisation is None
        assert by_name["user"].system.organisation_id == tickets["org"].id
        assert by_name["none"].system is None
    assert captured.captured_queries == []
    # reverse one-to-one set from the populated side, as the ORM does
    assert by_name["user"].requester.user.contact is by_name["user"].requester


def test_datetime_json_bool_fields_and_a_datetime_param(tickets: dict[str, Any]) -> None:
    since = Ticket.objects.order_by("created_at").values_list("created_at", flat=True)[1]
    prepared = PreparedQuery(lambda: Ticket.objects.filter(created_at__gte=Param("since")).order_by("id"))
    got = _same_as_orm(prepared, Ticket.objects.filter(created_at__gte=since).order_by("id"), since=since)
    assert len(got) == 3
    after = PreparedQuery(lambda: Ticket.objects.filter(resolved_at__gt=Param("at")))
    resolved = _same_as_orm(after, Ticket.objects.filter(resolved_at__gt=datetime(2026, 3, 1, tzinfo=UTC)),
                            at=datetime(2026, 3, 1, tzinfo=UTC))
    assert [t.pk for t in resolved] == [tickets["user"].pk]
    ticket = resolved[0]
    assert ticket.resolved_at == datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)
    assert ticket.tags == sorted(["数据库", "user"]) and ticket.closed_automatically is True
    # a later instant excludes it: the datetime is compared as a datetime, not as text of another format
    assert after.fetch(at=datetime(2026, 3, 1, 8, 30, 16, tzinfo=UTC)) == []


def test_relation_param_takes_an_instance_or_a_pk_and_constants_stay(tickets: dict[str, Any]) -> None:
    prepared = PreparedQuery(lambda: Contact.objects.filter(user=Param("user"), is_active=True).order_by()[:1])
    customer = tickets["customer"]
    _same_as_orm(prepared, Contact.objects.filter(user=customer, is_active=True).order_by()[:1], user=customer)
    assert prepared.first(user=customer.pk) == tickets["with_user"]
    assert prepared.first(user=UserFactory()) is None
    Contact.objects.filter(pk=tickets["with_user"].pk).update(is_active=False)
    assert prepared.first(user=customer) is None


def test_only_annotations_and_explicit_output_field(tickets: dict[str, Any]) -> None:
    def build() -> QuerySet[Ticket]:
        return (Ticket.objects.only("id", "subject", "created_at").annotate(answer=Value(42), same=F("priority"))
                .filter(created_at__lte=Param("until", output_field=DateTimeField()) , subject=Param("subject")))

    prepared = PreparedQuery(build)
    now = datetime.now(UTC) + timedelta(days=1)
    got = _same_as_orm(prepared, build().model.objects.only("id", "subject", "created_at")
                       .annotate(answer=Value(42), same=F("priority")).filter(created_at__lte=now, subject="工单 user"),
                       until=now, subject="工单 user")
    assert got[0].answer == 42 and got[0].same == tickets["user"].priority
    assert got[0].get_deferred_fields() >= {"description", "tags"}


def test_empty_result_set_needs_no_round_trip(db: Any) -> None:
    prepared = PreparedQuery(lambda: Organisation.objects.filter(id__in=[], code=Param("code")))
    with CaptureQueriesContext(connection) as captured:
        assert prepared.fetch(code="x") == []
    assert captured.captured_queries == []


def test_values_are_checked(db: Any) -> None:
    prepared = PreparedQuery(lambda: Organisation.objects.filter(code=Param("code")))
    with pytest.raises(PreparedQueryError, match="missing"):
        prepared.fetch()
    with pytest.raises(PreparedQueryError, match="unknown"):
        prepared.fetch(code="a", name="b")
    with pytest.raises(PreparedQueryError, match="IS NULL"):
        prepared.fetch(code=None)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Organisation.objects.filter(code=Param("c")).values("id"), "values"),
        (lambda: Organisation.objects.filter(code=Param("c")).values_list("id", flat=True), "values"),
        (lambda: Organisation.objects.filter(code=Param("c")).prefetch_related("users"), "prefetch_related"),
        (lambda: Organisation.objects.filter(code=Param("c")).select_for_update(), "select_for_update"),
        (lambda: Organisation.objects.filter(code=Param("c")).union(Organisation.objects.all()), "union"),
        (lambda: Organisation.objects.filter(id__in=Param("c")), "output_field"),
        (lambda: Organisation.objects.raw("SELECT 1"), "QuerySet"),
    ],
)
def test_unsupported_querysets_are_refused(db: Any, build: Callable[[], Any], message: str) -> None:
    with pytest.raises(PreparedQueryError, match=message):
        PreparedQuery(build).fetch(c="x")


def test_related_manager_querysets_are_refused(db: Any) -> None:
    org = OrganisationFactory()
    with pytest.raises(PreparedQueryError, match="related-manager"):
        PreparedQuery(lambda: org.contacts.filter(name=Param("n"))).fetch(n="x")


def test_bad_param_names_are_refused() -> None:
    for name in ("using", "not an identifier"):
        with pytest.raises(PreparedQueryError):
            Param(name)


def test_works_inside_a_transaction_and_sees_its_writes(db: Any) -> None:
    prepared = PreparedQuery(lambda: Organisation.objects.filter(code=Param("code")))
    with transaction.atomic():
        made = OrganisationFactory(code="in-tx")
        assert prepared.first(code="in-tx") == made


@pytest.mark.django_db(transaction=True)
def test_threads_share_one_prepared_query_and_get_their_own_rows() -> None:
    orgs = [OrganisationFactory(code=f"t{i}") for i in range(6)]
    users = [UserFactory(role=Role.CUSTOMER, organisation=org) for org in orgs]
    prepared = PreparedQuery(lambda: User.objects.select_related("organisation").filter(username=Param("name")))
    barrier = threading.Barrier(len(users))  # every thread's first call races for the compile
    results: dict[int, list[tuple[str, str]]] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            barrier.wait()
            found = []
            for _ in range(20):
                (user,) = prepared.fetch(name=users[i].username)
                found.append((user.username, user.organisation.code))
            results[i] = found
        except Exception as exc:  # noqa: BLE001 - reported below: an exception in a thread would be lost
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(users))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for i, user in enumerate(users):
        assert results[i] == [(user.username, orgs[i].code)] * 20
