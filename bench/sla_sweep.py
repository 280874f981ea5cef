"""Breach sweep with 1,000,000 open requests of which 1,000 are due, on PostgreSQL — prints figures.

    WEIBAO_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/wb_sla_bench \
        /work/main/.venv/bin/python bench/sla_sweep.py [N_OPEN] [N_DUE]

The load is written with INSERT ... SELECT generate_series (copies of one real ticket and its
clock), which is how the benchmark may fill the table; the sweep itself is the product's sla_sweep().
Prints: the due-row query time and plan (what the partial index buys), and the whole sweep (flag breached,
clock event, ticket timeline event + outbox row per breach, written in bulk per batch of 250) for the due rows.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("WEIBAO_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/wb_sla_bench")
os.environ.setdefault("WEIBAO_DATA_DIR", "/tmp/wb-sla-bench")
os.environ.setdefault("WEIBAO_SECRET_KEY", "bench-secret-key-that-is-long-enough-0123456789")
os.environ.setdefault("WEIBAO_QUEUE_URL", "redis://127.0.0.1:6379/11")  # delivery is the workers' job, not the sweep's
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weibao.config.settings")


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        raise SystemExit("bench/sla_sweep.py measures PostgreSQL: set WEIBAO_DATABASE_URL=postgresql://...")
    n_open = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    n_due = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
    call_command("migrate", interactive=False, verbosity=0)

    from weibao.accounts.models import Organisation
    from weibao.core import clock
    from weibao.sla.escalation import BATCH, due_breaches, sla_sweep
    from weibao.sla.models import Calendar, Clock, EscalationStep, Metric, Policy, Target
    from weibao.tickets.models import Ticket
    from weibao.tickets.services import ticket_create

    now = clock.now()
    with connection.cursor() as cur:
        cur.execute("TRUNCATE sla_clock, sla_clockevent, sla_escalationfiring, sla_ticketcursor, tickets_ticketevent,"
                    " core_outboxmessage, tickets_ticket RESTART IDENTITY CASCADE")
    calendar = Calendar.objects.get(public_id="cal-standard")
    policy, _ = Policy.objects.get_or_create(name="bench", defaults={"calendar": calendar, "is_default": False})
    Target.objects.get_or_create(policy=policy, metric=Metric.RESOLUTION, priority="p3", defaults={"minutes": 900})
    org = Organisation.objects.filter(kind="customer").first() or Organisation.objects.create(name="bench", code="bench")
    template = ticket_create(actor=None, organisation=org, subject="bench", description="bench", channel="api")
    Clock.objects.create(ticket=template, metric=Metric.RESOLUTION, policy=policy, calendar=calendar, target_minutes=900,
                         started_at=now - timedelta(days=1), running_since=now - timedelta(days=1),
                         due_at=now + timedelta(days=30), state="running")

    fields = [f.column for f in Ticket._meta.concrete_fields if f.column not in ("id", "number", "public_id")]
    cols = ", ".join(fields)
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO tickets_ticket ({cols}, number, public_id) "  # noqa: S608 - our own column names
                    f"SELECT {cols}, 'B-' || g, 'bench-' || g FROM tickets_ticket, generate_series(1, %s) g "
                    f"WHERE tickets_ticket.id = %s", [n_open - 1, template.id])
        # every clock running; the first n_due were due a minute ago, the rest in 1–30 days
        cur.execute(
            "INSERT INTO sla_clock (ticket_id, metric, policy_id, calendar_id, target_minutes, state, started_at,"
            " running_since, consumed_seconds, due_at, met) "
            "SELECT t.id, 'resolution', %s, %s, 900, 'running', %s, %s, 0,"
            " CASE WHEN row_number() OVER (ORDER BY t.id) <= %s THEN %s ELSE %s + (t.id %% 30 + 1) * interval '1 day' END, NULL"
            " FROM tickets_ticket t WHERE t.id <> %s",
            [policy.id, calendar.id, now - timedelta(days=1), now - timedelta(days=1), n_due, now - timedelta(minutes=1),
             now, template.id])
        cur.execute("ANALYZE sla_clock")
        cur.execute("ANALYZE tickets_ticket")
    load = time.perf_counter() - t0
    total = Clock.objects.count()
    print(f"loaded {total:,} running clocks ({n_due:,} due) in {load:.1f} s")

    t0 = time.perf_counter()
    with transaction.atomic():
        due = [c.id for c in due_breaches(clock.now(), n_due + 10)]
    query = time.perf_counter() - t0
    # the plan of the sweep's own locking query (FOR UPDATE SKIP LOCKED through the partial due index)
    with transaction.atomic():  # one batch's query, as the sweep runs it
        plan = " / ".join(line.strip() for line in due_breaches(clock.now(), BATCH).explain().splitlines())
    print(f"due-row query: {len(due):,} rows locked in {query * 1000:.1f} ms  [{plan}]")

    t0 = time.perf_counter()
    result = sla_sweep(limit=n_due + 10)
    sweep = time.perf_counter() - t0
    print(f"sla_sweep(): {result.breached:,} breaches flagged (+ clock event, timeline event, outbox row each) "
          f"in {sweep:.2f} s (goal <= 1 s)")
    t0 = time.perf_counter()
    again = sla_sweep()
    print(f"second sweep (nothing due): {again.breached} breaches in {(time.perf_counter() - t0) * 1000:.1f} ms")

    # Escalation: a two-rung notify ladder (50 %, 100 %) and n_due other clocks started 30 days ago, so both
    # rungs are due: the sweep replays each clock's log and writes the firings, timeline events and outbox rows.
    for percent in (50, 100):
        EscalationStep.objects.get_or_create(policy=policy, metric=Metric.RESOLUTION, percent=percent, extra_minutes=0,
                                             defaults={"notify": ["assignee", "service_manager"]})
    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE bench_steps AS SELECT id FROM sla_clock WHERE breached_at IS NULL ORDER BY id"
                    " DESC LIMIT %s", [n_due])
        cur.execute("UPDATE sla_clock SET started_at = %s, running_since = %s, next_step_at = %s"
                    " WHERE id IN (SELECT id FROM bench_steps)",
                    [now - timedelta(days=30), now - timedelta(days=30), now - timedelta(minutes=1)])
        cur.execute("INSERT INTO sla_clockevent (clock_id, kind, at, data) SELECT id, 'started', %s, '{}'"
                    " FROM bench_steps", [now - timedelta(days=30)])
        cur.execute("ANALYZE sla_clock")
    t0 = time.perf_counter()
    steps = sla_sweep(limit=n_due + 10)
    print(f"sla_sweep() with a ladder: {steps.fired:,} steps fired on {n_due:,} clocks (+ firing, timeline event,"
          f" outbox row each) in {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
