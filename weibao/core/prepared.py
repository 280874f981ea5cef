"""Prepared queries: a queryset compiled once per database, then run again with new parameter values.

Why: turning a queryset into SQL costs far more than running it. The API token lookup on every API request
spends ≈1 ms of CPU compiling ``ApiToken.objects.select_related(...).filter(...)`` for an SQL statement
that takes 0.17 ms in SQLite. A ``PreparedQuery`` compiles the queryset on first use per database alias and
keeps the SQL, the column converters and the ``select_related`` populators; each call only substitutes the
caller's values for the ``Param`` placeholders, runs the SQL through Django's cursor (so query capture,
``django_assert_num_queries`` and execute wrappers still see it) and builds model instances as the ORM
would::

    _TOKEN = PreparedQuery(lambda: ApiToken.objects.select_related("user")
                           .filter(key_hash=Param("key_hash"), revoked_at__isnull=True).order_by()[:1])
    token = _TOKEN.first(key_hash=digest)

Rules:

* ``build`` is called lazily (first use per alias), may be called more than once, and must return the
  same query every time. Everything in it except the ``Param`` placeholders is frozen at compile time:
  never put per-call values there (``clock.now()``, the current user, a setting that tests change).
* A ``Param`` takes its field from the lookup it is the right-hand side of (``key_hash=Param("key_hash")``
  prepares the value with ``key_hash``'s field, as the ORM does); give ``output_field`` where there is no
  such lookup or the lookup is not a plain comparison. A model instance given for a relation is its pk.
  ``None`` is refused: the ORM turns ``field=None`` into ``IS NULL``, a placeholder cannot.
* Supported: model querysets with filters, ``select_related`` (any depth, nullable joins), ``only``/
  ``defer``, ``order_by``, slicing, annotations (they are plain SQL). Refused when built, with a
  ``PreparedQueryError``: ``values()``/``values_list()``, ``prefetch_related``, related-manager querysets,
  ``select_for_update``, ``union``/``intersection``/``difference``, composite primary keys, and a
  ``Param`` the compiled SQL lost.

This relies on ORM internals of Django 5.2 (pyproject pins ``Django>=5.2,<5.3``): ``SQLCompiler.select``,
``klass_info``, ``annotation_col_map``, ``col_count``, ``has_extra_select``, ``get_converters`` and
``django.db.models.query.get_related_populators``; the row loop mirrors ``ModelIterable.__iter__``.
Re-run ``tests/foundation/test_prepared.py`` on both databases when upgrading Django. (The old
django-prepared-queries library targets Django 1.x; this is our own small one.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Expression, Field, Model, QuerySet
from django.db.models.expressions import Col
from django.db.models.lookups import Lookup
from django.db.models.query import ModelIterable
from django.db.models.query import get_related_populators as _get_related_populators
from django.db.models.sql.compiler import SQLCompiler
from django.db.models.sql.where import WhereNode
from django.db.utils import DEFAULT_DB_ALIAS

M = TypeVar("M", bound=Model)

# Lookups whose right-hand side is one value of the left-hand side's type: there the field to prepare a
# Param's value with is the column's own (as Lookup.get_db_prep_lookup does for a plain value).
_PLAIN_LOOKUPS = frozenset({"exact", "iexact", "gt", "gte", "lt", "lte", "contains", "icontains",
                            "startswith", "istartswith", "endswith", "iendswith"})

# The stubs follow Django 6 (a fetch_mode argument); 5.2's signature is (klass_info, select, db).
get_related_populators = cast(Callable[[dict[str, Any], Any, str], list[Any]], _get_related_populators)


class PreparedQueryError(TypeError):
    """The queryset (or a call's values) cannot be used as a prepared query."""


class Param(Expression):
    """A placeholder for a value given at each call: compiles to one ``%s`` whose parameter is itself."""

    def __init__(self, name: str, output_field: Field[Any, Any] | None = None) -> None:
        if not name.isidentifier() or name == "using":
            raise PreparedQueryError(f"Param name {name!r} must be an identifier other than 'using'.")
        super().__init__(output_field=output_field)
        self.name = name
        self.explicit_field = output_field

    def __repr__(self) -> str:
        return f"Param({self.name!r})"

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, tuple[Any, ...]]:
        # The parameter is the Param itself: PreparedQuery finds it in the compiled params and swaps in the value.
        return "%s", (self,)


Prep = Callable[[Any, BaseDatabaseWrapper], Any]


