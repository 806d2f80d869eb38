"""R101: the claims area's permissions: reviewers decide claims, finance sees payouts."""

from django.db import migrations

from portal.groups import CLAIM_REVIEWER, FINANCE, grant


def grant_claims(apps, schema_editor):
    grant(
        apps,
        CLAIM_REVIEWER,
        "claims",
        [
            "view_claim", "change_claim", "decide_claim",
            "view_buyer", "change_buyer",
            "view_buyerfeedback", "change_buyerfeedback",
            "view_evidence",
            "view_order", "view_orderline", "view_policy", "view_refundrequest",
            "view_servicebreach", "change_servicebreach",
            "view_claimsettings", "change_claimsettings",
            "view_payout", "view_buyercompensation",
        ],
    )
    grant(apps, FINANCE, "claims", ["view_payout", "view_buyercompensation", "view_policy"])


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_staff_groups"), ("claims", "0001_initial")]
    operations = [migrations.RunPython(grant_claims, migrations.RunPython.noop)]
