"""Drop the single-column indexes on tickets' organisation, team and assignee.

Each column already leads a composite index (ticket_org_id_idx, ticket_team_idx, ticket_assignee_idx) that serves
the same lookups, foreign-key checks on delete included, and every index is written on every create. The state
change is Django's AlterField(db_index=False); the database change is a plain DROP INDEX, because SQLite's
AlterField would copy the whole table three times. The indexes are found by introspection (Django's generated
names), so a database that never had one is left as it is.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

COLUMNS = ("organisation_id", "team_id", "assignee_id")
TABLE = "tickets_ticket"


def _single_column_indexes(schema_editor: BaseDatabaseSchemaEditor) -> dict[str, str]:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    return {name: info["columns"][0] for name, info in constraints.items()
            if info["index"] and not info["unique"] and not info["primary_key"] and len(info["columns"]) == 1
            and info["columns"][0] in COLUMNS}


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    quote = schema_editor.quote_name
    for name in _single_column_indexes(schema_editor):
        schema_editor.execute(f"DROP INDEX {quote(name)}")


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    quote = schema_editor.quote_name
    present = set(_single_column_indexes(schema_editor).values())
    for column in COLUMNS:
        if column not in present:
            name = f"{TABLE}_{column}_back"
            schema_editor.execute(f"CREATE INDEX {quote(name)} ON {quote(TABLE)} ({quote(column)})")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_totp_step_reset_throttle'),
        ('tickets', '0005_due_at'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop, create)],
            state_operations=[
                migrations.AlterField(
                    model_name='ticket',
                    name='assignee',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='assigned_tickets', to=settings.AUTH_USER_MODEL, verbose_name='处理人'),
                ),
                migrations.AlterField(
                    model_name='ticket',
                    name='organisation',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='tickets', to='accounts.organisation', verbose_name='客户'),
                ),
                migrations.AlterField(
                    model_name='ticket',
                    name='team',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='tickets', to='accounts.team', verbose_name='团队'),
                ),
            ],
        ),
    ]
