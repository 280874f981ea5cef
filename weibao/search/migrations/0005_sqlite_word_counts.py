"""SQLite: a table of the words in many documents and their document counts, rewritten from FTS5's term
list after a reindex and every hour (`SqliteFts5Backend.refresh_word_counts`), so a query reads a common
word's count instead of counting its documents (bench/README.md, "Scale"). PostgreSQL reads the same from
ANALYZE's statistics (0003) and needs nothing. The table starts empty: until the first refresh every word
is counted, as before.
"""

from django.db import migrations


def add_table(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("CREATE TABLE search_word_count (term TEXT PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID")


def drop_table(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS search_word_count")


class Migration(migrations.Migration):
    dependencies = [("search", "0004_pg_id_buckets")]

    operations = [migrations.RunPython(add_table, drop_table)]
