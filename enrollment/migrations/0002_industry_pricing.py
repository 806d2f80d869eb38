"""R51: the insurer's starting settings for home appliances (editable by underwriters)."""

from decimal import Decimal

from django.db import migrations


def seed(apps, schema_editor):
    apps.get_model("enrollment", "IndustryPricing").objects.get_or_create(
        industry="home_appliances",
        defaults={
            "base_rate": Decimal("0.0150"),
            "min_rate": Decimal("0.0050"),
            "max_rate": Decimal("0.0500"),
        },
    )


class Migration(migrations.Migration):
    dependencies = [("enrollment", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