def _prep_for(field: Field[Any, Any]) -> Prep:
    """Value → database value, as the ORM prepares a lookup's plain value (get_prep_value + adapt)."""
    target = cast("Field[Any, Any]", getattr(field, "target_field", None) or field)

    def prep(value: Any, connection: BaseDatabaseWrapper) -> Any:
        if isinstance(value, Model) and field.is_relation:
            value = value.pk
        return target.get_db_prep_value(value, connection, prepared=False)

    return prep


def _params_with_lookups(node: Any, lookup: Lookup[Any] | None = None) -> Iterator[tuple[Param, Lookup[Any] | None]]:
    """Every Param in an expression tree, with the lookup it is the right-hand side of (if it is one)."""
    if isinstance(node, Param):
        yield node, lookup
    elif isinstance(node, WhereNode):
        for child in node.children:
            yield from _params_with_lookups(child)
    elif isinstance(node, Lookup):
        yield from _params_with_lookups(node.lhs)
        yield from _params_with_lookups(node.rhs, node)
    elif hasattr(node, "get_source_expressions") and not isinstance(node, type):
        for child in node.get_source_expressions():
            if child is not None:
                yield from _params_with_lookups(child)


@dataclass(frozen=True, slots=True)
class _Converter:
    pos: int
    # (function, takes the connection's ops as first argument): backend converters are methods of the
    # compiling connection's ops; they are re-bound to the calling thread's connection at each call.
    functions: tuple[tuple[Callable[..., Any], bool], ...]
    expression: Any


@dataclass(frozen=True, slots=True)
class _Compiled:
    """Everything a call needs, computed once per alias; immutable, so threads share it."""

    sql: str | None  # None: the query matches nothing whatever the values (EmptyResultSet); no round trip
    params: tuple[Any, ...]  # the compiled params; slot positions hold Params
    slots: tuple[tuple[int, str, Prep], ...]
    names: frozenset[str]
    model: type[Model]
    init_list: tuple[str, ...]
    fields_start: int
    fields_end: int
    row_width: int | None  # columns beyond the model's (extra ordering columns) are cut off
    converters: tuple[_Converter, ...]
    related_populators: tuple[Any, ...]
    annotations: tuple[tuple[str, int], ...]


def _refuse_unsupported(qs: QuerySet[Any]) -> None:
    if not isinstance(qs, QuerySet):
        raise PreparedQueryError(f"build must return a QuerySet, got {type(qs).__name__}.")
    if qs._iterable_class is not ModelIterable:  # type: ignore[attr-defined]
        raise PreparedQueryError("values(), values_list() and other non-model results are not supported.")
    if qs._prefetch_related_lookups:  # type: ignore[attr-defined]
        raise PreparedQueryError("prefetch_related() is not supported: it runs more queries per call.")
    if qs._known_related_objects:  # type: ignore[attr-defined]
        raise PreparedQueryError("related-manager querysets are not supported: filter on the foreign key instead.")
    if qs.query.select_for_update:
        raise PreparedQueryError("select_for_update() is not supported (the ORM checks the transaction per call).")
    if qs.query.combinator:
        raise PreparedQueryError(f"{qs.query.combinator}() is not supported.")


def _compile(qs: QuerySet[Any], alias: str) -> _Compiled:
    _refuse_unsupported(qs)
    query = qs.query.clone()  # compiling sets up joins on the query: never touch the caller's
    compiler: SQLCompiler = query.get_compiler(using=alias)
    connection = compiler.connection
    from django.core.exceptions import EmptyResultSet

    sql: str | None
    try:
        sql, raw_params = compiler.as_sql()
    except EmptyResultSet:
        sql, raw_params = None, ()
    select, klass_info = compiler.select, compiler.klass_info
    fields = [s[0] for s in select[0 : compiler.col_count]]
    if compiler.has_composite_fields(fields):
        raise PreparedQueryError("composite primary keys are not supported.")

    in_tree = list(_params_with_lookups(compiler.query.where))
    for annotation in compiler.query.annotations.values():
        in_tree.extend(_params_with_lookups(annotation))
    by_id = {id(p): lookup for p, lookup in in_tree}
    params = tuple(raw_params)
    slots: list[tuple[int, str, Prep]] = []
    for index, value in enumerate(params):
        if not isinstance(value, Param):
            continue
        field = value.explicit_field
        lookup = by_id.get(id(value))
        if field is None and lookup is not None and lookup.lookup_name in _PLAIN_LOOKUPS and isinstance(lookup.lhs, Col):
            field = lookup.lhs.output_field
        if field is None:
            raise PreparedQueryError(
                f"Param {value.name!r} is not the right-hand side of a plain lookup on a column: give it an output_field."
            )
        slots.append((index, value.name, _prep_for(field)))
    found = {name for _, name, _ in slots}
    named = {p.name for p, _ in in_tree}
    if sql is not None and (lost := named - found):
        raise PreparedQueryError(f"the compiled SQL has no placeholder for {sorted(lost)}: this query cannot be prepared.")

    converters: list[_Converter] = []
    for pos, (functions, expression) in compiler.get_converters(fields).items():
        unbound = tuple(
            (getattr(f, "__func__"), True) if getattr(f, "__self__", None) is connection.ops else (f, False)  # noqa: B009
            for f in functions
        )
        converters.append(_Converter(pos, unbound, expression))
    select_fields = klass_info["select_fields"]
    start, end = select_fields[0], select_fields[-1] + 1
    return _Compiled(
        sql=sql,
        params=params,
        slots=tuple(slots),
        names=frozenset(found | named),  # an EmptyResultSet query still takes its values
        model=klass_info["model"],
        init_list=tuple(f[0].target.attname for f in select[start:end]),
        fields_start=start,
        fields_end=end,
        row_width=compiler.col_count if compiler.has_extra_select else None,
        converters=tuple(converters),
        related_populators=tuple(get_related_populators(klass_info, select, alias)),
        annotations=tuple((compiler.annotation_col_map or {}).items()),
    )


