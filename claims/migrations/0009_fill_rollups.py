"""Issue 10: fill the merchant figures' rollups (0006) of an existing database from its raw
rows; nothing to do on a new one. The same set-based function as `manage.py rebuild_rollups`
(claims.rollups.rebuild: raw SQL over the tables as they stand at this migration)."""

from django.db import migrations


def fill(apps, schema_editor):
    from claims import rollups

    rollups.rebuild()


class Migration(migrations.Migration):
    dependencies = [("claims", "0008_reviewer_queue_indexes")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
