"""``SearchDocument.facet_labels``: the attribute values as facets label them, filled in
for the documents indexed before it (from their ``attribute_values``)."""

import json

from django.db import migrations, models

SEPARATOR = "\x1e"


def _label(value):
    return value if isinstance(value, str) else json.dumps(value)


def backfill(apps, schema_editor):
    document = apps.get_model("search", "SearchDocument")
    batch = []
    for doc in document.objects.only("product_id", "attribute_values").iterator(chunk_size=1000):
        doc.facet_labels = SEPARATOR.join(
            f"{code}={_label(v)}"
            for code, values in (doc.attribute_values or {}).items()
            for v in (values if isinstance(values, list) else [values])
            if v is not None
        )
        batch.append(doc)
        if len(batch) >= 1000:
            document.objects.bulk_update(batch, ["facet_labels"])
            batch = []
    if batch:
        document.objects.bulk_update(batch, ["facet_labels"])


class Migration(migrations.Migration):
    dependencies = [("search", "0003_rating_at")]

    operations = [
        migrations.AddField(
            model_name="searchdocument",
            name="facet_labels",
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
