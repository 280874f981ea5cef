from django.db import migrations

# The usual ITIL matrix; administrators edit the rows afterwards.
MATRIX = [
    ("high", "high", "p1"), ("high", "medium", "p2"), ("medium", "high", "p2"),
    ("high", "low", "p3"), ("medium", "medium", "p3"), ("low", "high", "p3"),
    ("medium", "low", "p4"), ("low", "medium", "p4"), ("low", "low", "p4"),
]


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    entry = apps.get_model("tickets", "PriorityMatrixEntry")
    for urgency, impact, priority in MATRIX:
        entry.objects.get_or_create(urgency=urgency, impact=impact, defaults={"priority": priority})


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
