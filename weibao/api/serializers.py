"""Serializer bases whose field setup is cheap.

DRF gives every serializer instance its own field objects: `Serializer.get_fields()` deep-copies the class's
declared fields, and `Field.__deepcopy__` re-runs each field's `__init__` with deep-copied arguments
(ModelSerializer goes further and rebuilds its model fields from the model's metadata). That was most of a
request's serializer CPU (≈0.4 ms of a ticket create's `is_valid()`).

Here a serializer class keeps, once, unbound prototype fields made exactly as DRF makes them; each instance gets
clones of them: a new object of the same class with a copy of the prototype's attributes, its mutable plain
containers (error messages, style, choices, validator lists) copied, its child fields (ListField/DictField
`child`) cloned and re-parented. The clones are then bound to the instance by DRF as usual, so `parent`, `root`,
`context` and `partial` are the instance's own and no two instances ever share a field object. The prototypes
are never bound nor handed out, so threads can share them.

A field is cloned only if every attribute is immutable (str, numbers, None, classes, functions, lazy
translations), a plain container of such values, a child field clonable by the same rule, or its validator list
(validator objects are shared, as DRF itself shares `validators=` arguments between copies). Anything else
(nested serializers, `many=True` lists, related fields holding a queryset, defaults such as CurrentUserDefault)
is deep-copied per instance as before. The prototypes are forgotten whenever a setting changes
(override_settings), since a field's `__init__` may read settings.

tests/api/test_serializers.py checks the clones against DRF's own copies and validation against plain DRF.
"""

from __future__ import annotations

import copy
import re
import types
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.signals import setting_changed
from django.utils.functional import Promise
from rest_framework import serializers
from rest_framework.fields import Field
from rest_framework.settings import api_settings
from rest_framework.utils.formatting import lazy_format

# Values a clone may share with its prototype: immutable, or (functions, classes) copied by reference by deepcopy.
_ATOMIC: tuple[type, ...] = (str, int, float, complex, bytes, Decimal, type(None), type, types.FunctionType,
                             types.BuiltinFunctionType, Promise, re.Pattern)
# Constructor arguments as recorded by Field.__new__; only __deepcopy__ and repr read them.
_RECORDED = ("_args", "_kwargs")

_generation = 0


def _forget_prototypes(**kwargs: Any) -> None:
    global _generation
    _generation += 1


setting_changed.connect(_forget_prototypes, dispatch_uid="weibao.api.serializers.forget_prototypes")


def _atomic(value: Any) -> bool:
    if isinstance(value, _ATOMIC):
        return True
    if type(value) in (tuple, frozenset):
        return all(_atomic(item) for item in value)
    return False


def _plain(value: Any) -> bool:
    """A dict/list/set (exact types) holding only atomic values or further plain containers."""
    if type(value) is dict:
        return all(_atomic(k) for k in value) and all(_atomic(v) or _plain(v) for v in value.values())
    if type(value) in (list, set):
        return all(_atomic(v) or _plain(v) for v in value)
    return False


def _copy_plain(value: Any) -> Any:
    if type(value) is dict:
        return {k: _copy_plain(v) for k, v in value.items()}
    if type(value) is list:
        return [_copy_plain(v) for v in value]
    if type(value) is set:
        return set(value)
    return value


def _fresh_lazy(message: lazy_format) -> lazy_format:
    fresh = object.__new__(lazy_format)
    fresh.format_string, fresh.args, fresh.kwargs, fresh.result = (
        message.format_string, message.args, message.kwargs, message.result)
    return fresh


