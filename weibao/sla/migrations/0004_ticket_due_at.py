"""Fill `Ticket.due_at` (tickets 0005) from the clocks: one set-based UPDATE of the requests that have a running
clock with a due time, each set to the earliest such due time. The column is new, so every other row is
already null. From then on `clocks.refresh` keeps it."""

from typing import Any

from django.db import migrations
from django.db.models import Exists, OuterRef, Subquery


def fill(apps: Any, schema_editor: Any) -> None:
    Ticket = apps.get_model("tickets", "Ticket")
    Clock = apps.get_model("sla", "Clock")
    running = Clock.objects.filter(ticket=OuterRef("pk"), state="running", due_at__isnull=False)
    Ticket.objects.filter(Exists(running)).update(due_at=Subquery(running.order_by("due_at").values("due_at")[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ("sla", "0003_clocks"),
        ("tickets", "0005_due_at"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
