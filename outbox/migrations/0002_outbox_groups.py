"""R101: finance and claim reviewers see (and may resend) the messages of their area."""

from django.db import migrations

from portal.groups import CLAIM_REVIEWER, FINANCE, grant


def grant_outbox(apps, schema_editor):
    for group in (CLAIM_REVIEWER, FINANCE):
        grant(apps, group, "outbox", ["view_message", "resend_message"])


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_staff_groups"), ("outbox", "0001_initial")]
    operations = [migrations.RunPython(grant_outbox, migrations.RunPython.noop)]
