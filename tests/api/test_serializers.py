"""weibao.api.serializers: serializers clone prototype fields; everything observable matches plain DRF.

The oracle is the same serializer class with `_fields_for` patched to build its fields as DRF does (a deep copy of
the declared fields, or ModelSerializer.get_fields()), so any difference comes from the cloning alone.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.test import override_settings
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.fields import CreateOnlyDefault, CurrentUserDefault, Field, empty
from rest_framework.utils.formatting import lazy_format
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

import weibao.api.serializers as fast
import weibao.api.v1
from tests.personas import World
from weibao.api.serializers import ApiModelSerializer, ApiSerializer
from weibao.api.v1.tickets import (
    AssignmentSerializer,
    ReplySerializer,
    TicketCreateSerializer,
    TicketUpdateSerializer,
    TransitionSerializer,
)

_FAST = fast._fields_for


@contextmanager
def drf_fields() -> Iterator[None]:
    """Build fields exactly as DRF does, for the oracle."""
    fast._fields_for = lambda cls, build: build()
    try:
        yield
    finally:
        fast._fields_for = _FAST


def api_serializer_classes() -> list[type[serializers.Serializer]]:
    found: dict[str, type[serializers.Serializer]] = {}
    for info in pkgutil.iter_modules(weibao.api.v1.__path__):
        module = importlib.import_module(f"weibao.api.v1.{info.name}")
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, (ApiSerializer, ApiModelSerializer))
                    and value.__module__ == module.__name__):
                found[f"{module.__name__}.{value.__name__}"] = value
    return [found[name] for name in sorted(found)]


API_CLASSES = api_serializer_classes()


def _plain(value: Any) -> Any:
    """Errors and data with the ErrorDetail codes kept (== on ErrorDetail ignores them)."""
    if isinstance(value, ErrorDetail):
        return ("E", str(value), value.code)
    if isinstance(value, dict | ReturnDict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | ReturnList):
        return [_plain(v) for v in value]
    return value


def outcome(cls: Callable[..., serializers.BaseSerializer], data: Any, **kwargs: Any) -> tuple[Any, ...]:
    s = cls(data=data, **kwargs)
    ok = s.is_valid()
    return ok, _plain(s.errors), _plain(dict(s.validated_data) if ok else None)


def oracle(cls: Callable[..., serializers.BaseSerializer], data: Any, **kwargs: Any) -> tuple[Any, ...]:
    with drf_fields():
        return outcome(cls, data, **kwargs)


# --- the fields themselves ---------------------------------------------------------------------------------------

def _validator_state(validator: Any) -> Any:
    def show(value: Any) -> Any:
        if isinstance(value, lazy_format):
            return ("lazy", str(value.format_string), value.kwargs, value.result)
        if isinstance(value, tuple | list):
            return [show(v) for v in value]
        if isinstance(value, dict):
            return {k: show(v) for k, v in value.items()}
        return value
    return show(getattr(validator, "__dict__", None))


def _state(field: Field, owner: Any) -> dict[str, Any]:
    """A field's attributes, comparable across copies: child fields by their state, the parent by role."""
    state: dict[str, Any] = {}
    for name, value in vars(field).items():
        if name == "_creation_counter":
            continue
        if name == "parent":
            state[name] = "owner" if value is owner else repr(value)
        elif isinstance(value, Field):
            assert value.parent is field
            state[name] = (type(value), _state(value, field))
        elif name == "_validators":
            state[name] = [(type(v), _validator_state(v)) for v in value]
        elif name in ("_args", "_kwargs"):
            state[name] = repr(value)
        elif isinstance(value, serializers.BaseSerializer):
            state[name] = type(value)
        else:
            state[name] = value
    return state


def _comparable(fields: Any, owner: Any) -> dict[str, Any]:
    # Fields that are deep-copied as before (nested serializers, related fields with a queryset) by type only:
    # their state holds querysets and serializers.
    return {name: (type(f), _state(f, owner) if fast._clonable(f, owner) or _state_safe(f) else sorted(vars(f)))
            for name, f in fields.items()}


def _state_safe(field: Field) -> bool:
    return not isinstance(field, serializers.BaseSerializer | serializers.RelatedField | serializers.ManyRelatedField)


