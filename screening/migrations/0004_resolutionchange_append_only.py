from django.db import migrations

FORWARD = """
CREATE TRIGGER screening_resolutionchange_append_only
    BEFORE UPDATE ON screening_resolutionchange
    FOR EACH ROW EXECUTE FUNCTION screening_decisionchange_no_update();
"""
BACKWARD = (
    "DROP TRIGGER IF EXISTS screening_resolutionchange_append_only ON screening_resolutionchange;"
)


class Migration(migrations.Migration):
    dependencies = [("screening", "0003_resolution")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
