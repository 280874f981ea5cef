"""Plain multi-row INSERTs and per-row UPDATEs for hot paths (monitoring intake and probes, the SLA pass).

Django's `bulk_create` compiles every value through the full expression machinery (pre_save,
field_as_sql, placeholders per value); for a 100-alert delivery that was more than half the CPU of
the whole intake. These helpers prepare each value once with the field's own `get_db_prep_save`
(so types, JSON and time zones are converted exactly as the ORM would) and send one statement per
batch. They fill `auto_now`/`auto_now_add` fields and the primary keys (via RETURNING), nothing else:
callers pass complete model instances, so model defaults have already been applied by `__init__`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

M = TypeVar("M", bound=models.Model)


def _max_params(connection: BaseDatabaseWrapper) -> int:
    """Bound parameters one statement may carry. Django assumes SQLite's old 999, so its bulk_create splits
    a 100-alarm delivery into three INSERTs; the real limit is read from the library (250,000 on current
    builds). PostgreSQL's protocol allows 65,535."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        raw = connection.connection
        return int(raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)) if hasattr(raw, "getlimit") else 999
    return 65535


def _insert_fields(model: type[models.Model]) -> list[Any]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def insert_rows(model: type[M], objs: Sequence[M], *, now: datetime) -> list[M]:
    """INSERT `objs` in as few statements as the backend allows and set their primary keys."""
    if not objs:
        return []
    connection = connections[DEFAULT_DB_ALIAS]  # the object itself: the module proxy costs an attribute lookup per value
    meta = model._meta
    fields = _insert_fields(model)
    qn = connection.ops.quote_name
    stamped = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    for obj in objs:
        for f in stamped:
            if getattr(f, "auto_now", False) or getattr(obj, f.attname) is None:
                setattr(obj, f.attname, now)
    pk = meta.pk
    assert pk is not None
    # A burst shares its timestamps: each distinct time is converted once per field, not once per row.
    memo: dict[tuple[str, datetime], Any] = {}

    def prepare(f: Any, value: Any) -> Any:
        if isinstance(value, datetime):
            key = (f.attname, value)
            if key not in memo:
                memo[key] = f.get_db_prep_save(value, connection)
            return memo[key]
        return f.get_db_prep_save(value, connection)

    columns = ", ".join(qn(str(f.column)) for f in fields)
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    batch = max(1, _max_params(connection) // len(fields))
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch):
            chunk = objs[start:start + batch]
            params: list[Any] = []
            for obj in chunk:
                params.extend(prepare(f, getattr(obj, f.attname)) for f in fields)
            # identifiers come from the model's own metadata, never from input; values are parameters
            sql = (f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES {', '.join([row_sql] * len(chunk))} "  # noqa: S608
                   f"RETURNING {qn(str(pk.column))}")
            cursor.execute(sql, params)
            ids = [row[0] for row in cursor.fetchall()]
            # Both backends return the rows of a multi-row INSERT … RETURNING in VALUES order (Django's
            # own bulk_create relies on the same).
            for obj, new_id in zip(chunk, ids, strict=True):
                obj.pk = new_id
                obj._state.adding = False
                obj._state.db = connection.alias
    return list(objs)


def update_rows(model: type[models.Model], objs: Sequence[models.Model], field_names: Sequence[str]) -> None:
    """Write `field_names` of each object (see `update_values`)."""
    update_values(model, field_names, [(o.pk, *(getattr(o, name) for name in field_names)) for o in objs])


def update_values(model: type[models.Model], field_names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """One prepared UPDATE … WHERE pk = %s executed for every row `(pk, value, …)` (executemany): Django's
    bulk_update builds a CASE per row and field, whose statement grows with the batch."""
    if not rows:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    meta = model._meta
    fields: list[Any] = [meta.get_field(name) for name in field_names]
    pk = meta.pk
    assert pk is not None
    qn = connection.ops.quote_name
    assignments = ", ".join(f"{qn(str(f.column))} = %s" for f in fields)
    sql = f"UPDATE {qn(meta.db_table)} SET {assignments} WHERE {qn(str(pk.column))} = %s"  # noqa: S608
    prepared = [[f.get_db_prep_save(value, connection) for f, value in zip(fields, row[1:], strict=True)] + [row[0]]
                for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)
