"""R39/R90: the insurer's claim settings row with the program's defaults."""

from django.db import migrations


def seed(apps, schema_editor):
    ClaimSettings = apps.get_model("claims", "ClaimSettings")
    if not ClaimSettings.objects.exists():
        ClaimSettings.objects.create()


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
