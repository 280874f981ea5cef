"""Request numbers `SR-<year>-NNNNNN`: consecutive per year, never shared, and given back by a create that rolls
back (no gaps, unlike a database sequence).

The year's `TicketSequence` row is incremented with UPDATE … RETURNING, which takes its write lock (PostgreSQL)
or the database's (SQLite, IMMEDIATE) and reads the new value in the same statement. The lock is held until the
commit, so every concurrent create waits for it. On SQLite that costs nothing more (its write lock is taken at
BEGIN anyway). On PostgreSQL the create writes its other rows first and ends with `insert_numbered`: the
increment and the ticket's INSERT in one statement, right before the commit. Between a statement and the next,
the thread that holds the lock has to get the GIL back from the process's other threads, so each statement
inside the lock costs far more than its round trip: with one instead of five, PostgreSQL creates under
gunicorn went from ≈75–90 to ≈115–125 per second (bench/README.md, 2026-12-07).
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, connection, transaction

from weibao.core.inserts import prepared_insert, save_new
from weibao.tickets.models import Ticket, TicketSequence

_INCREMENT = 'UPDATE "tickets_ticketsequence" SET "last" = "last" + 1 WHERE "year" = %s RETURNING "last"'


def _prefix(year: int) -> str:
    return f"SR-{year}-"


def number_format(year: int, n: int) -> str:
    return f"{_prefix(year)}{n:06d}"


def _year_row(year: int) -> None:
    """Make the year's row (last = 0), unless another creator just made it."""
    try:
        with transaction.atomic():
            TicketSequence.objects.create(year=year, last=0)
    except IntegrityError:
        pass


def _incremented(year: int, sql: str, params: list[Any]) -> Any:
    """Run a statement that increments the year's row and returns one value; the year's first time, make the
    row and run it again."""
    for _attempt in range(3):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is not None:
            return row[0]
        _year_row(year)
    raise RuntimeError("ticket number sequence unavailable")


def next_number(year: int) -> str:
    """The year's next number, under the row's lock until the caller's transaction ends."""
    return number_format(year, int(_incremented(year, _INCREMENT, [year])))


def reserve_id() -> int | None:
    """PostgreSQL: a new ticket's id drawn ahead of its INSERT from the identity sequence (gaps allowed, as
    ever), so its event and outbox rows can go in before it and `insert_numbered` last. None elsewhere."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [Ticket._meta.db_table])
        return int(cursor.fetchone()[0])


_statements: dict[tuple[str, tuple[str, ...]], str] = {}


def _statement(fields: tuple[Any, ...]) -> str:
    """WITH n AS (the increment) INSERT INTO tickets_ticket (…) SELECT %s, …, <the number>, … FROM n RETURNING number.

    The number is formatted in SQL exactly as `number_format` does (six digits at least, more past 999,999).
    """
    key = (connection.vendor, tuple(f.column for f in fields))
    sql = _statements.get(key)
    if sql is None:
        qn = connection.ops.quote_name
        number = "%s || CASE WHEN n.last > 999999 THEN n.last::text ELSE lpad(n.last::text, 6, '0') END"
        # Identifiers only, quoted by the backend; every value is a parameter.
        sql = (f"WITH n AS ({_INCREMENT}) INSERT INTO {qn(Ticket._meta.db_table)} "  # noqa: S608
               f"({', '.join(qn(f.column) for f in fields)}) "
               f"SELECT {', '.join(number if f.attname == 'number' else '%s' for f in fields)} FROM n "
               f"RETURNING {qn('number')}")
        _statements[key] = sql
    return sql


def insert_numbered(ticket: Ticket, year: int) -> None:
    """INSERT the ticket (its id already drawn) with the year's next number in one statement (PostgreSQL).

    Any case `prepared_insert` leaves to save() (a pre_save receiver, say) takes the number, then save_new.
    """
    ticket.number = ""  # a stand-in: the statement writes the number itself (its parameter is only the prefix)
    prepared = prepared_insert(ticket)
    if prepared is None or connection.vendor != "postgresql":
        ticket.number = next_number(year)
        save_new(ticket)
        return
    sql = _statement(prepared.fields)
    params = [_prefix(year) if f.attname == "number" else value
              for f, value in zip(prepared.fields, prepared.values, strict=True)]
    ticket.number = str(_incremented(year, sql, [year, *params]))
    prepared.inserted(ticket)
