"""Load N service requests (default 1,000,000) into PostgreSQL, then print API list p95 per queue and filter.

    WEIBAO_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/wb_tickets_1m python bench/load_tickets.py [--count N]

Rows go in with COPY-sized bulk inserts (no events: this measures reads). The list requests go through the
real API stack in-process (Django test client with a Bearer-less forced login), so the figure is server
time without the network. Prints the queries per page for page sizes 20 and 200 (they must be equal).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bench_settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="list requests per scenario")
    args = parser.parse_args()
    if not os.environ.get("WEIBAO_DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set WEIBAO_DATABASE_URL to a PostgreSQL database (it will be migrated and filled)")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from weibao.accounts.models import Contact, Organisation, Role, Team, User
    from weibao.tickets.models import Ticket
    from weibao.tickets.states import Status

    call_command("migrate", verbosity=0)
    orgs = [Organisation.objects.get_or_create(code=f"load{i}", defaults={"name": f"负载客户{i}"})[0] for i in range(50)]
    contacts = [Contact.objects.get_or_create(organisation=o, name="联系人", defaults={"phone": "1"})[0] for o in orgs]
    team = Team.objects.get_or_create(name="负载组")[0]
    engineers = []
    for i in range(20):
        user = User.objects.filter(username=f"load_eng{i}").first() or User.objects.create(
            username=f"load_eng{i}", role=Role.ENGINEER, email=f"load_eng{i}@load.example")
        engineers.append(user)
    customer = User.objects.filter(username="load_customer").first() or User.objects.create(
        username="load_customer", role=Role.CUSTOMER, organisation=orgs[0], email="lc@load.example")
    have = Ticket.objects.count()
    statuses = [s.value for s in Status]
    rng = random.Random(7)
    started = time.perf_counter()
    batch: list[Ticket] = []
    for n in range(have, args.count):
        org_i = rng.randrange(len(orgs))
        batch.append(Ticket(
            number=f"SR-2025-{n + 1:07d}"[:20], organisation_id=orgs[org_i].id, requester_id=contacts[org_i].id,
            subject=f"负载测试请求 {n}", description="", channel="portal", type="fault", priority=rng.choice(["p1", "p2", "p3", "p4"]),
            status=rng.choice(statuses), team_id=team.id, assignee_id=rng.choice(engineers).id if rng.random() < 0.8 else None,
        ))
        if len(batch) == 10_000:
            Ticket.objects.bulk_create(batch)
            batch.clear()
            done = n + 1 - have
            print(f"  loaded {n + 1:,} ({done / (time.perf_counter() - started):,.0f} rows/s)", flush=True)
    if batch:
        Ticket.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticket")
    print(f"# {Ticket.objects.count():,} tickets in PostgreSQL; {os.cpu_count()} CPUs shared with other work")

    # Measure as people who have data: the engineer with the most open work, a customer of a busy organisation
    # (a database filled by bench/ui_queue.py has its own users; the ones made above may own nothing).
    from django.db.models import Count

    from weibao.accounts.models import TeamMembership
    from weibao.tickets.states import ACTIVE_VALUES

    busiest = (Ticket.objects.filter(status__in=ACTIVE_VALUES, assignee__isnull=False).values("assignee")
               .annotate(n=Count("id")).order_by("-n").first())
    engineer = User.objects.get(id=busiest["assignee"]) if busiest else engineers[0]
    if not engineer.teams.exists():
        TeamMembership.objects.get_or_create(team=team, user=engineer)
    latest_org = Ticket.objects.order_by("-id").values_list("organisation_id", flat=True).first() or orgs[0].id
    customer = User.objects.filter(role=Role.CUSTOMER, organisation_id=latest_org).first() or User.objects.create(
        username=f"load_customer_{latest_org}", role=Role.CUSTOMER, organisation_id=latest_org,
        email=f"lc{latest_org}@load.example")
    org_public_id = Organisation.objects.get(id=latest_org).public_id
    staff = APIClient()
    staff.force_authenticate(engineer)
    cust = APIClient()
    cust.force_authenticate(customer)
    scenarios = [
        ("staff all", staff, "/api/v1/tickets?page_size=50"),
        ("staff mine", staff, "/api/v1/tickets?queue=mine&page_size=50"),
        ("staff team", staff, "/api/v1/tickets?queue=team&page_size=50"),
        ("staff unassigned", staff, "/api/v1/tickets?queue=unassigned&page_size=50"),
        ("staff status=waiting_customer", staff, "/api/v1/tickets?status=waiting_customer&page_size=50"),
        ("staff priority=p1", staff, "/api/v1/tickets?priority=p1&page_size=50"),
        ("staff organisation+in_progress", staff,
         f"/api/v1/tickets?organisation={org_public_id}&status=in_progress&page_size=50"),
        ("customer own org", cust, "/api/v1/tickets?page_size=50"),
        ("customer own org, open", cust, "/api/v1/tickets?queue=open&page_size=50"),
    ]
    print(f"# staff user {engineer.username}, customer of organisation {latest_org}")
    print(f"{'scenario':<32}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}")
    for label, client, url in scenarios:
        timings = []
        next_url = url
        for _ in range(args.requests):
            start = time.perf_counter()
            response = client.get(next_url, HTTP_HOST="localhost")
            timings.append((time.perf_counter() - start) * 1000)
            body = response.json()
            # walk forward through the cursor pages, starting over at the end
            next_url = body.get("next") or url
        with CaptureQueriesContext(connection) as ctx:
            client.get(url, HTTP_HOST="localhost")
        timings.sort()
        print(f"{label:<32}{timings[len(timings) // 2]:>9.1f}{timings[int(len(timings) * 0.95)]:>9.1f}{len(ctx.captured_queries):>9}")
    for size in (20, 200):
        with CaptureQueriesContext(connection) as ctx:
            staff.get(f"/api/v1/tickets?page_size={size}", HTTP_HOST="localhost")
        print(f"# queries for page_size={size}: {len(ctx.captured_queries)}")


if __name__ == "__main__":
    main()
