"""R101: the insurer's staff groups, each with the permissions of its own area.

The claims and invoicing areas grant their permissions in their own later migrations.
"""

from django.db import migrations

from portal.groups import CLAIM_REVIEWER, FINANCE, UNDERWRITER, grant


def create_groups(apps, schema_editor):
    grant(
        apps,
        UNDERWRITER,
        "enrollment",
        [
            "view_shop", "add_shop", "change_shop",
            "view_merchant", "add_merchant", "change_merchant", "delete_merchant",
            "view_invitation", "add_invitation", "change_invitation",
            "view_enrollment", "decide_enrollment",
            "view_premiumrate", "add_premiumrate", "override_rate",
            "view_industrypricing", "change_industrypricing",
        ],
    )
    # Reviewers and finance see which shop a claim or an invoice belongs to, nothing more.
    grant(apps, CLAIM_REVIEWER, "enrollment", ["view_shop"])
    grant(apps, FINANCE, "enrollment", ["view_shop"])


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=[UNDERWRITER, CLAIM_REVIEWER, FINANCE]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("enrollment", "0001_initial"),
    ]
    operations = [migrations.RunPython(create_groups, remove_groups)]