class _ValidatorCopy:
    """A validator DRF's field __init__ made (MaxLengthValidator…) whose message is a lazy_format: that object
    caches its text, in the language of the first request that fails it, so each clone needs its own, as each of
    DRF's copies has."""

    __slots__ = ("lazy",)

    def __init__(self, lazy: tuple[str, ...]) -> None:
        self.lazy = lazy

    def copy(self, validator: Any) -> Any:
        attrs = validator.__dict__.copy()
        swap: dict[int, lazy_format] = {}
        for name in self.lazy:
            swap[id(attrs[name])] = attrs[name] = _fresh_lazy(attrs[name])
        if "_constructor_args" in attrs:  # Django's deconstructible record of the arguments
            args, kwargs = attrs["_constructor_args"]
            attrs["_constructor_args"] = (tuple(swap.get(id(v), v) for v in args),
                                          {k: swap.get(id(v), v) for k, v in kwargs.items()})
        new = object.__new__(type(validator))
        new.__dict__ = attrs
        return new


def _validator_plan(validator: Any) -> _ValidatorCopy | bool:
    """True: share it (no state beyond immutable values); a _ValidatorCopy; False: cannot clone the field."""
    attrs = getattr(validator, "__dict__", None)
    if attrs is None or isinstance(validator, Field):
        return False
    lazy: list[str] = []
    for name, value in attrs.items():
        if type(value) is lazy_format:
            if value.result is not None:
                return False
            lazy.append(name)
        elif name == "_constructor_args":
            args, kwargs = value
            if not all(_atomic(v) or type(v) is lazy_format for v in (*args, *kwargs.values())):
                return False
        elif not _atomic(value):
            return False
    return _ValidatorCopy(tuple(lazy)) if lazy else True


class _Clonable:
    """How to clone one prototype field."""

    __slots__ = ("children", "flat", "nested", "proto", "validators")

    def __init__(self, proto: Field, flat: tuple[str, ...], nested: tuple[str, ...],
                 children: tuple[tuple[str, _Clonable], ...],
                 validators: tuple[tuple[Any, _ValidatorCopy | None], ...] | None) -> None:
        self.proto = proto
        self.flat = flat  # containers of atomic values: one C-level .copy()
        self.nested = nested  # containers holding containers (grouped choices)
        self.children = children
        self.validators = validators  # the prototype's _validators, each shared or with how to copy it

    def clone(self) -> Field:
        proto = self.proto
        attrs = proto.__dict__.copy()
        for name in self.flat:
            attrs[name] = attrs[name].copy()
        for name in self.nested:
            attrs[name] = _copy_plain(attrs[name])
        if self.validators is not None:
            attrs["_validators"] = [v if how is None else how.copy(v) for v, how in self.validators]
        new = object.__new__(type(proto))
        if self.children:
            swap: dict[int, Field] = {}
            for name, child_plan in self.children:
                child = child_plan.clone()
                child.parent = new  # type: ignore[assignment]
                swap[id(attrs[name])] = child
                attrs[name] = child
            # Keep the recorded arguments pointing at the clone's own children, as after DRF's deepcopy.
            attrs["_kwargs"] = {k: swap.get(id(v), v) for k, v in attrs["_kwargs"].items()}
            attrs["_args"] = tuple(swap.get(id(v), v) for v in attrs["_args"])
        else:
            attrs["_kwargs"] = attrs["_kwargs"].copy()
        new.__dict__ = attrs
        return new


def _clonable(field: Any, parent: Any = None) -> _Clonable | None:
    """The plan to clone `field`, or None when it must be deep-copied."""
    cls = type(field)
    if (not isinstance(field, Field) or isinstance(field, serializers.BaseSerializer)
            or cls.__deepcopy__ is not Field.__deepcopy__ or hasattr(cls, "__slots__")):
        return None
    flat: list[str] = []
    nested: list[str] = []
    children: list[tuple[str, _Clonable]] = []
    validators: list[tuple[Any, _ValidatorCopy | None]] | None = None
    for name, value in vars(field).items():
        if name in _RECORDED:
            continue
        if name == "parent":
            if value is not parent:
                return None
        elif isinstance(value, Field):
            if value.parent is not field:
                return None
            plan = _clonable(value, field)
            if plan is None:
                return None
            children.append((name, plan))
        elif name == "_validators" and type(value) is list:
            # Validators given as `validators=` are shared, as DRF's __deepcopy__ shares them; those the field's
            # __init__ made are fresh in each of DRF's copies.
            given = {id(v) for v in vars(field).get("_kwargs", {}).get("validators") or ()}
            validators = []
            for validator in value:
                how = True if id(validator) in given else _validator_plan(validator)
                if how is False:
                    return None
                validators.append((validator, how if isinstance(how, _ValidatorCopy) else None))
        elif _atomic(value):
            continue
        elif _plain(value):
            items = value.values() if type(value) is dict else value
            (flat if all(_atomic(item) for item in items) else nested).append(name)
        else:
            return None
    return _Clonable(field, tuple(flat), tuple(nested), tuple(children),
                     None if validators is None else tuple(validators))


