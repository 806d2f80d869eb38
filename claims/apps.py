import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

SWEEP_EVERY = dt.timedelta(minutes=5)  # R91


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = _("Policies and claims")

    def ready(self):
        from claims.models import PolicyStatus
        from claims.selectors import shop_window
        from claims.tasks import email_merchants_of_changes, sweep_deadlines_task
        from enrollment import selectors as enrollment
        from portal import changes, jinja2, periodic

        # the merchants' e-mail of every claim change, after its commit
        changes.listen(email_merchants_of_changes)
        periodic.register(
            periodic.Job(
                "sweep", sweep_deadlines_task, every=SWEEP_EVERY, what="R91 deadline sweep"
            )
        )
        # R51: repricing counts a shop's premiums, payouts and claims from this app's rollups
        enrollment.experience_from(shop_window)
        jinja2.add_globals(PolicyStatus=PolicyStatus)
