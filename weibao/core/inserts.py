"""`save_new(obj)`: `obj.save(force_insert=True)` for a new row, without recompiling the same INSERT on every call.

Creating a service request writes three rows (the ticket, its event, the outbox message) with `save()`. Each
`save()` builds an InsertQuery, lets SQLInsertCompiler.as_sql assemble the statement and a placeholder per
value, and sends pre/post_save through the signal machinery. Skipping that saves ≈0.4 ms CPU (≈1,000 Python
calls) of a ≈3 ms ticket_create; preparing the values and running the INSERTs stays. The statement only depends on the model and the database, so
here Django's own SQLInsertCompiler compiles it once per (model, alias) — no hand-written SQL — and each call
only computes the values the way the compiler does (`field.pre_save(obj, add=True)` then
`field.get_db_prep_save`) and executes them through `connections[alias].cursor()` (query logging,
`execute_wrappers` and the test suite's query counts see it like any other query).

A primary key already set is inserted as given (a second statement compiled with the key's column), as
`save(force_insert=True)` does; a key that exists raises IntegrityError. Whenever the result could differ from
`save()`, the call IS `obj.save(force_insert=True)`: a pre_save or post_save receiver for the model,
multi-table inheritance, a proxy, a model that overrides save() or the insert path, a primary key that is not
an auto field, deferred fields, db_default / generated / other returned columns,
order_with_respect_to, a field with its own placeholder, a value that is an expression, a backend without
INSERT … RETURNING.

This relies on ORM internals of Django 5.2 (SQLInsertCompiler's as_sql, pre_save_val and prepare_value,
Model._save_table's choice of columns, `_prepare_related_fields_for_save`, `_state`, backend converters).
tests/foundation/test_inserts.py compares the row and the SQL against `save()` on both backends: run it after
upgrading Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar, cast

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery

M = TypeVar("M", bound=Model)

# Values of these types cannot be expressions: no attribute lookups for them in the per-call check.
_PLAIN = frozenset({str, int, bool, float, type(None), dict, list, datetime, date, Decimal})
_SLOT = object()  # stands for every value while the statement is compiled


@dataclass(frozen=True, slots=True)
class _Plan:
    """Everything a call needs that does not depend on the object. Immutable: shared by threads."""

    sql: str
    fields: tuple[Any, ...]  # the columns of the INSERT, in order (Model._save_table's choice for a new row)
    attnames: frozenset[str]  # every concrete attname: all must be loaded (else save() takes another path)
    pk_attname: str
    pk_col: Any  # the returned auto field's Col, for the backend's converters
    converts: bool  # whether the backend or the field converts the returned key


# None: this model always goes through save(). The bool: the primary key is given (its column is in the INSERT).
_plans: dict[tuple[type[Model], str, bool], _Plan | None] = {}


def _overrides_save(cls: type[Model]) -> bool:
    names = ("save", "save_base", "_save_parents", "_save_table", "_do_insert")
    return any(getattr(cls, name) is not getattr(Model, name) for name in names) or (
        getattr(cls._base_manager._queryset_class, "_insert", None) is not QuerySet._insert  # type: ignore[attr-defined]
    )


def _compile(cls: type[Model], alias: str, with_pk: bool) -> _Plan | None:
    meta = cls._meta
    connection = connections[alias]
    auto = meta.auto_field
    if (meta.proxy or meta.auto_created or meta.parents or meta.order_with_respect_to or auto is None
            or meta.pk is not auto or len(meta.pk_fields) != 1 or _overrides_save(cls)
            or not connection.features.can_return_columns_from_insert
            or list(meta.db_returning_fields) != [auto]):
        return None
    # Model._save_table's columns for a new row: the auto primary key's only when it is set.
    fields = [f for f in meta.local_concrete_fields if not f.generated and (with_pk or f is not auto)]
    if not fields or any(f.has_db_default() or getattr(f, "get_placeholder", None) is not None for f in fields):
        return None
    query = InsertQuery(cls)
    query.insert_values(fields, [cast(Any, _SLOT)], raw=False)  # one row; its values are never read
    compiler = query.get_compiler(using=alias)
    # Compile with a stand-in for every value (nothing is read from the object or prepared), then check that
    # each column became one plain "%s" carrying its value unchanged: then the statement is valid for any
    # object whose values are plain, and the values go in in `fields` order.
    compiler.pre_save_val = lambda field, obj: _SLOT  # type: ignore[method-assign]
    compiler.prepare_value = lambda field, value: value  # type: ignore[method-assign]
    compiler.returning_fields = [auto]
    statements = compiler.as_sql()
    if len(statements) != 1 or compiler.returning_params:
        return None
    sql, params = statements[0]
    if tuple(params) != (_SLOT,) * len(fields):
        return None
    col = auto.get_col(meta.db_table)
    return _Plan(sql=sql, fields=tuple(fields), attnames=frozenset(f.attname for f in meta.concrete_fields),
                 pk_attname=auto.attname, pk_col=col, converts=bool(compiler.get_converters([col])))


class _Fallback(Exception):
    """A value turned out to be an expression: the object goes through save() after all."""


def _plan_for(obj: Model) -> tuple[_Plan, str] | None:
    cls = type(obj)
    using = router.db_for_write(cls, instance=obj)
    state = obj.__dict__
    key = (cls, using, state.get(cls._meta.pk.attname) is not None)
    try:
        plan = _plans[key]
    except KeyError:
        plan = _plans[key] = _compile(*key)  # two threads may both compile: same plan, either wins
    if (plan is None or not state.keys() >= plan.attnames
            or pre_save.has_listeners(cls) or post_save.has_listeners(cls)):
        return None
    return plan, using


def _values(obj: Model, plan: _Plan, connection: Any) -> list[Any]:
    values = []
    for field in plan.fields:
        value = field.pre_save(obj, True)  # auto_now / auto_now_add set the attribute here, as in save()
        # The compiler's two tests: an expression is resolved (prepare_value), a value with as_sql is
        # compiled into the statement (field_as_sql). Either would change the statement: save() does it.
        if type(value) not in _PLAIN and hasattr(value, "resolve_expression"):
            raise _Fallback
        value = field.get_db_prep_save(value, connection)
        if type(value) not in _PLAIN and hasattr(value, "as_sql"):
            raise _Fallback
        values.append(value)
    return values


def _saved(obj: Model, using: str) -> None:
    obj._state.db = using
    obj._state.adding = False


def save_new(obj: M) -> M:
    """INSERT a new object exactly as `obj.save(force_insert=True)` would, and return it (primary key set,
    `_state` saved).

    Falls back to `obj.save(force_insert=True)` whenever the fast path could differ (see the module docstring).
    Uses Django ORM internals: see the module docstring before upgrading Django.
    """
    found = _plan_for(obj)
    if found is None:
        obj.save(force_insert=True)
        return obj
    plan, using = found
    obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
    connection = connections[using]
    try:
        values = _values(obj, plan, connection)
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, values)
            row = connection.ops.fetch_returned_insert_columns(cursor, ())  # type: ignore[attr-defined]
    except _Fallback:
        obj.save(force_insert=True)
        return obj
    except Exception as exc:  # as save()'s mark_for_rollback_on_error: the enclosing atomic block must roll back
        if connection.in_atomic_block:
            connection.needs_rollback = True
            connection.rollback_exc = exc  # type: ignore[attr-defined]
        raise
    pk = row[0]
    if plan.converts:
        col = plan.pk_col
        for convert in connection.ops.get_db_converters(col) + col.get_db_converters(connection):
            pk = convert(pk, col, connection)
    setattr(obj, plan.pk_attname, pk)
    _saved(obj, using)
    return obj


@dataclass(frozen=True, slots=True)
class PreparedInsert:
    """What `save_new(obj)` would INSERT: its columns (in order) and their values, prepared the same way."""

    fields: tuple[Any, ...]
    values: list[Any]
    using: str

    def inserted(self, obj: Model) -> None:
        """Mark `obj` saved, as save() leaves it, once the caller's own statement has inserted it."""
        _saved(obj, self.using)


def prepared_insert(obj: Model) -> PreparedInsert | None:
    """The columns and values of `obj`'s INSERT for a caller that wraps them in its own statement (the ticket
    number's INSERT … SELECT); None when `obj` must go through `save()` (see the module docstring). Like
    save(), this sets auto_now fields on `obj`. The key must be set already: nothing reads it back."""
    found = _plan_for(obj)
    if found is None or obj.pk is None:
        return None
    plan, using = found
    obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
    try:
        return PreparedInsert(plan.fields, _values(obj, plan, connections[using]), using)
    except _Fallback:
        return None
