"""PostgreSQL: ANALYZE keeps ten times more of the tsvector's most common words (statistics target 1000
instead of 100), so `PostgresBackend.doc_freq` reads the number of documents of any word in more than
about 0.05 % of them from the statistics instead of counting heap rows (bench/README.md, "Scale").
SQLite needs nothing.
"""

from django.db import migrations


def more_statistics(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE search_searchdocument ALTER COLUMN tsv SET STATISTICS 1000")


def default_statistics(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE search_searchdocument ALTER COLUMN tsv SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [("search", "0002_fts_meta")]

    operations = [migrations.RunPython(more_statistics, default_statistics)]
