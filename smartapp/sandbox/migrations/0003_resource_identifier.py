"""The `identifier` search column: added, filled from the stored JSON, and on PostgreSQL given a trigram
index so that its "contains this token" lookups need not read every row of a type."""

from django.db import DatabaseError, migrations, models, transaction

BATCH = 500
TRIGRAM_INDEX = "sandbox_res_identifier_trgm"


def _tokens(identifiers) -> str:
    # A frozen copy of smartapp.sandbox.store.identifier_tokens (a migration must not follow later code).
    tokens = []
    for identifier in identifiers if isinstance(identifiers, list) else [identifiers]:
        value = identifier.get("value") if isinstance(identifier, dict) else None
        if isinstance(value, str) and value:
            tokens += [value, f"{identifier.get('system') or ''}|{value}"]
    return f" {' '.join(tokens)} " if tokens else ""


def fill_identifiers(apps, schema_editor):
    resource_model = apps.get_model("sandbox", "Resource")
    rows = resource_model.objects.filter(body__has_key="identifier").only("id", "body").order_by("id")
    batch = []
    for row in rows.iterator(chunk_size=BATCH):
        row.identifier = _tokens(row.body.get("identifier"))
        batch.append(row)
        if len(batch) == BATCH:
            resource_model.objects.bulk_update(batch, ["identifier"])
            batch = []
    resource_model.objects.bulk_update(batch, ["identifier"])


def add_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        # A role that may not create the extension keeps the column unindexed (searches still work).
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON sandbox_resource "
                "USING gin (identifier gin_trgm_ops)"
            )
    except DatabaseError:
        pass


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("sandbox", "0002_vendor_emulation_and_bulk_export"),
    ]

    operations = [
        migrations.AddField(
            model_name="resource",
            name="identifier",
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(fill_identifiers, migrations.RunPython.noop),
        migrations.RunPython(add_trigram_index, drop_trigram_index),
    ]
