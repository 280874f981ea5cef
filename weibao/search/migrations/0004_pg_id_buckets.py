"""PostgreSQL: every tsvector gains the lexeme of its id's bucket ("~b" + id / 10000, no position), so
a query among the newest documents can restrict the GIN lookup to them (`backends/postgres.py`,
BUCKET). The rule is restated here: a migration must not depend on code that may change. SQLite
needs nothing. At 1M documents this rewrites every row once (about a minute).
"""

from django.db import migrations


def add_buckets(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("UPDATE search_searchdocument SET tsv = tsv || array_to_tsvector(ARRAY['~b' || (id / 10000)]) "
                              "WHERE tsv IS NOT NULL")


def drop_buckets(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("UPDATE search_searchdocument SET tsv = ts_delete(tsv, '~b' || (id / 10000)) "
                              "WHERE tsv IS NOT NULL")


class Migration(migrations.Migration):
    dependencies = [("search", "0003_pg_word_statistics")]

    operations = [migrations.RunPython(add_buckets, drop_buckets)]
