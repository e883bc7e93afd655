# The search vector becomes a plain column kept by triggers, instead of a stored generated
# column, so that a large import can compute it on a second connection (the second CPU) while
# its records are copied in (reviews.imports). The values stay exactly as they were: the same
# expression, and DROP EXPRESSION keeps every stored vector.
#
# - INSERT without a vector (the ORM, fixtures, admin): the trigger computes it.
# - INSERT with a vector: kept; only the importer gives one, computed by this expression.
# - UPDATE of title, abstract, search_extra or search_vector: recomputed from the row, so an
#   edited text or a vector set by hand can never disagree with the texts. Other updates
#   (decision counts, duplicate links, relevance) fire nothing.
#
# The review foreign key loses its own index (reviews_record_review_id_...): each of the
# table's other review indexes starts with review_id and serves its lookups and cascades,
# and one index fewer is one less to fill for each imported record.
#
# Where the server has lz4 (not every build does: pgserver's embedded one has not), the large
# text columns are compressed with lz4 instead of pglz from now on (existing values
# stay as they are): pglz compression was about a sixth of the server's work in an import.

import django.db.models.deletion
from django.contrib.postgres.search import SearchVectorField
from django.db import migrations, models

VECTOR = (
    "setweight(to_tsvector('english'::regconfig, COALESCE(NEW.title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, "
    "COALESCE(NEW.abstract, '') || ' ' || COALESCE(NEW.search_extra, '')), 'B')"
)
GENERATED = VECTOR.replace("NEW.", "")

FORWARD = f"""
ALTER TABLE reviews_record ALTER COLUMN search_vector DROP EXPRESSION;
CREATE FUNCTION reviews_record_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector := {VECTOR};
    RETURN NEW;
END
$$;
CREATE TRIGGER reviews_record_search_vector_insert
    BEFORE INSERT ON reviews_record
    FOR EACH ROW WHEN (NEW.search_vector IS NULL)
    EXECUTE FUNCTION reviews_record_search_vector();
CREATE TRIGGER reviews_record_search_vector_update
    BEFORE UPDATE OF title, abstract, search_extra, search_vector ON reviews_record
    FOR EACH ROW WHEN (
        NEW.title IS DISTINCT FROM OLD.title
        OR NEW.abstract IS DISTINCT FROM OLD.abstract
        OR NEW.search_extra IS DISTINCT FROM OLD.search_extra
        OR NEW.search_vector IS DISTINCT FROM OLD.search_vector
    )
    EXECUTE FUNCTION reviews_record_search_vector();
DO $$
BEGIN
    -- Only where the server was built with lz4 (the embedded pgserver one is not).
    IF EXISTS (
        SELECT 1 FROM pg_settings
        WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)
    ) THEN
        ALTER TABLE reviews_record
            ALTER COLUMN title SET COMPRESSION lz4,
            ALTER COLUMN abstract SET COMPRESSION lz4,
            ALTER COLUMN raw SET COMPRESSION lz4,
            ALTER COLUMN search_extra SET COMPRESSION lz4,
            ALTER COLUMN search_vector SET COMPRESSION lz4;
    END IF;
END
$$;
"""

BACKWARD = f"""
DROP TRIGGER reviews_record_search_vector_update ON reviews_record;
DROP TRIGGER reviews_record_search_vector_insert ON reviews_record;
DROP FUNCTION reviews_record_search_vector();
DROP INDEX reviews_record_search;
ALTER TABLE reviews_record DROP COLUMN search_vector;
ALTER TABLE reviews_record ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS ({GENERATED}) STORED;
CREATE INDEX reviews_record_search ON reviews_record USING gin (search_vector);
ALTER TABLE reviews_record
    ALTER COLUMN title SET COMPRESSION DEFAULT,
    ALTER COLUMN abstract SET COMPRESSION DEFAULT,
    ALTER COLUMN raw SET COMPRESSION DEFAULT,
    ALTER COLUMN search_extra SET COMPRESSION DEFAULT,
    ALTER COLUMN search_vector SET COMPRESSION DEFAULT;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0004_ranking_settings"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(FORWARD, reverse_sql=BACKWARD)],
            state_operations=[
                migrations.AlterField(
                    model_name="record",
                    name="search_vector",
                    field=SearchVectorField(editable=False, null=True),
                ),
            ],
        ),
        migrations.AlterField(
            model_name="record",
            name="review",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="records",
                to="reviews.review",
            ),
        ),
    ]