@pytest.mark.parametrize("cls", API_CLASSES, ids=lambda c: c.__name__)
def test_every_api_serializer_gets_the_fields_drf_would_build(cls: type[serializers.Serializer]) -> None:
    with drf_fields():
        mine = cls()
        expected = _comparable(mine.fields, mine)
    for _ in range(2):  # the first instance builds the prototypes, the second clones them
        s = cls()
        assert _comparable(s.fields, s) == expected
        assert [repr(f) for f in s.fields.values() if _state_safe(f)] == [
            repr(f) for f in mine.fields.values() if _state_safe(f)]


def test_the_api_serializers_mostly_clone() -> None:
    """A guard on the speed-up itself: nearly every field of the API's serializers is cloned, not deep-copied."""
    for cls in API_CLASSES:
        cls().fields  # noqa: B018
    protos = [cls.__dict__["_weibao_prototypes"] for cls in API_CLASSES]
    kinds = [type(plan) is fast._Clonable for p in protos for _, plan in p.fields]
    assert sum(kinds) >= 0.95 * len(kinds)
    create = TicketCreateSerializer.__dict__["_weibao_prototypes"]
    assert len(create.fields) == 13
    assert all(type(plan) is fast._Clonable for _, plan in create.fields)


def test_clones_are_fresh_bound_objects_never_the_prototypes() -> None:
    a: Any = TicketCreateSerializer()
    b: Any = TicketCreateSerializer()
    protos = {id(plan.proto) for _, plan in TicketCreateSerializer.__dict__["_weibao_prototypes"].fields}
    tags_a, tags_b = a.fields["tags"], b.fields["tags"]
    ids_a = {id(f) for f in a.fields.values()} | {id(tags_a.child)}
    ids_b = {id(f) for f in b.fields.values()} | {id(tags_b.child)}
    assert not ids_a & ids_b and not (ids_a | ids_b) & protos
    assert all(f.parent is a and f.root is a for f in a.fields.values())
    assert tags_a.child.parent is tags_a and tags_a.child.root is a and tags_b.child.root is b
    assert tags_a._kwargs["child"] is tags_a.child  # as after DRF's deepcopy
    for name in ("error_messages", "style", "_validators"):
        assert getattr(a.fields["subject"], name) is not getattr(b.fields["subject"], name)
    assert a.fields["channel"].choice_strings_to_values is not b.fields["channel"].choice_strings_to_values


def test_changing_one_instances_field_leaves_the_others_alone() -> None:
    a: Any = TicketCreateSerializer(data={})
    a.fields["subject"].error_messages["required"] = "写个标题"
    a.fields["tags"].child.error_messages["max_length"] = "标签太长"
    a.fields["channel"].choice_strings_to_values.pop("api")
    assert a.is_valid() is False and a.errors["subject"] == ["写个标题"]
    b = TicketCreateSerializer(data={"tags": ["x" * 51]})
    assert outcome(TicketCreateSerializer, b.initial_data) == oracle(TicketCreateSerializer, b.initial_data)
    assert not b.is_valid() and b.errors["subject"] != ["写个标题"]
    assert TicketCreateSerializer(data={"subject": "s", "channel": "api"}).is_valid()


# --- validation against DRF ---------------------------------------------------------------------------------------

def _long(n: int) -> str:
    return "长" * n


VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**6), st.text(max_size=12),
    st.sampled_from([0, 1, 49, 50, 51, 299, 300, 301, 2000, 2001, 5000, 5001]).map(_long),
    st.sampled_from(["", " ", "api", "email", "fault", "high", "low", "medium", "accept", "resolve", "decline",
                     "merge", "new", "assessing", "p1", "remote", "true", "false", "1", "0", "on"]),
    st.lists(st.one_of(st.text(max_size=8), st.sampled_from([_long(50), _long(51)]), st.integers(), st.none()),
             max_size=4),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


def payloads(cls: type[serializers.Serializer]) -> st.SearchStrategy[Any]:
    names = [*sorted(cls._declared_fields), "unknown"]
    return st.one_of(st.dictionaries(st.sampled_from(names), VALUES, max_size=len(names)),
                     st.sampled_from([None, [], "text", 5]))


