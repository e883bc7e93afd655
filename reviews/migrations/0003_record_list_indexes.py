# Indexes for the record list's keyset pagination (screening.queries, "Record list"): one per
# sort order, each ending in id. The expressions must stay exactly those of
# screening.queries._sort_key (COALESCE(year, 0); LOWER(LEFT(title, 100))) for PostgreSQL to
# use them. Raw SQL, not Meta.indexes: they belong to the list's queries, and the model state
# stays as it is (makemigrations has nothing to add).

from django.db import migrations

INDEXES = {
    "reviews_record_list_id": "(review_id, id)",
    "reviews_record_list_year": "(review_id, (COALESCE(year, 0)), id) INCLUDE (year)",
    "reviews_record_list_title": "(review_id, (LOWER(LEFT(title, 100))), id)",
}


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0002_record_decision_count"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX {name} ON reviews_record {columns}",
            reverse_sql=f"DROP INDEX {name}",
        )
        for name, columns in INDEXES.items()
    ]
