# The constraint and the removal of the old field come after the data is filled
# (0004), in a transaction of their own.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0004_fsm_states_and_line"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="buyer",
            name="eligible",
        ),
        migrations.AddConstraint(
            model_name="claim",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    (
                        "state__in",
                        [
                            "submitted",
                            "approved",
                            "awaiting_return",
                            "return_shipped",
                            "received",
                            "receipt_refused",
                            "refunded",
                            "paid",
                        ],
                    )
                ),
                fields=("line",),
                name="claim_one_live_per_line",
            ),
        ),
    ]
