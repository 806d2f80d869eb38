"""R101/R114: finance runs the payout batches: creates them, downloads the provider's file,
imports the results, resubmits failed payouts. Underwriters correct the payout account
(enrollment.decide_enrollment, already theirs); reviewers get nothing here."""

from django.db import migrations

from portal.groups import FINANCE, grant


def grant_payouts(apps, schema_editor):
    grant(apps, FINANCE, "claims", ["run_payouts"])
    grant(
        apps,
        FINANCE,
        "payouts",
        ["view_payoutbatch", "add_payoutbatch", "change_payoutbatch", "view_payoutitem"],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0003_invoicing_groups"),
        ("claims", "0012_payouts_state"),
        ("payouts", "0001_initial"),
    ]
    operations = [migrations.RunPython(grant_payouts, migrations.RunPython.noop)]
