"""The points' search column (name, type, 包保 unit, address and pinyin), filled for existing rows.

On PostgreSQL a trigram index makes the search's ``LIKE '%…%'`` an indexed lookup.
pg_trgm is a trusted extension (PostgreSQL 13+), so the database owner may create it;
where that is not allowed the search still works, on the plain index, by scanning.
"""
from django.db import migrations, models


def fill_search_text(apps, schema_editor):
    from campaign.search import build_search_text

    InspectionPoint = apps.get_model("campaign", "InspectionPoint")
    rows = list(InspectionPoint.objects.using(schema_editor.connection.alias).select_related("point_type", "unit"))
    for point in rows:
        unit_names = [n for n in dict.fromkeys([point.unit.name, point.unit.short_name]) if n]
        point.search_text = build_search_text(
            name=point.name, type_name=point.point_type.name, unit_names=unit_names, address=point.address
        )
    InspectionPoint.objects.using(schema_editor.connection.alias).bulk_update(rows, ["search_text"], batch_size=500)


def trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from django.db import transaction

    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception:  # noqa: BLE001 - no right to create the extension: keep the plain index
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS campaign_point_search_trgm "
        "ON campaign_inspectionpoint USING gin (search_text gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS campaign_point_search_trgm")


class Migration(migrations.Migration):

    dependencies = [
        ("campaign", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="inspectionpoint",
            name="search_text",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=600, verbose_name="搜索词"),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
        migrations.RunPython(trigram_index, drop_trigram_index),
    ]