WRITE_SERIALIZERS = [TicketCreateSerializer, TicketUpdateSerializer, TransitionSerializer, ReplySerializer,
                     AssignmentSerializer]


@pytest.mark.parametrize("cls", WRITE_SERIALIZERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("partial", [False, True])
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_validation_matches_drf(cls: type[serializers.Serializer], partial: bool, data: st.DataObject) -> None:
    payload = data.draw(payloads(cls))
    assert outcome(cls, payload, partial=partial) == oracle(cls, payload, partial=partial)


CASES: list[tuple[type[serializers.Serializer], Any, bool]] = [
    (TicketCreateSerializer, {"subject": "登录后白屏"}, False),
    (TicketCreateSerializer, {"subject": "x", "urgency": "high", "tags": ["a", "b"], "channel": "email"}, False),
    (TicketCreateSerializer, {"subject": "", "urgency": "urgent", "tags": "a"}, False),
    (TicketCreateSerializer, {"subject": _long(301), "tags": [_long(51), "ok", None]}, False),
    (TicketCreateSerializer, {"description": None}, False),
    (TicketUpdateSerializer, {"tags": []}, True),
    (TicketUpdateSerializer, {}, True),
    (TicketUpdateSerializer, {}, False),
    (TicketUpdateSerializer, {"priority": "p9", "tags": [_long(51)]}, True),
    (TransitionSerializer, {"transition": "decline", "reason": "不在合同范围"}, False),
    (TransitionSerializer, {"transition": "fly"}, False),
    (TransitionSerializer, {"expected_status": "new"}, True),
    (ReplySerializer, {}, False),
    (ReplySerializer, {"body": "内部说明", "internal": "yes"}, False),
    (ReplySerializer, {"internal": "maybe", "files": ["not a file"]}, False),
    (AssignmentSerializer, {"assignee": None, "auto": "1"}, False),
]


@pytest.mark.parametrize(("cls", "payload", "partial"), CASES)
def test_table_of_cases_matches_drf(cls: type[serializers.Serializer], payload: Any, partial: bool) -> None:
    got = outcome(cls, payload, partial=partial)
    assert got == oracle(cls, payload, partial=partial)
    assert outcome(cls, payload, partial=partial) == got  # once more, from the prototypes


def test_defaults_fill_in_and_partial_skips_them() -> None:
    full = TicketCreateSerializer(data={"subject": "s"})
    assert full.is_valid()
    assert full.validated_data == {"subject": "s", "description": "", "channel": "api", "type": "fault",
                                   "urgency": "medium", "impact": "medium", "tags": []}
    full.validated_data["tags"].append("changed")
    again = TicketCreateSerializer(data={"subject": "s"})
    assert again.is_valid() and again.validated_data["tags"] == []
    part = TicketCreateSerializer(data={"subject": "s"}, partial=True)
    assert part.is_valid() and dict(part.validated_data) == {"subject": "s"}


# --- serializers with nested, list, hidden and context-dependent fields -------------------------------------------

class Reading(ApiSerializer):
    at = serializers.IntegerField(min_value=0)
    note = serializers.CharField(max_length=5, required=False)


class Inspection(ApiSerializer):
    site = serializers.CharField(max_length=10)
    kind = serializers.ChoiceField(choices=[("a", "A"), ("Group", [("b", "B"), ("c", "C")])], default="a")
    levels = serializers.ListField(child=serializers.ChoiceField(choices=["low", "high"]), min_length=1,
                                   required=False)
    counts = serializers.DictField(child=serializers.IntegerField(max_value=9), required=False)
    matrix = serializers.ListField(child=serializers.ListField(child=serializers.IntegerField()), required=False)
    first = Reading(required=False)
    readings = Reading(many=True, required=False)
    author = serializers.HiddenField(default=CurrentUserDefault())
    stamp = serializers.HiddenField(default=CreateOnlyDefault("new"))
    shift = serializers.CharField(default=lambda: "day")
    limit = serializers.IntegerField(required=False)

    def validate_limit(self, value: int) -> int:
        if value > self.context["max_limit"]:
            raise serializers.ValidationError(f"at most {self.context['max_limit']}")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("site") == "twice":  # an instance of the same class validated inside this one
            inner = Inspection(data={"site": "inner", "limit": 99},
                               context={"max_limit": 1, "request": _Request("inner")})
            attrs["inner_valid"] = inner.is_valid()
            attrs["inner_errors"] = _plain(inner.errors)
        return attrs


class _Request:
    def __init__(self, user: str) -> None:
        self.user = user


INSPECTIONS: list[dict[str, Any]] = [
    {"site": "北京机房", "levels": ["low"], "counts": {"a": 1}, "first": {"at": 3}, "readings": [{"at": 1}, {"at": 2}],
     "limit": 3, "matrix": [[1, 2], [3]]},
    {"site": "x" * 11, "kind": "d", "levels": [], "counts": {"a": 10}, "readings": [{"at": -1, "note": "toolong"}],
     "limit": 7, "matrix": [[1, "x"]]},
    {"site": "s", "kind": "c", "levels": ["mid"], "first": {"note": 1}, "readings": {"at": 1}},
    {"site": "twice", "limit": 1},
    {},
    {"readings": [{}], "first": None},
]


@pytest.mark.parametrize("payload", INSPECTIONS)
@pytest.mark.parametrize("partial", [False, True])
@pytest.mark.parametrize("max_limit", [2, 5])
def test_nested_list_hidden_and_context_fields_match_drf(payload: dict[str, Any], partial: bool,
                                                          max_limit: int) -> None:
    ctx = {"max_limit": max_limit, "request": _Request(f"user{max_limit}")}
    expected = oracle(Inspection, payload, partial=partial, context=ctx)
    assert outcome(Inspection, payload, partial=partial, context=ctx) == expected
    assert outcome(Inspection, payload, partial=partial, context=ctx) == expected
    if expected[0] and not partial:
        assert expected[2]["author"] == f"user{max_limit}" and expected[2]["stamp"] == "new"


def test_two_live_instances_alternate_without_interfering() -> None:
    one: Any = Inspection(data={"site": "a", "limit": 4}, context={"max_limit": 5, "request": _Request("one")})
    two: Any = Inspection(data={"site": "b", "limit": 4}, context={"max_limit": 3, "request": _Request("two")},
                     partial=True)
    one.fields, two.fields  # noqa: B018 - both bound before either validates
    assert two.is_valid() is False and two.errors == {"limit": ["at most 3"]}
    assert one.is_valid() and one.validated_data["author"] == "one" and one.validated_data["shift"] == "day"
    assert one.fields["limit"].root is one and two.fields["limit"].root is two
    assert one.fields["levels"].child.root is one and two.fields["levels"].child.root is two
    assert one.fields["first"].fields["at"].root is one and two.fields["first"].fields["at"].root is two
    assert one.data["site"] == "a" and two.errors == {"limit": ["at most 3"]}

    nested = Inspection(data={"site": "twice", "limit": 1}, context={"max_limit": 5, "request": _Request("outer")})
    assert nested.is_valid(), nested.errors
    assert nested.validated_data["inner_valid"] is False
    assert nested.validated_data["inner_errors"] == {"limit": [("E", "at most 1", "invalid")]}
    assert nested.validated_data["author"] == "outer" and nested.fields["author"].root is nested


def test_validating_in_several_threads_at_once() -> None:
    cases: list[tuple[Any, Any, bool]] = [
        (payload, {"max_limit": m, "request": _Request(f"u{m}")}, partial)
        for payload in INSPECTIONS for m in (2, 5) for partial in (False, True)]
    cases += [(p, None, partial) for _, p, partial in CASES if _ is TicketCreateSerializer]

    def run(payload: Any, ctx: Any, partial: bool) -> tuple[Any, ...]:
        if ctx is None:
            return outcome(TicketCreateSerializer, payload, partial=partial)
        return outcome(Inspection, payload, partial=partial, context=ctx)

    with drf_fields():
        expected = [run(*case) for case in cases]
    fast._forget_prototypes()  # the threads race to build the prototypes as well
    start, failures = threading.Barrier(6), []

    def worker(offset: int) -> None:
        start.wait()
        for i in range(300):
            k = (i * 7 + offset) % len(cases)
            got = run(*cases[k])
            if got != expected[k]:
                failures.append((k, got))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


class Dynamic(ApiSerializer):
    """Fields that depend on the context: get_fields overridden on top of the cloned ones."""

    name = serializers.CharField()
    secret = serializers.CharField(required=True)

    def get_fields(self) -> dict[str, Field]:
        fields = super().get_fields()
        if not self.context.get("admin"):
            del fields["secret"]
        return fields


def test_a_serializer_with_context_dependent_fields_gets_them_per_instance() -> None:
    assert outcome(Dynamic, {"name": "n"}, context={"admin": True}) == oracle(Dynamic, {"name": "n"},
                                                                             context={"admin": True})
    assert not Dynamic(data={"name": "n"}, context={"admin": True}).is_valid()
    plain = Dynamic(data={"name": "n"})
    assert plain.is_valid() and list(plain.fields) == ["name"]
    assert list(Dynamic(context={"admin": True}).fields) == ["name", "secret"]


def test_model_serializers_overriding_field_building_keep_drfs_path() -> None:
    from weibao.api.v1.tickets import MessageSerializer

    class Custom(MessageSerializer):
        def build_field(self, *args: Any) -> Any:
            return super().build_field(*args)

    assert fast._model_fields_static(MessageSerializer)
    assert not fast._model_fields_static(Custom)
    Custom().fields  # noqa: B018
    assert "_weibao_prototypes" not in Custom.__dict__


def test_a_setting_change_rebuilds_the_prototypes() -> None:
    TicketCreateSerializer().fields  # noqa: B018
    before = TicketCreateSerializer.__dict__["_weibao_prototypes"]
    with override_settings(REST_FRAMEWORK={"UPLOADED_FILES_USE_URL": False}):
        ReplySerializer().fields  # noqa: B018
        TicketCreateSerializer().fields  # noqa: B018
        assert TicketCreateSerializer.__dict__["_weibao_prototypes"] is not before


# --- rendering with model serializers, and the schema --------------------------------------------------------------

def test_model_serializers_render_what_drf_would(world: World, api: Callable[..., Any]) -> None:
    from weibao.api.v1.accounts import ContactSerializer, OrganisationSerializer
    from weibao.api.v1.tickets import MessageSerializer
    from weibao.tickets.models import Message

    customer = api(world.users["customer_a"])
    ticket = customer.post("/api/v1/tickets", {"subject": "打印机脱机"}, format="json").json()["id"]
    assert customer.post(f"/api/v1/tickets/{ticket}/messages", {"body": "补充：型号 X1"},
                         format="json").status_code == 201
    cases: list[tuple[type[serializers.BaseSerializer], Any]] = [
        (MessageSerializer, list(Message.objects.all())), (OrganisationSerializer, world.org_a),
        (ContactSerializer, world.contact_a)]
    for cls, obj in cases:
        many = isinstance(obj, list)
        with drf_fields():
            expected = cls(obj, many=many).data
        assert cls(obj, many=many).data == expected and expected
        assert cls(obj, many=many).data == expected


def test_the_bases_add_nothing_to_the_openapi_schema(world: World, api: Callable[..., Any]) -> None:
    """drf-spectacular shows an inherited class docstring as a component's description."""
    schema = api(None).get("/api/v1/schema/?format=json").json()["components"]["schemas"]
    for name in ("TicketCreateRequest", "TransitionRequest", "ReplyRequest", "Message", "Organisation"):
        assert "description" not in schema[name], name
    assert ApiSerializer.__doc__ is None and ApiModelSerializer.__doc__ is None


def test_error_messages_follow_each_requests_language() -> None:
    """A length validator's message is translated when first shown and then kept: each instance needs its own."""
    too_long = {"subject": "x" * 301, "tags": ["y" * 51]}
    for language, word in [("en", "Ensure"), ("zh-hans", "确保"), ("en", "Ensure"), ("zh-hans", "确保")]:
        with translation.override(language):
            errors = outcome(TicketCreateSerializer, too_long)[1]
            assert word in errors["subject"][0][1] and word in errors["tags"][0][0][1], (language, errors)
            assert errors == oracle(TicketCreateSerializer, too_long)[1]


def test_empty_marker_is_shared_not_copied() -> None:
    # `empty` is DRF's sentinel class; fields compare defaults against it by identity.
    assert TicketUpdateSerializer().fields["subject"].default is empty
