"""Staff queue and portal list pages at scale — prints p50/p95 per page and the queries per page.

    WEIBAO_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/wb_ui_bench \\
    WEIBAO_DATA_DIR=/tmp/wb-ui-bench /work/main/.venv/bin/python bench/ui_queue.py [ROWS] [REPEAT]

Loads ROWS requests (default 1,000,000; bulk inserts, only the rows the lists read) into the
database named by WEIBAO_DATABASE_URL once, on PostgreSQL with SLA clocks for the open ones (a running or
paused resolution clock each, a running first-response clock on new ones, due times from a day overdue to
four days ahead), then renders each page REPEAT times (default 50) through
Django's full request stack in this process (middleware, session, selectors, template). No network.
Run it on a database of its own: it adds organisations, users and tickets.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weibao.config.settings")
os.environ.setdefault("WEIBAO_SECRET_KEY", "bench-secret-key-that-is-long-enough-0123456789")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from weibao.accounts.models import Contact, Organisation, Role, Team, TeamMembership, User  # noqa: E402
from weibao.core import clock  # noqa: E402
from weibao.customers.models import System  # noqa: E402
from weibao.tickets.models import Ticket  # noqa: E402
from weibao.tickets.states import ACTIVE_VALUES  # noqa: E402

STATUSES = ["closed"] * 86 + ["resolved"] * 4 + ["new", "assessed", "assigned", "in_progress", "in_progress",
                                                 "waiting_customer", "waiting_third_party", "declined", "merged", "in_progress"]


def world() -> tuple[list[Organisation], list[User], list[Team], User, User]:
    orgs = [Organisation.objects.get_or_create(code=f"bench{i}", defaults={"name": f"压测单位{i}"})[0] for i in range(20)]
    teams = [Team.objects.get_or_create(name=f"压测{i}组")[0] for i in range(3)]
    engineers = []
    for i in range(30):
        user, created = User.objects.get_or_create(username=f"bench_eng{i}", defaults={"role": Role.ENGINEER})
        if created:
            TeamMembership.objects.get_or_create(team=teams[i % 3], user=user)
        engineers.append(user)
    for org in orgs:
        System.objects.get_or_create(organisation=org, code="main", defaults={"name": f"{org.name}业务系统"})
    customer, _ = User.objects.get_or_create(username="bench_customer", defaults={"role": Role.CUSTOMER, "organisation": orgs[0]})
    Contact.objects.get_or_create(organisation=orgs[0], user=customer, defaults={"name": "压测联系人"})
    return orgs, engineers, teams, engineers[0], customer


def load(rows: int, orgs: list[Organisation], engineers: list[User], teams: list[Team]) -> None:
    have = Ticket.objects.count()
    if have >= rows:
        print(f"tickets already loaded: {have:,}")
        return
    t0 = time.perf_counter()
    if connection.vendor == "postgresql":
        _load_sql(have, rows, orgs, engineers, teams)
    else:
        _load_orm(have, rows, orgs, engineers, teams)
    print(f"loaded {rows - have:,} tickets in {time.perf_counter() - t0:.0f} s")


def _load_sql(have: int, rows: int, orgs: list[Organisation], engineers: list[User], teams: list[Team]) -> None:
    """One INSERT … SELECT over generate_series: the same shape as _load_orm, two orders of magnitude faster."""
    systems = dict(System.objects.filter(organisation__in=orgs).values_list("organisation_id", "id"))
    contacts = dict(Contact.objects.filter(organisation__in=orgs).values_list("organisation_id", "id"))
    org_ids = [o.id for o in orgs]
    statuses = STATUSES
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO tickets_ticket (created_at, updated_at, public_id, number, channel, type, maintenance_category,
                urgency, impact, priority, status, subject, description, tags, entitlement_kind, entitlement_reason,
                entitlement_overridden, assessment_note, resolution_method, resolution_root_cause, resolution_text,
                data_fix_consent_note, decline_reason, reopen_count, closed_automatically, unverified_requester,
                organisation_id, system_id, requester_id, team_id, assignee_id, resolved_at, closed_at)
            SELECT c, c, left(md5(i::text || 'wb'), 22), 'SR-B-' || lpad(i::text, 8, '0'),
                (ARRAY['phone','email','portal','monitoring'])[1 + i %% 4], 'fault', '',
                (ARRAY['high','medium','low'])[1 + i %% 3], (ARRAY['high','medium','low'])[1 + (i / 3) %% 3],
                (ARRAY['p1','p2','p3','p3','p4','p4'])[1 + (i * 7) %% 6], st, '压测请求 ' || i, '', '[]'::jsonb, '', '',
                false, '', '', '', '', '', '', 0, false, false,
                org, (%(systems)s::bigint[])[1 + i %% %(n_org)s], (%(contacts)s::bigint[])[1 + i %% %(n_org)s],
                (%(teams)s::bigint[])[1 + (i * 13) %% %(n_team)s],
                CASE WHEN st = 'new' OR i %% 20 = 0 THEN NULL ELSE (%(engineers)s::bigint[])[1 + (i * 31) %% %(n_eng)s] END,
                CASE WHEN st IN ('closed', 'resolved') THEN c + interval '1 day' END,
                CASE WHEN st = 'closed' THEN c + interval '2 days' END
            FROM (
                SELECT i, now() - ((%(rows)s - i) * interval '2 minutes') AS c,
                       (%(org_ids)s::bigint[])[1 + i %% %(n_org)s] AS org,
                       (%(statuses)s::text[])[1 + (i * 17) %% %(n_status)s] AS st
                FROM generate_series(%(start)s, %(stop)s) AS i
            ) AS g
            """,
            {"systems": [systems[o] for o in org_ids], "contacts": [contacts.get(o) for o in org_ids],
             "teams": [t.id for t in teams], "engineers": [e.id for e in engineers], "org_ids": org_ids,
             "statuses": statuses, "n_org": len(org_ids), "n_team": len(teams), "n_eng": len(engineers),
             "n_status": len(statuses), "rows": rows, "start": have, "stop": rows - 1},
        )
        cursor.execute("ANALYZE tickets_ticket")


