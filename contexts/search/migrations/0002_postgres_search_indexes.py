"""PostgreSQL only: the pg_trgm extension and the full-text and trigram indexes.

They are not declared on the models because SQLite (the embedded profile) has no GIN:
this migration does nothing there, and the models migrate the same on both.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = [
    (
        "search_doc_vector_gin",
        "CREATE INDEX IF NOT EXISTS search_doc_vector_gin ON search_searchdocument "
        "USING gin (search_vector) WHERE is_published",
    ),
    (
        "search_doc_name_trgm",
        "CREATE INDEX IF NOT EXISTS search_doc_name_trgm ON search_searchdocument "
        "USING gin (name gin_trgm_ops)",
    ),
    (
        "search_term_trgm",
        "CREATE INDEX IF NOT EXISTS search_term_trgm ON search_searchterm "
        "USING gin (term gin_trgm_ops)",
    ),
    (
        "search_term_prefix",
        "CREATE INDEX IF NOT EXISTS search_term_prefix ON search_searchterm "
        "(term varchar_pattern_ops)",
    ),
    (
        "search_query_prefix",
        "CREATE INDEX IF NOT EXISTS search_query_prefix ON search_searchquerystat "
        "(query varchar_pattern_ops)",
    ),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _name, sql in INDEXES:
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _sql in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create, drop),
    ]
