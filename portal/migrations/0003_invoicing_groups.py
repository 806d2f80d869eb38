"""R101: the invoicing area's permissions: finance processes invoice requests (R73, R75) and
corrects the working calendar (R72). Underwriters and reviewers get nothing here."""

from django.db import migrations

from portal.groups import FINANCE, grant


def grant_invoicing(apps, schema_editor):
    grant(
        apps,
        FINANCE,
        "invoicing",
        [
            "view_invoicerequest", "process_invoice",
            "view_calendaroverride", "add_calendaroverride",
            "change_calendaroverride", "delete_calendaroverride",
        ],
    )


class Migration(migrations.Migration):
    dependencies = [("portal", "0002_claims_groups"), ("invoicing", "0001_initial")]
    operations = [migrations.RunPython(grant_invoicing, migrations.RunPython.noop)]
