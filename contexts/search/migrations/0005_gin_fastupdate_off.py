"""PostgreSQL only: the GIN indexes without the "fast update" pending list.

With ``fastupdate`` on (the default), new index entries wait in an unsorted pending list
until a vacuum or 4 MB of them; every search scans that list, and the planner, counting
its pages, prefers a sequential scan: on the 10,000-product benchmark set, after each
document was indexed and its offer folded, 482 pending pages made ``search_vector @@``
cost 9 ms through the index (and the two OR'ed text queries a 50 ms sequential scan)
against 1 ms once flushed. The read model is written one document at a time and read on
every keystroke: each write pays for its own entries instead.
"""

from django.db import migrations

INDEXES = ("search_doc_vector_gin", "search_doc_name_trgm", "search_term_trgm")


def fastupdate_off(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"ALTER INDEX IF EXISTS {name} SET (fastupdate = off)")
        schema_editor.execute(
            "SELECT gin_clean_pending_list(c.oid) FROM pg_class c WHERE c.relname = %s",
            [name],
        )


def fastupdate_on(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"ALTER INDEX IF EXISTS {name} RESET (fastupdate)")


class Migration(migrations.Migration):
    dependencies = [("search", "0004_facet_labels")]

    operations = [migrations.RunPython(fastupdate_off, fastupdate_on)]
