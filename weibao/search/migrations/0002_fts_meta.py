"""SQLite: the FTS5 table gains a `meta` column of filter tokens (visibility, organisations, kind,
status, systems), so tenancy and filters are applied inside the full-text match rather than by a
join after it. The words already indexed are copied over; the tokens are written from the document
rows with the rule of `backends.meta_text` (restated here in SQL, as a migration must not depend on
code that may change). PostgreSQL filters on columns of the document row and needs nothing.
"""

from django.db import migrations

_META_SQL = """
'v' || d.visibility || ' k' || d.kind || ' s' || lower(replace(replace(d.status, '_', ''), '-', ''))
|| CASE WHEN trim(d.org_ids, ',') = '' THEN '' ELSE ' o' || replace(trim(d.org_ids, ','), ',', ' o') END
|| CASE WHEN trim(d.system_ids, ',') = '' THEN '' ELSE ' y' || replace(trim(d.system_ids, ','), ',', ' y') END
|| CASE WHEN d.organisation_id IS NULL THEN '' ELSE ' g' || d.organisation_id END
"""


def add_meta(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute("ALTER TABLE search_fts RENAME TO search_fts_old")
    schema_editor.execute(
        "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, meta, tokenize = 'unicode61 remove_diacritics 2')"
    )
    schema_editor.execute(
        "INSERT INTO search_fts (rowid, title, body, meta) "
        f"SELECT f.rowid, f.title, f.body, {_META_SQL} FROM search_fts_old f "
        "JOIN search_searchdocument d ON d.id = f.rowid"
    )
    schema_editor.execute("DROP TABLE search_fts_old")


def drop_meta(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute("ALTER TABLE search_fts RENAME TO search_fts_new")
    schema_editor.execute(
        "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2')"
    )
    schema_editor.execute("INSERT INTO search_fts (rowid, title, body) SELECT rowid, title, body FROM search_fts_new")
    schema_editor.execute("DROP TABLE search_fts_new")


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(add_meta, drop_meta)]
