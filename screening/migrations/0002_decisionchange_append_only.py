from django.db import migrations

# The decision history is append-only: rows may be added (and removed with their review),
# never rewritten.
FORWARD = """
CREATE FUNCTION screening_decisionchange_no_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: history rows cannot be changed', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER screening_decisionchange_append_only
    BEFORE UPDATE ON screening_decisionchange
    FOR EACH ROW EXECUTE FUNCTION screening_decisionchange_no_update();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS screening_decisionchange_append_only ON screening_decisionchange;
DROP FUNCTION IF EXISTS screening_decisionchange_no_update();
"""


class Migration(migrations.Migration):
    dependencies = [("screening", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