class _Prototypes:
    __slots__ = ("fields", "generation")

    def __init__(self, fields: dict[str, Field], generation: int) -> None:
        self.generation = generation
        self.fields: list[tuple[str, _Clonable | Field]] = [
            (name, _clonable(field) or field) for name, field in fields.items()]

    def instantiate(self) -> dict[str, Field]:
        return {name: plan.clone() if isinstance(plan, _Clonable) else copy.deepcopy(plan)
                for name, plan in self.fields}


def _fields_for(cls: type, build: Callable[[], dict[str, Field]]) -> dict[str, Field]:
    protos: _Prototypes | None = cls.__dict__.get("_weibao_prototypes")
    if protos is None or protos.generation != _generation:
        # Two threads may both build; either result is right and the assignment is atomic. The generation is read
        # first so that a setting changed during the build makes the next instance build again.
        generation = _generation
        protos = _Prototypes(build(), generation)
        type.__setattr__(cls, "_weibao_prototypes", protos)
    return protos.instantiate()


# No docstrings on these bases: drf-spectacular would show an inherited docstring as every component's description.

# A Serializer whose instances clone prototype fields instead of deep-copying the declared ones. `get_fields()`
# still returns a fresh dict of fresh, unbound fields, so a subclass overriding it (fields that depend on the
# instance or the context) may call super() and change the result as with DRF.
class ApiSerializer(serializers.Serializer):

    def get_fields(self) -> dict[str, Field]:
        # DRF's own get_fields, made once per class: a deep copy of the declared fields.
        return _fields_for(type(self), lambda: copy.deepcopy(self._declared_fields))


# ModelSerializer.get_fields() consults these; when a subclass overrides any of them the fields may depend on the
# instance or the context, and the serializer keeps DRF's path.
_MODEL_HOOKS = tuple(name for name in vars(serializers.ModelSerializer) if name not in {
    "__module__", "__doc__", "create", "update", "get_fields", "get_validators",
    "_get_constraint_violation_error_message", "get_unique_together_validators", "get_unique_for_date_validators",
    "_declared_fields"})


def _model_fields_static(cls: type) -> bool:
    known = cls.__dict__.get("_weibao_model_static")
    if known is None:
        known = (not issubclass(cls, serializers.HyperlinkedModelSerializer)
                 and all(getattr(cls, name) is getattr(serializers.ModelSerializer, name) for name in _MODEL_HOOKS))
        type.__setattr__(cls, "_weibao_model_static", known)
    return bool(known)


# A ModelSerializer whose instances clone the fields DRF builds from the model once per class, when the class
# leaves DRF's field-building hooks alone; otherwise the fields are built per instance as before.
class ApiModelSerializer(serializers.ModelSerializer):

    def get_fields(self) -> dict[str, Field]:
        cls = type(self)
        if not _model_fields_static(cls):
            return super().get_fields()
        if self.url_field_name is None:
            self.url_field_name = api_settings.URL_FIELD_NAME  # type: ignore[misc]  # as DRF's get_fields does
        return _fields_for(cls, lambda: serializers.ModelSerializer.get_fields(self))