class PreparedQuery(Generic[M]):
    """A queryset compiled once per database alias (lazily, thread-safe), run with new values per call."""

    def __init__(self, build: Callable[[], QuerySet[M]]) -> None:
        self._build = build
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()
        self._routing: tuple[type[Model], str | None, dict[str, Any]] | None = None

    def _alias(self) -> str:
        routing = self._routing
        if routing is None:
            qs = self._build()
            _refuse_unsupported(qs)
            routing = self._routing = (qs.model, qs._db, dict(qs._hints))  # type: ignore[attr-defined]
        model, fixed, hints = routing
        # Routed per call, as QuerySet.db does: a router may answer differently (tests change DATABASE_ROUTERS).
        return fixed or router.db_for_read(model, **hints) or DEFAULT_DB_ALIAS

    def compiled(self, alias: str) -> _Compiled:
        found = self._compiled.get(alias)
        if found is None:
            with self._lock:
                found = self._compiled.get(alias)
                if found is None:
                    found = self._compiled[alias] = _compile(self._build(), alias)
        return found

    def fetch(self, *, using: str | None = None, **values: Any) -> list[M]:
        """The rows for these values, as model instances (select_related objects attached)."""
        alias = using or self._alias()
        c = self.compiled(alias)
        if values.keys() != c.names:
            missing, extra = sorted(c.names - values.keys()), sorted(values.keys() - c.names)
            raise PreparedQueryError(f"values do not match the query's Params: missing {missing}, unknown {extra}.")
        if c.sql is None:
            return []
        connection = connections[alias]
        params = list(c.params)
        for index, name, prep in c.slots:
            value = values[name]
            if value is None:
                raise PreparedQueryError(f"Param {name!r} is None: the ORM would mean IS NULL, a placeholder cannot.")
            params[index] = prep(value, connection)
        with connection.cursor() as cursor:
            cursor.execute(c.sql, tuple(params))
            rows: Sequence[Sequence[Any]] = cursor.fetchall()
        return self._instances(c, rows, connection, alias)

    def first(self, *, using: str | None = None, **values: Any) -> M | None:
        """The first row or None. Slice the queryset ([:1]) so the database stops there too."""
        found = self.fetch(using=using, **values)
        return found[0] if found else None

    @staticmethod
    def _instances(c: _Compiled, rows: Sequence[Sequence[Any]], connection: BaseDatabaseWrapper, alias: str) -> list[M]:
        # Mirrors django.db.models.query.ModelIterable.__iter__ (Django 5.2) and SQLCompiler.apply_converters.
        ops = connection.ops
        model = c.model
        start, end = c.fields_start, c.fields_end
        out: list[M] = []
        for raw in rows:
            row = list(raw[: c.row_width] if c.row_width is not None else raw)
            for conv in c.converters:
                value = row[conv.pos]
                for function, takes_ops in conv.functions:
                    value = function(ops, value, conv.expression, connection) if takes_ops else function(
                        value, conv.expression, connection
                    )
                row[conv.pos] = value
            obj = model.from_db(alias, c.init_list, row[start:end])  # type: ignore[arg-type]
            for populator in c.related_populators:
                populator.populate(row, obj)
            for attr, pos in c.annotations:
                setattr(obj, attr, row[pos])
            out.append(cast(M, obj))
        return out
