"""The project's routes, /bench/bare and /bench/raw-create: the ceilings a create is measured against.

`bare` is a JsonResponse with no database: the ceiling for one request through Django. `raw-create` is the
least a create can do and still be durable before it answers: in one transaction, the year's number
(UPDATE … RETURNING under the row's lock) and three INSERTs (request, event, outbox row) into scratch tables,
then the commit; hand-written SQL, no DRF, no ORM, no authentication, no validation. It is not a product
path: it shows how much of a create's cost is the database's and how much is everything else.
"""

from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from weibao.config.urls import urlpatterns as project


def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True, "subject": "压测"})


_SCRATCH = (
    "CREATE TABLE IF NOT EXISTS bench_seq (year integer PRIMARY KEY, last integer NOT NULL)",
    "CREATE TABLE IF NOT EXISTS bench_ticket (id {auto}, number varchar(20) NOT NULL UNIQUE, subject varchar(300),"
    " description text, status varchar(24), created_at varchar(40))",
    "CREATE TABLE IF NOT EXISTS bench_event (id {auto}, ticket_id integer NOT NULL, kind varchar(40), data text)",
    "CREATE TABLE IF NOT EXISTS bench_outbox (id {auto}, topic varchar(100), key varchar(200), payload text)",
)
_made = False


def _scratch() -> None:
    global _made
    if _made:
        return
    auto = "bigserial PRIMARY KEY" if connection.vendor == "postgresql" else "integer PRIMARY KEY AUTOINCREMENT"
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in _SCRATCH:
            cursor.execute(sql.replace("{auto}", auto))
        cursor.execute("INSERT INTO bench_seq (year, last) SELECT 2026, 0 WHERE NOT EXISTS (SELECT 1 FROM bench_seq)")
    _made = True


@csrf_exempt
def raw_create(request: HttpRequest) -> JsonResponse:
    _scratch()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE bench_seq SET last = last + 1 WHERE year = %s RETURNING last", [2026])
        number = f"SR-2026-{cursor.fetchone()[0]:06d}"
        cursor.execute("INSERT INTO bench_ticket (number, subject, description, status, created_at)"
                       " VALUES (%s, %s, %s, %s, %s) RETURNING id", [number, "压测", request.body.decode(), "new", "now"])
        ticket_id = cursor.fetchone()[0]
        cursor.execute("INSERT INTO bench_event (ticket_id, kind, data) VALUES (%s, %s, %s) RETURNING id",
                       [ticket_id, "created", "{}"])
        event_id = cursor.fetchone()[0]
        cursor.execute("INSERT INTO bench_outbox (topic, key, payload) VALUES (%s, %s, %s)",
                       ["ticket.event", str(event_id), "{}"])
    return JsonResponse({"id": ticket_id, "number": number}, status=201)


urlpatterns = [path("bench/bare", bare), path("bench/raw-create", raw_create), *project]