def _load_orm(have: int, rows: int, orgs: list[Organisation], engineers: list[User], teams: list[Team]) -> None:
    rnd = random.Random(11)
    systems = {s.organisation_id: s.id for s in System.objects.filter(organisation__in=orgs)}
    contacts = {c.organisation_id: c.id for c in Contact.objects.filter(organisation__in=orgs)}
    now = clock.now()
    batch: list[Ticket] = []
    for i in range(have, rows):
        org = orgs[i % len(orgs)]
        status = rnd.choice(STATUSES)
        assignee = None if status == "new" or rnd.random() < 0.05 else rnd.choice(engineers)
        created = now - timedelta(minutes=(rows - i) * 2)
        batch.append(Ticket(
            number=f"SR-B-{i:08d}", organisation_id=org.id, requester_id=contacts.get(org.id), system_id=systems[org.id],
            channel=rnd.choice(["phone", "email", "portal", "monitoring"]), type="fault",
            urgency=rnd.choice(["high", "medium", "low"]), impact=rnd.choice(["high", "medium", "low"]),
            priority=rnd.choice(["p1", "p2", "p3", "p3", "p4", "p4"]), status=status, subject=f"压测请求 {i}",
            team_id=rnd.choice(teams).id, assignee_id=assignee.id if assignee else None,
            closed_at=created + timedelta(days=2) if status == "closed" else None,
            resolved_at=created + timedelta(days=1) if status in ("closed", "resolved") else None,
            created_at=created, updated_at=created,
        ))
        if len(batch) == 10_000:
            Ticket.objects.bulk_create(batch)
            batch = []
    if batch:
        Ticket.objects.bulk_create(batch)


def load_clocks() -> None:
    """SLA clocks for the open requests, as the SLA worker would have left them (PostgreSQL only): without them
    the due-time sort would compare "no due time" on every row."""
    from weibao.sla.models import Calendar, Clock, Policy

    if connection.vendor != "postgresql" or Clock.objects.exists():
        return
    t0 = time.perf_counter()
    calendar = Calendar.objects.get(public_id="cal-standard")
    policy, _ = Policy.objects.get_or_create(name="压测策略", defaults={"calendar": calendar})
    active = list(ACTIVE_VALUES)
    with connection.cursor() as cursor:
        # Resolution: paused while waiting (no due time), else running and due from 24 h ago to 96 h ahead.
        # First response: running on new requests, due from 4 h ago to 8 h ahead.
        cursor.execute(
            """
            INSERT INTO sla_clock (ticket_id, metric, policy_id, calendar_id, target_minutes, state, started_at,
                running_since, consumed_seconds, due_at, next_step_at, breached_at, stopped_at, met)
            SELECT id, 'resolution', %(policy)s, %(calendar)s, 900, CASE WHEN paused THEN 'paused' ELSE 'running' END,
                created_at, CASE WHEN paused THEN NULL ELSE now() - interval '1 day' END, 0,
                CASE WHEN paused THEN NULL ELSE due END, NULL::timestamptz,
                CASE WHEN NOT paused AND due < now() THEN due END, NULL::timestamptz, NULL::boolean
            FROM (SELECT id, created_at, status IN ('waiting_customer', 'waiting_third_party') AS paused,
                         now() + ((id * 37) %% 120 - 24) * interval '1 hour' + (id %% 60) * interval '1 minute' AS due
                  FROM tickets_ticket WHERE status = ANY(%(active)s)) AS t
            UNION ALL
            SELECT id, 'first_response', %(policy)s, %(calendar)s, 240, 'running', created_at, now() - interval '1 hour',
                0, due, NULL::timestamptz, CASE WHEN due < now() THEN due END, NULL::timestamptz, NULL::boolean
            FROM (SELECT id, created_at,
                         now() + ((id * 11) %% 12 - 4) * interval '1 hour' + (id %% 60) * interval '1 minute' AS due
                  FROM tickets_ticket WHERE status = 'new') AS f
            """,
            {"policy": policy.id, "calendar": calendar.id, "active": active},
        )
        cursor.execute("ANALYZE sla_clock")
    print(f"loaded {Clock.objects.count():,} SLA clocks in {time.perf_counter() - t0:.0f} s")
    if any(f.name == "due_at" for f in Ticket._meta.fields):
        import importlib

        from django.apps import apps

        t0 = time.perf_counter()
        importlib.import_module("weibao.sla.migrations.0004_ticket_due_at").fill(apps, None)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE tickets_ticket")
        print(f"filled tickets.due_at as the migration does in {time.perf_counter() - t0:.1f} s")


def measure(client: Client, label: str, url: str, repeat: int) -> None:
    client.get(url)  # warm caches and the session
    times = []
    counted = [0]

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        counted[0] += 1
        return execute(sql, params, many, context)

    # execute_wrapper rather than CaptureQueriesContext: the request_started signal empties the query log.
    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    page = response.context.get("page") if response.context else None
    rows = len(page.rows) if page is not None else len(response.json()["results"])
    cpu = []
    for _ in range(repeat):
        reset_queries()
        t0, c0 = time.perf_counter(), time.process_time()
        client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    # This process's CPU (Django, template) per page: what the machine's load disturbs least; the rest is the database.
    print(f"{label:<46} rows={rows:<4} queries={counted[0]:<3} p50={statistics.median(times):7.1f} ms  p95={p95:7.1f} ms"
          f"  cpu p50={statistics.median(cpu):6.1f} ms")


def explain(client: Client, label: str, url: str) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the page's statements that read tickets in an order (the page's ids)."""
    seen: list[tuple[str, Any]] = []

    def keep(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        client.get(url)
    for sql, params in seen:
        if "ORDER BY" in sql and "tickets_ticket" in sql and "LIMIT" in sql:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = [row[0] for row in cursor.fetchall()]
            print(f"--- {label}: {url}")
            print("\n".join(plan))


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    call_command("migrate", verbosity=0)
    setup_test_environment()  # response.context for the row counts and the cursor (adds a little overhead)
    orgs, engineers, teams, engineer, customer = world()
    load(rows, orgs, engineers, teams)
    load_clocks()
    print(f"database: {connection.vendor}, tickets: {Ticket.objects.count():,}, repeat: {repeat}")
    # The engineer with the most open work (the loader's pattern leaves some engineers with none).
    busiest = (Ticket.objects.filter(status__in=ACTIVE_VALUES, assignee__in=engineers).values("assignee")
               .annotate(n=Count("id")).order_by("-n").first())
    if busiest:
        engineer = User.objects.get(id=busiest["assignee"])
        print(f"staff user: {engineer.username}, open requests assigned: {busiest['n']:,}")
    staff = Client()
    staff.force_login(engineer, backend="weibao.accounts.backends.UsernameOrEmailBackend")
    first = staff.get("/staff/tickets/?queue=all&size=50")
    cursor = first.context["page"].next_cursor
    team_due = staff.get("/staff/tickets/?queue=team&size=50&sort=due").context["page"].next_cursor
    # Without `sort`, a work queue opens sorted by due time (when the SLA app is installed); "all" by newest.
    if os.environ.get("WEIBAO_BENCH_EXPLAIN") and connection.vendor == "postgresql":
        for label, url in [("mine, due", "/staff/tickets/?queue=mine&size=50&sort=due"),
                           ("team, due", "/staff/tickets/?queue=team&size=50&sort=due"),
                           ("team, due, page 2", f"/staff/tickets/?queue=team&size=50&sort=due&after={team_due}"),
                           ("unassigned, due", "/staff/tickets/?queue=unassigned&size=50&sort=due"),
                           ("waiting on customer, due", "/staff/tickets/?queue=waiting&size=50&sort=due"),
                           ("due soon", "/staff/tickets/?queue=due_soon&size=50"),
                           ("overdue", "/staff/tickets/?queue=overdue&size=50")]:
            explain(staff, label, url)
        return
    for label, url in [
        ("staff: mine, default (due), 50", "/staff/tickets/?queue=mine&size=50"),
        ("staff: mine, newest, 50", "/staff/tickets/?queue=mine&size=50&sort=newest"),
        ("staff: team, default (due), 50", "/staff/tickets/?queue=team&size=50"),
        ("staff: team, newest, 50", "/staff/tickets/?queue=team&size=50&sort=newest"),
        ("staff: unassigned, default (due), 50", "/staff/tickets/?queue=unassigned&size=50"),
        ("staff: unassigned, newest, 50", "/staff/tickets/?queue=unassigned&size=50&sort=newest"),
        ("staff: due soon, 50", "/staff/tickets/?queue=due_soon&size=50"),
        ("staff: overdue, 50", "/staff/tickets/?queue=overdue&size=50"),
        ("staff: waiting on customer, default (due), 50", "/staff/tickets/?queue=waiting&size=50"),
        ("staff: waiting on customer, newest, 50", "/staff/tickets/?queue=waiting&size=50&sort=newest"),
        ("staff: all, newest, 50", "/staff/tickets/?queue=all&size=50"),
        ("staff: all, newest, 200", "/staff/tickets/?queue=all&size=200"),
        ("staff: team, due, page 2 (cursor)", "TEAM_DUE_PAGE_2"),
        ("staff: all, newest, page 2 (cursor)", f"/staff/tickets/?queue=all&size=50&after={cursor}"),
        ("staff: all, oldest, 50", "/staff/tickets/?queue=all&size=50&sort=oldest"),
        ("staff: all, status=in_progress, 50", "/staff/tickets/?queue=all&size=50&status=in_progress"),
        ("staff: all, priority p1 filter, 50", "/staff/tickets/?queue=all&size=50&priority=p1"),
        ("staff: mine, sort by priority, 50", "/staff/tickets/?queue=mine&size=50&sort=priority"),
        ("staff: team, sort by priority, 50", "/staff/tickets/?queue=team&size=50&sort=priority"),
        ("staff: unassigned, sort by priority, 50", "/staff/tickets/?queue=unassigned&size=50&sort=priority"),
        ("staff: waiting on customer, by priority, 50", "/staff/tickets/?queue=waiting&size=50&sort=priority"),
    ]:
        if url == "TEAM_DUE_PAGE_2":
            url = f"/staff/tickets/?queue=team&size=50&sort=due&after={team_due}"
        measure(staff, label, url, repeat)
    portal = Client()
    portal.force_login(customer, backend="weibao.accounts.backends.UsernameOrEmailBackend")
    measure(portal, "portal: my organisation's, all, 25", "/portal/tickets/?scope=org&show=all", repeat)
    measure(portal, "portal: my organisation's, open, 25", "/portal/tickets/?scope=org&show=open", repeat)
    # The API list (session login, cursor pagination, the same selectors): the goal is p95 ≤ 50 ms.
    for label, client, url in [
        ("api: staff, all, 50", staff, "/api/v1/tickets?page_size=50"),
        ("api: staff, mine, 50", staff, "/api/v1/tickets?queue=mine&page_size=50"),
        ("api: staff, team, 50", staff, "/api/v1/tickets?queue=team&page_size=50"),
        ("api: staff, unassigned, 50", staff, "/api/v1/tickets?queue=unassigned&page_size=50"),
        ("api: staff, status=waiting_customer, 50", staff, "/api/v1/tickets?status=waiting_customer&page_size=50"),
        ("api: customer, own organisation, 50", portal, "/api/v1/tickets?page_size=50"),
        ("api: customer, own organisation's open, 50", portal, "/api/v1/tickets?queue=open&page_size=50"),
    ]:
        measure(client, label, url, repeat)


if __name__ == "__main__":
    main()
